/**
 * What every authn operation needs: the disk, the user lookup, a clock, the email-user check and
 * the server hostname; plus the transaction runner every mutation goes through.
 */
import { posix as path } from 'node:path';
import { changedOps, commitFiles, describeOps, isPublishedFailure, type FileOp } from '../io/commit.js';
import { DirChangeLog, ensureDirs, planDirs, undoDirChanges, type DirSpec } from '../io/dirs.js';
import type { Disk } from '../io/disk.js';
import type { FileMemo } from '../io/file-memo.js';
import type { PlannedWrites } from '../io/planned-writes.js';
import type { AuthnServiceFile } from '../generated/schemas.js';
import type { LinkDbIndex } from './linked-accounts.js';
import { withDotLocks, verifyAll } from '../io/dot-lock.js';
import { LinkstoreError } from '../io/errors.js';
import { nodeNameProblem } from '../io/node-name.js';
import type { UserLookup } from '../users/lookup.js';
import { userDbPath } from './constants.js';
import { MSG } from './messages.js';

/** An email account to check: `local@domain`, whose domain belongs to the system user `owner`. */
export interface MailUserQuery {
  local: string;
  domain: string;
  owner: string;
}

export interface AuthnContext {
  readonly disk: Disk;
  readonly users: UserLookup;
  /** Current time in epoch seconds. */
  nowSeconds(): number;
  mailUserExists(q: MailUserQuery): Promise<boolean>;
  /** The server hostname used in redirect URIs. */
  hostname(): Promise<string>;
  /** Service files as last read, re-read when they change (for the read-only "enabled" check). */
  readonly serviceFiles: FileMemo<AuthnServiceFile>;
  /** LinkDBs as last read, indexed by user (get_users_authn_linked_accounts), re-read when they change. */
  readonly linkDbIndex?: FileMemo<LinkDbIndex>;
}

export type { MutationOptions, MutationResult } from '../io/plan.js';
import type { MutationResult } from '../io/plan.js';

function dedupeDirs(specs: readonly DirSpec[]): DirSpec[] {
  const seen = new Set<string>();
  return specs.filter((s) => (seen.has(s.path) ? false : (seen.add(s.path), true)));
}

/**
 * Fast path: every directory already exists as a real directory with its mode (and owner). The
 * directories are resolved through `disk` (a scoped view, parents first), so this both checks them
 * and leaves them resolved for the reads, locks and commit that follow. Anything else goes through
 * planDirs/ensureDirs, which walk, explain and repair.
 */
async function dirsInPlace(disk: Disk, dirs: readonly DirSpec[]): Promise<boolean> {
  for (const d of dirs) {
    const st = (await disk.resolveStat(d.path)).stat;
    const ok = st !== undefined && st.isDirectory() && (st.mode & 0o7777) === d.mode && (!disk.owners || (st.uid === d.uid && st.gid === d.gid));
    if (!ok) return false;
  }
  return true;
}

/**
 * One cPanel-compatible Transaction over one or more files: make the directories, take the
 * dot-locks in the given order, let `compute` read (through the disk it is given) and return the
 * file operations, commit them durably (checking the locks just before publishing), release. In a
 * dry run the directories are planned, `compute` runs without locks and nothing is written; with
 * `planned` (a step of a longer dry run) it reads and is compared with what earlier steps plan.
 *
 * The whole transaction works on a scoped view of the disk (`Disk.scoped`): each directory is
 * resolved once, and the commit keeps what `compute` read as its rollback copy.
 */
export async function transact(
  ctx: AuthnContext,
  t: { dirs: readonly DirSpec[]; locks: readonly { path: string; mode: number }[]; dryRun?: boolean; planned?: PlannedWrites },
  compute: (disk: Disk) => Promise<FileOp[]>,
): Promise<MutationResult> {
  const dirs = dedupeDirs(t.dirs);
  let disk = ctx.disk.scoped();
  const dirOps = (await dirsInPlace(disk, dirs).catch(() => false)) ? [] : await planDirs(ctx.disk, dirs);
  if (t.dryRun) {
    const planned = t.planned;
    const files = planned ? await planned.changed(disk, await compute(disk.withPlannedWrites(planned))) : await changedOps(disk, await compute(disk));
    const ops = [...dirOps, ...describeOps(disk, files)];
    return { dryRun: true, ops, changed: ops.length > 0, warnings: [] };
  }
  const dirLog = new DirChangeLog();
  const warnings: string[] = [];
  try {
    if (dirOps.length > 0) {
      // Run the same reads and checks once, unlocked, before making any directory: a corrupt file or
      // a refused value then fails with nothing created (files are replaced by rename, so every read
      // sees a whole file). Only the first write into a new tree pays for this.
      await compute(disk);
      await ensureDirs(ctx.disk, dirs, dirLog);
      // Directories were made or repaired: resolve afresh.
      disk = ctx.disk.scoped();
    }
    const locked = disk;
    const ops = await withDotLocks(locked, t.locks, { warnings }, async (held) => {
      // Files that already hold what the edit computes are not rewritten (same inode, same mtime).
      const outcome = await commitFiles(locked, await compute(locked), { beforePublish: verifyAll(held) });
      return outcome.applied;
    });
    const done = [...dirOps, ...describeOps(disk, ops)];
    return { dryRun: false, ops: done, changed: done.length > 0, warnings };
  } catch (e) {
    // Failed before publishing: leave the tree as it was, directories included.
    if (!isPublishedFailure(e)) await undoDirChanges(ctx.disk, dirLog);
    throw e;
  }
}

