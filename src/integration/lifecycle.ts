/**
 * Account lifecycle (integration-links.md §7): purge, export (the pkgacct view of `links/USER`),
 * restore (cPanel's replay through full validation, with its warnings), account rename, and the
 * DynamicUI check/rebuild a doctor needs.
 */
import { posix as path } from 'node:path';
import { commitFiles, describeOps, syncDirs, type FileOp } from '../io/commit.js';
import { withDotLocks } from '../io/dot-lock.js';
import { ensureDirs } from '../io/dirs.js';
import { LinkstoreError, errnoCode, ioError, isLinkstoreError } from '../io/errors.js';
import { compareCodePoints, decodeStrict, isPlainObject, type JsonValue } from '../io/json-codec.js';
import type { PlannedOp } from '../io/plan.js';
import type { IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import { encodeFile, readJson, themeCache, withUserLock, type Ctx } from './core.js';
import { groupEntry, linkEntry } from './dynamicui.js';
import { createGroup, createLink, type MutationOptions, type MutationResult } from './links.js';
import { MSG } from './messages.js';
import {
  ADMINCONFIG_SUFFIX,
  DYNAMICUI_DIR,
  DYNAMICUI_MODE,
  DYNAMICUI_PREFIX,
  DYNAMICUI_SUFFIX,
  GROUP_PREFIX,
  LINKS_DIR,
  USERCONFIG_SUFFIX,
  USER_DIR_MODE,
  dynamicUiPath,
  truthy,
  userDirSpecs,
  userDynamicUiDir,
  userLinksDir,
  userLockDataPath,
  userconfigPath,
} from './paths.js';
import { assertAccount, assertName, userFacts } from './validate.js';

// ---------------------------------------------------------------------------------------------
// Purge

/** Operations that delete `host` (a file, a symlink — unlinked, never followed — or a tree). */
async function planRemoveTree(ctx: Ctx, host: string, out: PlannedOp[]): Promise<void> {
  const st = await ctx.disk.lstatOrUndefined(host);
  if (st === undefined) return;
  if (!st.isDirectory()) {
    out.push({ op: 'remove', path: host });
    return;
  }
  let names: string[];
  try {
    names = await ctx.disk.p.readdir(host);
  } catch (e) {
    throw ioError(e, 'list', host);
  }
  for (const n of names.sort()) await planRemoveTree(ctx, path.join(host, n), out);
  out.push({ op: 'rmdir', path: host });
}

async function applyRemovals(ctx: Ctx, ops: readonly PlannedOp[]): Promise<void> {
  for (const o of ops) {
    try {
      if (o.op === 'rmdir') await ctx.disk.p.rmdir(o.path);
      else await ctx.disk.p.unlink(o.path);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw ioError(e, 'remove', o.path);
    }
  }
}

/**
 * Account removal (§7.1): delete `links/USER` and `dynamicui/USER` recursively without following
 * symlinks (a symlinked per-user root is unlinked), and the user's lock file. Base directories stay.
 */
export async function purgeUser(ctx: Ctx, user: string, opts: MutationOptions = {}): Promise<MutationResult> {
  assertName(user, 'user');
  const plan = async () => {
    const out: PlannedOp[] = [];
    for (const tree of [LINKS_DIR, DYNAMICUI_DIR]) {
      const st = await ctx.disk.statPath(tree);
      if (st === undefined || !st.isDirectory()) continue;
      await planRemoveTree(ctx, path.join(await ctx.disk.resolve(tree), user), out);
    }
    return out;
  };
  if (opts.dryRun) return { dryRun: true, ops: await plan(), warnings: [] };
  // Holding the lock excludes our own writers; releasing it removes the lock file, and taking
  // it breaks a stale one left by a dead process.
  const ops = await withUserLock(ctx, user, async (beforePublish) => {
    const planned = await plan();
    await beforePublish?.();
    await applyRemovals(ctx, planned);
    return planned;
  });
  if (ops.length > 0) {
    const parents = [LINKS_DIR, DYNAMICUI_DIR].map((t) => ctx.disk.host(t));
    const existing = [];
    for (const p of parents) if ((await ctx.disk.lstatOrUndefined(p))?.isDirectory()) existing.push(p);
    await syncDirs(ctx.disk, existing);
  }
  return { dryRun: false, ops, warnings: [] };
}

// ---------------------------------------------------------------------------------------------
// Export / archive

export interface ArchiveFile {
  /** File name inside `integration/links/` of the archive. */
  name: string;
  content: Uint8Array;
  mode: number;
}

/** The integration part of a pkgacct archive: the files of `links/USER` (DynamicUI is rebuilt). */
export interface IntegrationArchive {
  /** The user the files were exported from. */
  user?: string;
  files: ArchiveFile[];
}

/** Read every regular file of a directory (cPanel path) into archive form; other entries are skipped. */
async function readFilesOf(ctx: Ctx, dir: string): Promise<ArchiveFile[]> {
  const names = (await ctx.disk.readdir(dir)) ?? [];
  const files: ArchiveFile[] = [];
  for (const name of names.sort(compareCodePoints)) {
    const host = path.join(await ctx.disk.resolve(dir), name);
    const st = await ctx.disk.lstatOrUndefined(host);
    if (!st?.isFile()) continue;
    const content = await ctx.disk.readFile(`${dir}/${name}`);
    if (content !== undefined) files.push({ name, content, mode: st.mode & 0o7777 });
  }
  return files;
}

/**
 * Backup (§7.2): the contents of `links/USER`, every regular file as pkgacct copies it (strays
 * included, so a restore reports them). Taken under the user's lock for a consistent view.
 */
export async function exportUser(ctx: Ctx, user: string): Promise<IntegrationArchive> {
  assertName(user, 'user');
  const files = await withUserLock(ctx, user, () => readFilesOf(ctx, userLinksDir(user)));
  return { user, files };
}

/** Load an extracted archive directory (cPanel path of `<work>/integration/links`). */
export async function loadArchiveDir(ctx: Ctx, dir: string): Promise<IntegrationArchive> {
  return { files: await readFilesOf(ctx, dir) };
}

// ---------------------------------------------------------------------------------------------
// Restore

export interface RestoreResult {
  dryRun: boolean;
  /** Names (app, or `group_ID`) re-created. */
  restored: string[];
  /** Names that could not be restored (each has a warning). */
  failed: string[];
  warnings: string[];
  ops: PlannedOp[];
}

/** Convert parsed userconfig values the way the restore path sees them, noting each change. */
function normalizeData(obj: Record<string, JsonValue>, file: string, warnings: string[]): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null) {
      warnings.push(MSG.nullDropped(file, k));
    } else if (typeof v === 'number') {
      warnings.push(MSG.numberConverted(file, k));
      data[k] = String(v);
    } else {
      data[k] = v; // strings pass; references are refused by validation with cPanel's message
    }
  }
  return data;
}

