/**
 * Account lifecycle (authn-links.md §7.4, §10): remove every link of a system user and its email
 * users, rename a system user, change email users' domain. Each keeps both stores in step, takes
 * locks in cPanel's order (per-user DBs, then LinkDBs) and is best-effort: errors are collected
 * and thrown together at the end, as cPanel's Collection does.
 */
import { posix as path } from 'node:path';
import { commitFiles, describeOps, syncDirs, type FileOp } from '../io/commit.js';
import { withDotLock, withDotLocks, verifyAll } from '../io/dot-lock.js';
import { LinkstoreError, errnoCode, failedAfter, ioError } from '../io/errors.js';
import { dropIdleLockTemps } from '../io/lock-temps.js';
import { plannedMove } from '../io/moves.js';
import { nodeNameProblem } from '../io/node-name.js';
import { formatMode, type PlannedOp } from '../io/plan.js';
import { LOGIN_DIR, MODE, PROTOCOL, linkDbPath, linkUserFromEntry, userDbPath, userDir } from './constants.js';
import type { AuthnContext, MutationOptions, MutationResult } from './context.js';
import { changeUsernames, encodeLinkDbPaced, linkDbBytes, providersOf, readLinkDb, readUserDb, removeAllLinksForUsers, type LinkDb } from './db.js';
import { MSG } from './messages.js';

export interface AccountOptions extends MutationOptions {
  /** Require the system account to exist first, as cPanel does (default true). */
  requireAccount?: boolean;
}

/**
 * Throw the collected errors as one (the first one's code; every message; all as the cause). When
 * the call had already made changes (`done`, or a step's own E_PARTIAL), it is E_PARTIAL listing
 * them: an error after a change never says "nothing was changed".
 */
export function throwCollected(errors: unknown[], done: readonly PlannedOp[] = []): void {
  if (errors.length === 0) return;
  const first = errors[0];
  if (errors.length === 1) throw failedAfter(first, done);
  const code = first instanceof LinkstoreError ? first.code : 'E_IO';
  const text = errors.map((e) => (e instanceof Error ? e.message : String(e))).join(' ');
  const stepsDone = errors.flatMap((e) => (e instanceof LinkstoreError ? (e.done ?? []) : []));
  throw failedAfter(new LinkstoreError(code, `${errors.length} errors occurred: ${text}`, { cause: new AggregateError(errors) }), [...done, ...stepsDone]);
}

async function requireAccount(ctx: AuthnContext, sysuser: string, options: AccountOptions): Promise<void> {
  const bad = nodeNameProblem(sysuser) !== undefined;
  if (bad || (options.requireAccount !== false && sysuser !== 'root' && !(await ctx.users.isCpanelAccount(sysuser)))) {
    throw new LinkstoreError('E_NO_SUCH_USER', MSG.accountRequired(sysuser), { param: 'user' });
  }
}

/** Link users in `users/<sysuser>/` by cPanel's listing rule (§5.4), sorted. */
export async function listLinkUsers(ctx: AuthnContext, sysuser: string): Promise<string[]> {
  const names = (await ctx.disk.readdir(userDir(sysuser))) ?? [];
  return names
    .map(linkUserFromEntry)
    .filter((u): u is string => u !== undefined)
    .sort();
}

/** Providers that have a LinkDB file. */
export async function linkDbProviders(ctx: AuthnContext): Promise<string[]> {
  const names = (await ctx.disk.readdir(LOGIN_DIR)) ?? [];
  return names
    .map(linkUserFromEntry)
    .filter((p): p is string => p !== undefined)
    .sort();
}

/** Apply `edit` to one provider's LinkDB under its lock; returns the op, if anything changed. */
async function editLinkDb(
  ctx: AuthnContext,
  provider: string,
  dryRun: boolean | undefined,
  edit: (ldb: LinkDb) => void,
  warnings: string[],
): Promise<PlannedOp[]> {
  const p = linkDbPath(provider);
  const compute = async (): Promise<FileOp[]> => {
    if ((await ctx.disk.statPath(p)) === undefined) return [];
    const ldb = await readLinkDb(ctx.disk, p);
    const before = await linkDbBytes(ldb);
    edit(ldb);
    if ((await linkDbBytes(ldb)).equals(before)) return [];
    return [{ op: 'write', path: p, content: await encodeLinkDbPaced(ldb, p), mode: MODE.linkDb, uid: 0, gid: 0 }];
  };
  if (dryRun) return describeOps(ctx.disk, await compute());
  // No LinkDB, nothing to edit (and possibly no directory to lock in).
  if ((await ctx.disk.statPath(p)) === undefined) return [];
  return withDotLock(ctx.disk, p, { dataMode: MODE.linkDb, warnings }, async (lock) => {
    const ops = await compute();
    await commitFiles(ctx.disk, ops, { beforePublish: lock.verify });
    return describeOps(ctx.disk, ops);
  });
}

