/**
 * Doctor for `/var/cpanel/authn` (authn-links.md §2, §4, §6; cpanel-locking.md §8): modes and
 * owners, symlinks, corrupt and 0-byte DBs, stale dot-locks and Transaction debris, link
 * directories of system users that no longer exist, and LinkDB drift (repaired by rebuilding
 * the LinkDB from the authoritative per-user DBs).
 */
import { posix as path } from 'node:path';
import type { PortStats } from '../io/fs-port.js';
import { isLinkstoreError } from '../io/errors.js';
import { pace } from '../io/pace.js';
import type { SchemaId } from '../generated/schemas.js';
import {
  AUTHN_DIR,
  CLIENT_CONFIG_BASE,
  CLIENT_CONFIG_DIR,
  LINKS_DIR,
  LOGIN_DIR,
  MODE,
  OIDC_LINKS_DIR,
  SERVICES,
  SERVICE_DIR,
  USERS_DIR,
  linkUserFromEntry,
} from '../authn/index.js';
import type { AuthnStore } from '../authn/index.js';
import { checkDrift } from '../authn/maint.js';
import { authnContext } from '../authn/store.js';
import type { DriftEntry } from '../authn/index.js';
import type { UserLookup } from '../users/lookup.js';
import { resolveRoot } from './integration.js';
import {
  checkDebris,
  checkLocks,
  checkNode,
  classify,
  deferred,
  ENTRIES_PER_STEP,
  entryPath,
  inScope,
  jsonProblem,
  listDir,
  lockState,
  removeIfUnchanged,
  report,
  scanEach,
  type DirLocks,
  type NodeSpec,
  type ScanCtx,
} from './scan.js';
import type { Finding } from './types.js';

const area = 'authn' as const;
const root = { uid: 0, gid: 0 };

/** The directories of the tree, with cPanel's modes. */
const DIRS: ReadonlyArray<readonly [string, number]> = [
  [AUTHN_DIR, MODE.dir],
  [LINKS_DIR, MODE.dir],
  [USERS_DIR, MODE.dir],
  [OIDC_LINKS_DIR, MODE.loginDir],
  [LOGIN_DIR, MODE.loginDir],
  [SERVICE_DIR, MODE.dir],
  [CLIENT_CONFIG_BASE, MODE.dir],
  [CLIENT_CONFIG_DIR, MODE.dir],
];

/** What a data file in one of the tree-wide directories must be, or undefined when it is not ours. */
function globalFileSpec(dir: string, name: string): { spec: NodeSpec; schema?: SchemaId; db: boolean } | undefined {
  if (dir === LOGIN_DIR)
    return linkUserFromEntry(name) === undefined ? undefined : { spec: { type: 'file', mode: MODE.linkDb, ...root }, schema: 'authn-linkdb', db: true };
  if (dir === SERVICE_DIR)
    return (SERVICES as readonly string[]).includes(name)
      ? { spec: { type: 'file', mode: MODE.serviceFile, ...root }, schema: 'authn-service', db: false }
      : undefined;
  if (dir === CLIENT_CONFIG_DIR) {
    if (name.endsWith('.display_configurations') && name.startsWith('.'))
      return { spec: { type: 'file', mode: MODE.displayConfig, ...root }, schema: 'authn-display-config', db: false };
    if (name.endsWith('.well_known_config') && name.startsWith('.')) return { spec: { type: 'file', mode: MODE.displayConfig, ...root }, db: false };
    if (!name.startsWith('.')) return { spec: { type: 'file', mode: MODE.clientConfig, ...root }, schema: 'authn-client-config', db: false };
  }
  return undefined;
}

export async function scanAuthn(sc: ScanCtx, users: UserLookup, store: AuthnStore): Promise<void> {
  const base = await resolveRoot(sc, AUTHN_DIR, area);
  if (base === undefined || !base.st.isDirectory()) {
    if (base !== undefined && inScope(sc, null)) await checkNode(sc, { user: null, area }, base.host, base.st, { type: 'dir', mode: MODE.dir, ...root });
    return;
  }
  const hostOf = (cp: string) => path.join(base.host, path.relative(AUTHN_DIR, cp));
  const usable = new Set<string>();
  for (const [dir, mode] of DIRS) {
    const host = hostOf(dir);
    const st = await sc.disk.lstatOrUndefined(host);
    if (st === undefined) continue;
    // A parent that is not a usable directory hides its children.
    const parent = path.dirname(dir);
    if (dir !== AUTHN_DIR && !usable.has(parent)) continue;
    const ok = inScope(sc, null) ? await checkNode(sc, { user: null, area }, host, st, { type: 'dir', mode, ...root }) : st.isDirectory();
    if (ok) usable.add(dir);
  }
  for (const dir of [LOGIN_DIR, SERVICE_DIR, CLIENT_CONFIG_DIR, AUTHN_DIR, LINKS_DIR, OIDC_LINKS_DIR, CLIENT_CONFIG_BASE]) {
    if (usable.has(dir) && inScope(sc, null)) await scanFiles(sc, hostOf(dir), null, (name) => globalFileSpec(dir, name));
  }
  if (usable.has(USERS_DIR)) await scanUsers(sc, users, hostOf(USERS_DIR));
  await checkDriftFindings(sc, users, store);
}