/** Where a link user's DB lives. */
export interface LinkUserRef {
  /** The link user: a system user, `root`, or `local@domain`. */
  linkuser: string;
  /** The owning system user (directory name). */
  sysuser: string;
  /** cPanel path of the per-user DB. */
  dbPath: string;
  email?: { local: string; domain: string };
}

function noUser(u: string): LinkstoreError {
  return new LinkstoreError('E_NO_SUCH_USER', MSG.userNotFound(u), { param: 'user' });
}

/**
 * The link user `given` names: `local%domain` (no `@`) is the email account `local@domain`, as
 * cPanel's mail-user check reads it (verified-against-cpanel.md §3: a name with `@` or `%` is not
 * a system user). The specs do not say where cPanel would keep such a user's links; one mailbox
 * keeps one DB here, named with `@` like every email user's.
 */
export function linkUserName(given: string): string {
  if (given.includes('@')) return given;
  const pct = given.indexOf('%');
  return pct === -1 ? given : `${given.slice(0, pct)}@${given.slice(pct + 1)}`;
}

/**
 * Find the DB of a link user without checking that the account exists. For `local@domain` (or
 * `local%domain`) both parts must be node names and the address a valid cPanel email address
 * (else cPanel's InvalidParameter “X” is not a valid account name.); the owner comes from
 * /etc/userdomains, and an unknown domain is E_NO_SUCH_USER (verified-against-cpanel.md §3).
 * Messages name the user as given.
 */
export async function locateLinkUser(ctx: AuthnContext, given: string): Promise<LinkUserRef> {
  const user = linkUserName(given);
  const at = user.indexOf('@');
  let sysuser = user;
  let email: LinkUserRef['email'];
  if (at !== -1) {
    const local = user.slice(0, at);
    const domain = user.slice(at + 1);
    if (!isValidMailAddress(local, domain)) throw new LinkstoreError('E_INVALID_NAME', MSG.notValidAccountName(given), { param: 'user' });
    const owner = await ctx.users.domainOwner(domain);
    if (owner === undefined || owner === 'nobody' || owner === '') throw noUser(given);
    sysuser = owner;
    email = { local, domain };
  }
  if (nodeNameProblem(sysuser) !== undefined) throw noUser(given);
  if (nodeNameProblem(`${user}.db`) !== undefined) {
    throw new LinkstoreError('E_INVALID_NAME', MSG.linkUserTooLong(given), { param: 'user' });
  }
  return { linkuser: user, sysuser, dbPath: userDbPath(sysuser, user), email };
}

/** §7.1 step 6: the link user exists (root always; a cPanel account; or an existing mail account). */
export async function linkUserExists(ctx: AuthnContext, ref: LinkUserRef): Promise<boolean> {
  if (ref.email) return ctx.mailUserExists({ local: ref.email.local, domain: ref.email.domain, owner: ref.sysuser });
  return ref.linkuser === 'root' || ctx.users.isCpanelAccount(ref.linkuser);
}

/** Locate and require an existing link user (E_NO_SUCH_USER with cPanel's message). */
export async function requireLinkUser(ctx: AuthnContext, user: string): Promise<LinkUserRef> {
  const ref = await locateLinkUser(ctx, user);
  if (!(await linkUserExists(ctx, ref))) throw noUser(user);
  return ref;
}

/** gid of the per-user DB: the group named like the system user (`root` → 0). */
export async function sysuserGid(ctx: AuthnContext, sysuser: string): Promise<number> {
  if (sysuser === 'root') return 0;
  const gid = (await ctx.users.groupGid(sysuser)) ?? (await ctx.users.passwdEntry(sysuser))?.gid;
  if (gid === undefined) throw new LinkstoreError('E_NO_SUCH_USER', MSG.noGroup(sysuser), { param: 'user' });
  return gid;
}

/**
 * Default email-user check, cPanel's rule (`does_mail_user_exist`, verified-against-cpanel.md §3):
 * the account exists exactly when `<owner's home>/mail/<domain>/<local>` exists, of any type.
 * Case is not folded, and `etc/<domain>/passwd` is not consulted. The path lies in a tree the
 * cPanel user owns, so it is only ever stat-ed, never opened (a FIFO there cannot block us); a
 * path that leaves the root prefix counts as missing.
 */
export function fileMailUserExists(disk: Disk, users: UserLookup): (q: MailUserQuery) => Promise<boolean> {
  return async (q) => {
    if (nodeNameProblem(q.domain) !== undefined || nodeNameProblem(q.local) !== undefined) return false;
    const home = (await users.passwdEntry(q.owner))?.home;
    if (home === undefined || !home.startsWith('/')) return false;
    try {
      return (await disk.statPath(path.join(home, 'mail', q.domain, q.local))) !== undefined;
    } catch (e) {
      if (e instanceof LinkstoreError && (e.code === 'E_OUTSIDE_ROOT' || e.code === 'E_SYMLINK' || e.code === 'E_IO')) return false;
      throw e;
    }
  };
}

/** A valid cPanel email address: node-name parts, a dot-atom local part, a host-name domain. */
export function isValidMailAddress(local: string, domain: string): boolean {
  if (nodeNameProblem(local) !== undefined || nodeNameProblem(domain) !== undefined) return false;
  if (!/^[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+)*$/.test(local)) return false;
  return domain.length <= 253 && /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(domain);
}