/** Providers to touch for these link users: those in their DBs plus every LinkDB on disk. */
async function providersFor(ctx: AuthnContext, dbPaths: readonly string[], errors: unknown[]): Promise<string[]> {
  const set = new Set(await linkDbProviders(ctx));
  for (const p of dbPaths) {
    try {
      for (const prov of providersOf(await readUserDb(ctx.disk, p), PROTOCOL)) set.add(prov);
    } catch (e) {
      errors.push(e);
    }
  }
  return [...set].sort();
}

type RecursiveRmdir = (p: string, o: { recursive: boolean }) => Promise<void>;

/**
 * rmdir an emptied directory. memfs (4.x) miscounts a directory's entries after a rename that
 * replaced a file, and then refuses rmdir with ENOTEMPTY although the listing is empty; only in
 * that case is its recursive rmdir used (on a real disk an empty listing means ENOTEMPTY was a race).
 */
async function rmdirChecked(ctx: AuthnContext, host: string): Promise<void> {
  try {
    await ctx.disk.removeHostEntry(host, 'dir');
  } catch (e) {
    const errno = errnoCode(e instanceof LinkstoreError && e.cause !== undefined ? e.cause : e);
    if (errno === 'ENOENT') return;
    if (errno === 'ENOTEMPTY' && !ctx.disk.capabilities.stableIdentity && (await ctx.disk.p.readdir(host)).length === 0) {
      await (ctx.disk.p.rmdir as unknown as RecursiveRmdir)(host, { recursive: true });
      return;
    }
    throw ioError(e, 'remove the directory', host);
  }
}

/** Remove a directory tree that must not contain symlinked directories (symlinks are unlinked, not followed). */
async function removeTree(ctx: AuthnContext, cpanelDir: string, dryRun: boolean | undefined, ops: PlannedOp[]): Promise<void> {
  const host = await ctx.disk.resolve(cpanelDir);
  const st = await ctx.disk.lstatOrUndefined(host);
  if (st === undefined) return;
  if (!st.isDirectory()) throw new LinkstoreError('E_NOT_DIRECTORY', `“${host}” must be a directory but is not.`, { path: host });
  if (!dryRun) dropIdleLockTemps(ctx.disk.fs, host);
  for (const name of (await ctx.disk.readdir(cpanelDir)) ?? []) {
    const child = path.join(cpanelDir, name);
    const cst = await ctx.disk.lstatOrUndefined(path.join(host, name));
    if (cst?.isDirectory()) {
      await removeTree(ctx, child, dryRun, ops);
      continue;
    }
    // Through a verified handle on the directory, never by the path: a directory exchanged with a
    // symlink meanwhile must not make the unlink land outside the tree.
    if (!dryRun) await ctx.disk.removeHostEntry(path.join(host, name), 'file');
    // Listed once made, so that a failure part-way reports exactly what was removed.
    ops.push({ op: 'remove', path: path.join(host, name) });
  }
  if (!dryRun) await rmdirChecked(ctx, host);
  ops.push({ op: 'rmdir', path: host });
  if (!dryRun) await syncDirs(ctx.disk, [path.dirname(host)]);
}

/**
 * remove_all_authn_links_for_system_user_and_subusers: every `*.db` link user of `sysuser`
 * loses its LinkDB entries and its file, then `users/<sysuser>/` is deleted.
 */