/**
 * Locks, debris and data files of one directory. `specOf` says what a data entry must be
 * (undefined: not a data file of ours, only symlinks are reported).
 */
async function scanFiles(
  sc: ScanCtx,
  dirHost: string,
  user: string | null,
  specOf: (name: string) => { spec: NodeSpec; schema?: SchemaId; db: boolean } | undefined,
): Promise<void> {
  const entries = await listDir(sc.disk, dirHost);
  const locks: DirLocks = await checkLocks(sc, area, dirHost, entries, () => user);
  const who = { user, area };
  const lockLive = (lock: string) => {
    const s = locks.states.get(lock);
    return s !== undefined && s !== 'stale';
  };
  let n = 0;
  for (const [name, st] of entries) {
    if (++n % ENTRIES_PER_STEP === 0) await pace();
    const host = entryPath(dirHost, name);
    const cls = classify(name, area);
    if (cls.kind === 'lock') continue;
    if (cls.kind !== 'data') {
      const isProtected =
        cls.kind === 'lock_temp'
          ? lockLive(cls.lock)
          : cls.kind === 'txn_temp'
            ? lockLive(`${cls.target}.lock`)
            : cls.kind === 'our_temp'
              ? locks.anyLive
              : false;
      await checkDebris(sc, who, host, st, cls, isProtected);
      continue;
    }
    if (!inScope(sc, user)) continue;
    const want = specOf(name);
    if (want === undefined) {
      if (st.isSymbolicLink()) await checkNode(sc, who, host, st, { type: 'file', mode: 0 });
      continue;
    }
    // A 0-byte DB is removed as debris: checked first, so that no mode or owner finding is
    // reported (and repaired) on a file the same run removes.
    const emptyDb = want.db && st.isFile() && st.size === 0;
    if (!emptyDb && !(await checkNode(sc, who, host, st, want.spec))) continue;
    const problem = emptyDb ? 'empty' : await jsonProblem(sc.disk, host, want.schema);
    if (problem === undefined) continue;
    if (problem === 'empty' && want.db) {
      const inUse = lockLive(`${name}.lock`);
      await report(
        sc,
        {
          ...who,
          kind: 'empty_db',
          path: host,
          detail: `A 0-byte DB: debris of an abandoned write; cPanel's restore refuses it.${inUse ? ' Its lock is held, so it is left alone for now.' : ''}`,
        },
        inUse ? undefined : () => removeEmpty(sc, host, st),
      );
    } else {
      await report(sc, {
        ...who,
        kind: 'corrupt_json',
        path: host,
        detail: problem === 'empty' ? 'The file is empty (0 bytes). Restore it from a backup or remove it.' : problem,
      });
    }
  }
}

async function removeEmpty(sc: ScanCtx, host: string, st: PortStats): Promise<string> {
  if (st.size !== 0) throw new Error(`“${host}” is no longer empty`);
  return removeIfUnchanged(sc.disk, host, st);
}

async function scanUsers(sc: ScanCtx, users: UserLookup, usersHost: string): Promise<void> {
  const entries = await listDir(sc.disk, usersHost);
  const dirs: [string, PortStats][] = [];
  for (const [name, st] of entries) {
    if (st.isDirectory() || (st.isSymbolicLink() && !name.startsWith('.'))) dirs.push([name, st]);
  }
  // Files directly in users/ are never data; only debris and locks are judged there.
  if (inScope(sc, null)) await scanFiles(sc, usersHost, null, () => undefined);
  await scanEach(
    sc,
    dirs.filter(([sysuser]) => inScope(sc, sysuser)),
    (sc, [sysuser, st]) => scanSysuser(sc, users, usersHost, sysuser, st),
  );
}