/** The token the restore copies from `APP.adminconfig`: truthy values only (§7.3). */
function archivedToken(content: Uint8Array | undefined, file: string, warnings: string[]): string | undefined {
  if (content === undefined) return undefined;
  let v: JsonValue;
  try {
    v = decodeStrict(content, file);
  } catch (e) {
    warnings.push(MSG.badAdminConfig(file, e instanceof Error ? e.message : String(e)));
    return undefined;
  }
  if (!isPlainObject(v)) {
    warnings.push(MSG.badAdminConfig(file, MSG.notAnObject(file)));
    return undefined;
  }
  const t = v.token;
  if (t === null || t === undefined) return undefined;
  const s = typeof t === 'number' ? String(t) : t;
  if (typeof s !== 'string') {
    warnings.push(MSG.badAdminConfig(file, 'the token is not a string'));
    return undefined;
  }
  if (!truthy(s)) {
    warnings.push(MSG.falsyTokenDropped(file));
    return undefined;
  }
  return s;
}

/**
 * Restore / transfer (§7.3): replay every `*.userconfig` (with its adminconfig token when truthy)
 * through full validation under `newUser`, with the new user's theme. A failing link is a warning
 * and the others continue; unrecognized files are reported.
 */
export async function restoreUser(ctx: Ctx, archive: IntegrationArchive, newUser: string, opts: MutationOptions = {}): Promise<RestoreResult> {
  const byName = new Map(archive.files.map((f) => [f.name, f.content]));
  const result: RestoreResult = { dryRun: opts.dryRun === true, restored: [], failed: [], warnings: [], ops: [] };
  const names = [...byName.keys()].sort(compareCodePoints);
  for (const name of names) {
    if (name.endsWith(USERCONFIG_SUFFIX) && name.length > USERCONFIG_SUFFIX.length) continue;
    if (name.endsWith(ADMINCONFIG_SUFFIX) && byName.has(name.slice(0, -ADMINCONFIG_SUFFIX.length) + USERCONFIG_SUFFIX)) continue;
    result.warnings.push(MSG.unrecognizedFile(name));
  }
  for (const name of names) {
    if (!name.endsWith(USERCONFIG_SUFFIX) || name.length === USERCONFIG_SUFFIX.length) continue;
    const base = name.slice(0, -USERCONFIG_SUFFIX.length);
    const label = archive.user === undefined ? name : `integration/links/${name}`;
    try {
      const parsed = decodeStrict(byName.get(name) as Uint8Array, label);
      if (!isPlainObject(parsed)) throw new LinkstoreError('E_CORRUPT_FILE', MSG.notAnObject(label));
      const data = normalizeData(parsed, label, result.warnings);
      const token = archivedToken(byName.get(base + ADMINCONFIG_SUFFIX), `${base}${ADMINCONFIG_SUFFIX}`, result.warnings);
      if (token !== undefined) data.token = token;
      const r = base.startsWith(GROUP_PREFIX)
        ? await createGroup(ctx, newUser, base.slice(GROUP_PREFIX.length), data, opts)
        : await createLink(ctx, newUser, base, data, opts);
      result.warnings.push(...r.warnings);
      result.ops.push(...r.ops);
      result.restored.push(base);
    } catch (e) {
      if (!isLinkstoreError(e)) throw e;
      result.failed.push(base);
      result.warnings.push(MSG.restoreFailed(name, e.message));
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// DynamicUI check and rebuild (doctor, rename)

export type DynamicUiState = 'ok' | 'missing' | 'stale';

export interface DynamicUiCheck {
  /** App name, or `group_ID`. */
  name: string;
  kind: 'link' | 'group';
  /** cPanel path of the DynamicUI file. */
  path: string;
  state: DynamicUiState;
  /** The bytes the library would write for the current userconfig. */
  expected: Buffer;
}

export interface DynamicUiReport {
  entries: DynamicUiCheck[];
  /** DynamicUI files (cPanel paths) whose userconfig does not exist. */
  orphans: string[];
  /** userconfig files that could not be read (no expectation computed). */
  warnings: string[];
}

/**
 * The DynamicUI file a link or group should have, recomputed from its userconfig and the user's
 * current theme. Returns the path and bytes; E_NO_SUCH_LINK/E_NO_SUCH_GROUP when it has none.
 */
export async function expectedDynamicUi(ctx: Ctx, user: string, name: string, icons = themeCache(ctx)): Promise<{ path: string; content: Buffer; kind: 'link' | 'group' }> {
  assertName(user, 'user');
  assertName(name, 'app');
  const facts = await userFacts(ctx.users, user);
  const sizes = await icons(facts.theme);
  const u = userconfigPath(user, name);
  const p = dynamicUiPath(user, name);
  if (name.startsWith(GROUP_PREFIX)) {
    const cfg = await readJson<IntegrationGroupUserConfig>(ctx, 'integration-group-userconfig', u, () =>
      new LinkstoreError('E_NO_SUCH_GROUP', MSG.cannotOpen(u), { path: ctx.disk.host(u) }),
    );
    const id = name.slice(GROUP_PREFIX.length);
    return { path: p, kind: 'group', content: encodeFile('dynamicui-group', [groupEntry(id, cfg, sizes.group)], p) };
  }
  const cfg = await readJson<IntegrationUserConfig>(ctx, 'integration-userconfig', u, () =>
    new LinkstoreError('E_NO_SUCH_LINK', MSG.cannotOpen(u), { path: ctx.disk.host(u) }),
  );
  return { path: p, kind: 'link', content: encodeFile('dynamicui-link', [linkEntry(name, cfg, sizes.feature)], p) };
}

/** Compare every DynamicUI file of a user with what its userconfig implies. Read-only. */
export async function checkDynamicUi(ctx: Ctx, user: string): Promise<DynamicUiReport> {
  assertName(user, 'user');
  const icons = themeCache(ctx);
  const report: DynamicUiReport = { entries: [], orphans: [], warnings: [] };
  const linkNames = ((await ctx.disk.readdir(userLinksDir(user))) ?? [])
    .filter((n) => !n.startsWith('.') && n.endsWith(USERCONFIG_SUFFIX) && n.length > USERCONFIG_SUFFIX.length)
    .map((n) => n.slice(0, -USERCONFIG_SUFFIX.length))
    .sort(compareCodePoints);
  for (const name of linkNames) {
    try {
      const exp = await expectedDynamicUi(ctx, user, name, icons);
      const cur = await ctx.disk.readFile(exp.path);
      const state: DynamicUiState = cur === undefined ? 'missing' : cur.equals(exp.content) ? 'ok' : 'stale';
      report.entries.push({ name, kind: exp.kind, path: exp.path, state, expected: exp.content });
    } catch (e) {
      if (!isLinkstoreError(e) || e.code === 'E_NO_SUCH_USER' || e.code === 'E_NOT_CPANEL_USER') throw e;
      report.warnings.push(MSG.unreadableUserconfig(ctx.disk.host(userconfigPath(user, name)), e.message));
    }
  }
  const known = new Set(linkNames);
  for (const n of (await ctx.disk.readdir(userDynamicUiDir(user))) ?? []) {
    if (!n.startsWith(DYNAMICUI_PREFIX) || !n.endsWith(DYNAMICUI_SUFFIX)) continue;
    const name = n.slice(DYNAMICUI_PREFIX.length, -DYNAMICUI_SUFFIX.length);
    if (!known.has(name)) report.orphans.push(`${userDynamicUiDir(user)}/${n}`);
  }
  report.orphans.sort(compareCodePoints);
  return report;
}

/**
 * Rewrite every missing or stale DynamicUI file of a user from its userconfig (e.g. after a theme
 * change or a rename). Orphans are left to the caller (`checkDynamicUi` lists them).
 */
export async function rebuildDynamicUi(ctx: Ctx, user: string, opts: MutationOptions = {}): Promise<MutationResult> {
  await assertAccount(ctx.users, user);
  const facts = await userFacts(ctx.users, user);
  const planFor = (r: DynamicUiReport): FileOp[] =>
    r.entries.filter((e) => e.state !== 'ok').map((e) => ({ op: 'write', path: e.path, content: e.expected, mode: DYNAMICUI_MODE, uid: 0, gid: 0 }));
  if (opts.dryRun) {
    const r = await checkDynamicUi(ctx, user);
    return { dryRun: true, ops: describeOps(ctx.disk, planFor(r)), warnings: r.warnings };
  }
  if ((await ctx.disk.statPath(userLinksDir(user))) === undefined) return { dryRun: false, ops: [], warnings: [] };
  await ensureDirs(ctx.disk, userDirSpecs(user, facts.gid));
  return withUserLock(ctx, user, async (beforePublish) => {
    const r = await checkDynamicUi(ctx, user);
    const ops = planFor(r);
    await commitFiles(ctx.disk, ops, { beforePublish });
    return { dryRun: false, ops: describeOps(ctx.disk, ops), warnings: r.warnings };
  });
}

// ---------------------------------------------------------------------------------------------
// Rename

/**
 * Account rename (§7.5): move `links/OLD` and `dynamicui/OLD` to NEW, give them NEW's gid, and
 * rebuild the DynamicUI files with NEW's theme. NEW must already be a cPanel account (the rename
 * happened); an existing non-empty NEW directory is refused rather than merged.
 */
export async function renameUser(ctx: Ctx, oldUser: string, newUser: string, opts: MutationOptions = {}): Promise<MutationResult> {
  assertName(oldUser, 'user');
  assertName(newUser, 'newuser');
  await assertAccount(ctx.users, newUser);
  const facts = await userFacts(ctx.users, newUser);
  if (oldUser === newUser) return rebuildDynamicUi(ctx, newUser, opts);
  const linksSt = await ctx.disk.statPath(LINKS_DIR);
  if (linksSt === undefined) return { dryRun: opts.dryRun === true, ops: [], warnings: [] };

  const moves = async () => {
    const out: { from: string; to: string; toExists: boolean }[] = [];
    for (const tree of [LINKS_DIR, DYNAMICUI_DIR]) {
      const st = await ctx.disk.statPath(tree);
      if (st === undefined) continue;
      const base = await ctx.disk.resolve(tree);
      const from = path.join(base, oldUser);
      const to = path.join(base, newUser);
      const fst = await ctx.disk.lstatOrUndefined(from);
      if (fst === undefined) continue;
      if (!fst.isDirectory()) throw new LinkstoreError(fst.isSymbolicLink() ? 'E_SYMLINK' : 'E_NOT_DIRECTORY', `“${from}” must be a directory.`, { path: from });
      const tst = await ctx.disk.lstatOrUndefined(to);
      if (tst !== undefined && (!tst.isDirectory() || (await ctx.disk.p.readdir(to)).length > 0)) {
        throw new LinkstoreError('E_INVALID_PARAM', MSG.renameTargetBusy(to), { path: to, param: 'newuser' });
      }
      out.push({ from, to, toExists: tst !== undefined });
    }
    return out;
  };
  const planned = (m: Awaited<ReturnType<typeof moves>>): PlannedOp[] =>
    m.flatMap((x) => [
      ...(x.toExists ? [{ op: 'rmdir' as const, path: x.to }] : []),
      // PlannedOp has no "rename": a move shows as the new directory appearing and the old going.
      { op: 'mkdir' as const, path: x.to, mode: '0750', owner: `0:${facts.gid}` },
      { op: 'rmdir' as const, path: x.from },
    ]);
  if (opts.dryRun) return { dryRun: true, ops: planned(await moves()), warnings: [] };

  const locks = [oldUser, newUser].sort(compareCodePoints).map((u) => ({ path: userLockDataPath(u), mode: USER_DIR_MODE }));
  const ops = await withDotLocks(ctx.disk, locks, ctx.lock, async (held) => {
    const m = await moves();
    for (const l of held) await l.verify();
    for (const x of m) {
      try {
        if (x.toExists) await ctx.disk.p.rmdir(x.to);
        await ctx.disk.p.rename(x.from, x.to);
      } catch (e) {
        throw ioError(e, 'move', x.from);
      }
    }
    await ensureDirs(ctx.disk, userDirSpecs(newUser, facts.gid));
    await syncDirs(ctx.disk, [ctx.disk.host(LINKS_DIR), ctx.disk.host(DYNAMICUI_DIR)]);
    return planned(m);
  });
  const rebuilt = await rebuildDynamicUi(ctx, newUser);
  return { dryRun: false, ops: [...ops, ...rebuilt.ops], warnings: rebuilt.warnings };
}