export async function removeAllForSystemUser(ctx: AuthnContext, sysuser: string, options: AccountOptions = {}): Promise<MutationResult> {
  await requireAccount(ctx, sysuser, options);
  const linkusers = await listLinkUsers(ctx, sysuser);
  const dbPaths = linkusers.map((u) => userDbPath(sysuser, u));
  const errors: unknown[] = [];
  const ops: PlannedOp[] = [];
  const providers = await providersFor(ctx, dbPaths, errors);
  // The system user's own name goes too, even without a file: the account is going away.
  const gone = [...new Set([...linkusers, sysuser])];
  const warnings: string[] = [];
  let linkDbFailed = false;
  const work = async (verify: () => Promise<void>) => {
    for (const prov of providers) {
      try {
        ops.push(...(await editLinkDb(ctx, prov, options.dryRun, (ldb) => removeAllLinksForUsers(ldb, gone), warnings)));
      } catch (e) {
        errors.push(e);
        linkDbFailed = true;
      }
    }
    // Better than cPanel, which deletes the files anyway: while a LinkDB still names these users,
    // their DBs stay, so that the same call retried finds every link user again and finishes.
    if (linkDbFailed) return;
    const removes: FileOp[] = dbPaths.map((p) => ({ op: 'remove', path: p }));
    if (!options.dryRun) await commitFiles(ctx.disk, removes, { beforePublish: verify });
    ops.push(...describeOps(ctx.disk, removes));
  };
  try {
    if (options.dryRun) await work(async () => undefined);
    else
      await withDotLocks(
        ctx.disk,
        dbPaths.map((p) => ({ path: p, mode: MODE.userDb })),
        { warnings },
        (held) => work(verifyAll(held)),
      );
  } catch (e) {
    // Not past the per-user DBs (their lock, their removal): the directory stays too.
    throwCollected([...errors, e], options.dryRun ? [] : ops);
  }
  if (linkDbFailed) throwCollected(errors, options.dryRun ? [] : ops);
  // The per-user DBs planned as removals are not listed again as the tree's files (a dry run
  // still sees them on disk).
  const listed = new Set(ops.filter((o) => o.op === 'remove').map((o) => o.path));
  const tree: PlannedOp[] = [];
  try {
    await removeTree(ctx, userDir(sysuser), options.dryRun, tree);
  } catch (e) {
    errors.push(e);
  }
  ops.push(...tree.filter((o) => o.op !== 'remove' || !listed.has(o.path)));
  throwCollected(errors, options.dryRun ? [] : ops);
  return { dryRun: options.dryRun === true, ops, changed: ops.length > 0, warnings };
}

/** Rename a file or directory durably (fsync of the directory), refusing to replace anything. */
async function renameNoReplace(ctx: AuthnContext, from: string, to: string): Promise<void> {
  const hf = await ctx.disk.resolve(from);
  const ht = await ctx.disk.resolve(to);
  if ((await ctx.disk.lstatOrUndefined(ht)) !== undefined) throw new LinkstoreError('E_INVALID_PARAM', MSG.renameTargetExists(ht), { path: ht });
  // Our idle lock temps in a directory being moved would travel with it under their old names.
  dropIdleLockTemps(ctx.disk.fs, hf);
  await ctx.disk.renameHostEntry(hf, ht);
  await syncDirs(ctx.disk, new Set([path.dirname(hf), path.dirname(ht)]));
}

/**
 * How a rename shows in a plan: one `rename` of the entry, and for a directory one per entry it
 * holds (plannedMove), so that every moved file is named. `names`: see plannedMove.
 */
async function plannedRename(ctx: AuthnContext, from: string, to: string, names?: ReadonlyMap<string, string>): Promise<PlannedOp[]> {
  const hf = await ctx.disk.resolve(from);
  const ht = await ctx.disk.resolve(to);
  if ((await ctx.disk.lstatOrUndefined(ht)) !== undefined) throw new LinkstoreError('E_INVALID_PARAM', MSG.renameTargetExists(ht), { path: ht });
  const st = await ctx.disk.lstatOrUndefined(hf);
  const owner = st !== undefined && ctx.disk.owners ? `${st.uid}:${st.gid}` : undefined;
  return plannedMove(ctx.disk, hf, ht, { mode: st ? formatMode(st.mode) : undefined, owner }, names);
}

/**
 * Move one link user's DB to a new name inside `sysuser`'s directory and rename it in every
 * LinkDB, holding the per-user lock, then each LinkDB lock. A failure after a LinkDB was
 * rewritten is E_PARTIAL (see failedAfter).
 */