/** One system user's links directory: the directory itself, its owner's account, its DBs. */
async function scanSysuser(sc: ScanCtx, users: UserLookup, usersHost: string, sysuser: string, st: PortStats): Promise<void> {
  const host = entryPath(usersHost, sysuser);
  if (!(await checkNode(sc, { user: sysuser, area }, host, st, { type: 'dir', mode: MODE.dir, ...root }))) return;
  let gid: number | undefined = 0;
  if (sysuser !== 'root') {
    const pw = await users.passwdEntry(sysuser);
    gid = (await users.groupGid(sysuser)) ?? pw?.gid;
    if (pw === undefined) {
      await report(sc, {
        user: sysuser,
        area,
        kind: 'missing_user',
        path: host,
        detail: `The system user “${sysuser}” no longer exists, but its External Authentication links remain. Remove them (account removal does) or restore the account.`,
      });
    } else if (!(await users.isCpanelAccount(sysuser))) {
      await report(sc, {
        user: sysuser,
        area,
        kind: 'missing_user',
        path: host,
        detail: `“${sysuser}” is not a cPanel account, so these links cannot be used or indexed. Remove them or restore the account.`,
      });
    }
  }
  await scanFiles(sc, host, sysuser, (name) =>
    linkUserFromEntry(name) === undefined ? undefined : { spec: { type: 'file', mode: MODE.userDb, uid: 0, gid }, schema: 'authn-user-db', db: true },
  );
}

/** Whether the dot-lock at `lockCpanelPath` is held (a live or just-created lock), without waiting for it. */
async function lockHeld(sc: ScanCtx, lockCpanelPath: string): Promise<boolean> {
  const host = sc.disk.host(lockCpanelPath);
  const st = await sc.disk.lstatOrUndefined(host).catch(() => undefined);
  if (st === undefined || !st.isFile()) return st !== undefined;
  return (await lockState(sc, host, st)).state !== 'stale';
}

const DRIFT_TEXT: Partial<Record<DriftEntry['kind'], string>> = {
  missing_in_linkdb: 'is in the per-user DB but not in the LinkDB: logins with it fail',
  extra_in_linkdb: 'is in the LinkDB but in no per-user DB: a stale login path',
  user_info_differs: 'has different user-info in the LinkDB and the per-user DB',
  user_map_missing: 'is missing from the LinkDB’s user map',
  user_map_extra: 'is in the LinkDB’s user map but in no per-user DB',
};

/** The system user a link user belongs to (its domain's owner for `local@domain`). */
async function sysuserOf(users: UserLookup, linkuser: string): Promise<string> {
  const at = linkuser.lastIndexOf('@');
  if (at === -1) return linkuser;
  return (await users.domainOwner(linkuser.slice(at + 1))) ?? linkuser;
}

async function checkDriftFindings(sc: ScanCtx, users: UserLookup, store: AuthnStore): Promise<void> {
  let drift: DriftEntry[];
  try {
    // Through the scan's disk view and look-ups, so that what the scan read is not read again.
    drift = await checkDrift({ ...authnContext(store), disk: sc.disk, users });
  } catch (e) {
    if (!isLinkstoreError(e)) throw e;
    // A corrupt LinkDB is already reported above; the comparison cannot run past it.
    if (inScope(sc, null))
      await report(sc, {
        user: null,
        area,
        kind: 'check_failed',
        path: e.path ?? sc.disk.host(LOGIN_DIR),
        detail: `The LinkDB drift check could not run: ${e.message}`,
      });
    return;
  }
  // One finding per link: a missing LinkDB entry usually shows in both of its maps.
  const merged = new Map<string, { d: DriftEntry; texts: string[] }>();
  for (const d of drift) {
    const text = DRIFT_TEXT[d.kind];
    if (text === undefined || d.provider === undefined) continue; // file-level kinds are reported by the scan
    const key = `${d.provider}\0${d.linkuser ?? ''}\0${d.subject ?? ''}`;
    const m = merged.get(key) ?? { d, texts: [] };
    m.texts.push(text);
    merged.set(key, m);
  }
  const byProvider = new Map<string, Finding[]>();
  for (const { d, texts } of merged.values()) {
    const provider = d.provider as string;
    const user = d.linkuser === undefined ? null : await sysuserOf(users, d.linkuser);
    if (!inScope(sc, user)) continue;
    const f = deferred(sc, {
      user,
      area,
      kind: 'linkdb_drift',
      path: sc.disk.host(path.join(LOGIN_DIR, `${provider}.db`)),
      detail: `The ${provider} link of “${d.linkuser}” (subject “${d.subject}”) ${texts.join('; it ')}.`,
    });
    const list = byProvider.get(provider) ?? [];
    list.push(f);
    byProvider.set(provider, list);
  }
  if (!sc.fix) return;
  for (const [provider, list] of byProvider) {
    if (await lockHeld(sc, path.join(LOGIN_DIR, `${provider}.db.lock`))) {
      for (const f of list) f.detail += ' Not fixed: the LinkDB’s lock is held by a running process; run doctor --fix again later.';
      continue;
    }
    try {
      await store.rebuildLinkDb({ provider }, { includeRoot: true });
      for (const f of list) {
        f.fixed = true;
        f.detail += ' Fixed: LinkDB rebuilt from the per-user DBs.';
      }
    } catch (e) {
      if (!isLinkstoreError(e)) throw e;
      for (const f of list) f.detail += ` The fix failed: ${e.message}`;
    }
  }
}