async function renameLinkUser(
  ctx: AuthnContext,
  sysuser: string,
  from: string,
  to: string,
  dryRun: boolean | undefined,
  warnings: string[],
): Promise<PlannedOp[]> {
  const oldDb = userDbPath(sysuser, from);
  const newDb = userDbPath(sysuser, to);
  const errors: unknown[] = [];
  const providers = await providersFor(ctx, [oldDb], errors);
  throwCollected(errors);
  const body = async (verify: () => Promise<void>): Promise<PlannedOp[]> => {
    const ops = await plannedRename(ctx, oldDb, newDb);
    const linkOps: PlannedOp[] = [];
    try {
      for (const prov of providers) linkOps.push(...(await editLinkDb(ctx, prov, dryRun, (ldb) => changeUsernames(ldb, { [from]: to }), warnings)));
      if (!dryRun) {
        await verify();
        await renameNoReplace(ctx, oldDb, newDb);
      }
    } catch (e) {
      // A dry run changed nothing, whatever it planned.
      throw dryRun ? e : failedAfter(e, linkOps);
    }
    return [...linkOps, ...ops];
  };
  if (dryRun) return body(async () => undefined);
  return withDotLock(ctx.disk, oldDb, { dataMode: MODE.userDb, warnings }, (lock) => body(lock.verify));
}

/**
 * change_system_user_name: `users/<old>` becomes `users/<new>`, `<old>.db` becomes `<new>.db`
 * and the LinkDBs follow. Email users keep their names. Nothing happens without a directory.
 */
export async function renameSystemUser(ctx: AuthnContext, oldName: string, newName: string, options: AccountOptions = {}): Promise<MutationResult> {
  await requireAccount(ctx, oldName, options);
  if (nodeNameProblem(newName) !== undefined || newName === oldName) {
    throw new LinkstoreError('E_INVALID_NAME', `The new name “${newName}” cannot be used.`, { param: 'new_user' });
  }
  const ops: PlannedOp[] = [];
  const warnings: string[] = [];
  if ((await ctx.disk.statPath(userDir(oldName))) === undefined) return { dryRun: options.dryRun === true, ops, changed: ops.length > 0, warnings };
  const target = await ctx.disk.resolve(userDir(newName));
  if ((await ctx.disk.lstatOrUndefined(target)) !== undefined) throw new LinkstoreError('E_INVALID_PARAM', MSG.renameTargetExists(target), { path: target });
  // Listed before the DB's own rename, naming it as that rename leaves it (the dry run makes none).
  const moved = await plannedRename(ctx, userDir(oldName), userDir(newName), new Map([[`${oldName}.db`, `${newName}.db`]]));
  if ((await ctx.disk.statPath(userDbPath(oldName, oldName))) !== undefined) {
    ops.push(...(await renameLinkUser(ctx, oldName, oldName, newName, options.dryRun, warnings)));
  }
  if (!options.dryRun) await renameNoReplace(ctx, userDir(oldName), userDir(newName)).catch((e: unknown) => Promise.reject(failedAfter(e, ops)));
  ops.push(...moved);
  return { dryRun: options.dryRun === true, ops, changed: ops.length > 0, warnings };
}

/**
 * change_subuser_domains_for_system_user: every email link user of `sysuser` whose domain is a
 * key of `domains` is renamed to the mapped domain, in its file name and in the LinkDBs.
 */
export async function changeEmailDomains(
  ctx: AuthnContext,
  sysuser: string,
  domains: Record<string, string>,
  options: MutationOptions = {},
): Promise<MutationResult> {
  if (nodeNameProblem(sysuser) !== undefined) throw new LinkstoreError('E_NO_SUCH_USER', MSG.accountRequired(sysuser), { param: 'user' });
  for (const [from, to] of Object.entries(domains)) {
    for (const d of [from, to]) {
      if (d === '' || d.includes('@') || nodeNameProblem(d) !== undefined) {
        throw new LinkstoreError('E_INVALID_PARAM', `The domain “${d}” is not valid.`, { param: 'domains' });
      }
    }
  }
  const errors: unknown[] = [];
  const ops: PlannedOp[] = [];
  const warnings: string[] = [];
  for (const linkuser of await listLinkUsers(ctx, sysuser)) {
    const at = linkuser.lastIndexOf('@');
    if (at === -1) continue;
    const domain = linkuser.slice(at + 1);
    if (!Object.hasOwn(domains, domain)) continue;
    const renamed = `${linkuser.slice(0, at)}@${domains[domain]}`;
    if (renamed === linkuser) continue;
    try {
      if (nodeNameProblem(`${renamed}.db`) !== undefined) throw new LinkstoreError('E_INVALID_NAME', MSG.linkUserTooLong(renamed), { param: 'domains' });
      ops.push(...(await renameLinkUser(ctx, sysuser, linkuser, renamed, options.dryRun, warnings)));
    } catch (e) {
      errors.push(e);
    }
  }
  throwCollected(errors, options.dryRun ? [] : ops);
  return { dryRun: options.dryRun === true, ops, changed: ops.length > 0, warnings };
}
