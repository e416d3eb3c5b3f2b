/**
 * Doctor for `/var/cpanel/integration` (integration-links.md §1, §8): modes and owners, symlinks,
 * corrupt files, writer debris and stale per-user locks (`links/USER.lock`), orphan adminconfigs,
 * DynamicUI files missing, stale or orphaned, and links of users that are no longer accounts.
 */
import { posix as path } from 'node:path';
import type { PortStats } from '../io/fs-port.js';
import { isLinkstoreError } from '../io/errors.js';
import { pace } from '../io/pace.js';
import type { IntegrationStore } from '../integration/index.js';
import { checkDynamicUi as compareDynamicUi } from '../integration/dynamicui-check.js';
import { integrationContext } from '../integration/store.js';
import {
  ADMINCONFIG_MODE,
  ADMINCONFIG_SUFFIX,
  BASE_DIR_MODE,
  DYNAMICUI_DIR,
  DYNAMICUI_MODE,
  DYNAMICUI_PREFIX,
  DYNAMICUI_SUFFIX,
  GROUP_PREFIX,
  INTEGRATION_DIR,
  LINKS_DIR,
  USERCONFIG_MODE,
  USERCONFIG_SUFFIX,
  USER_DIR_MODE,
} from '../integration/index.js';
import type { UserLookup } from '../users/lookup.js';
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
  report,
  scanEach,
  type DirLocks,
  type ScanCtx,
} from './scan.js';
import type { Finding } from './types.js';

const area = 'integration' as const;

interface UserState {
  /** Both per-user directories are real directories (or absent): safe to run the DynamicUI check. */
  dirsOk: boolean;
  seenIn: string[];
}

/** Resolve a tree root; a symlinked root (or parent inside the tree) is reported and skipped. */
export async function resolveRoot(sc: ScanCtx, cpanelPath: string, who: Finding['area']): Promise<{ host: string; st: PortStats } | undefined> {
  try {
    const { host, stat } = await sc.disk.resolveStat(cpanelPath);
    return stat === undefined ? undefined : { host, st: stat };
  } catch (e) {
    if (!isLinkstoreError(e)) throw e;
    if (inScope(sc, null))
      await report(sc, {
        user: null,
        area: who,
        kind: e.code === 'E_SYMLINK' ? 'symlink' : 'check_failed',
        path: e.path ?? sc.disk.host(cpanelPath),
        detail: e.message,
      });
    return undefined;
  }
}

export async function scanIntegration(sc: ScanCtx, users: UserLookup, store: IntegrationStore): Promise<void> {
  const base = await resolveRoot(sc, INTEGRATION_DIR, area);
  if (base === undefined) return;
  if (inScope(sc, null) && !(await checkNode(sc, { user: null, area }, base.host, base.st, { type: 'dir', mode: BASE_DIR_MODE, uid: 0, gid: 0 }))) return;
  if (!base.st.isDirectory()) return;

  const perUser = new Map<string, UserState>();
  let userLocks: DirLocks = { states: new Map(), anyLive: false };

  for (const tree of [LINKS_DIR, DYNAMICUI_DIR]) {
    const treeHost = path.join(base.host, path.basename(tree));
    const st = await sc.disk.lstatOrUndefined(treeHost);
    if (st === undefined) continue;
    if (!inScope(sc, null)) {
      if (!st.isDirectory()) continue;
    } else if (!(await checkNode(sc, { user: null, area }, treeHost, st, { type: 'dir', mode: BASE_DIR_MODE, uid: 0, gid: 0 }))) continue;
    const entries = await listDir(sc.disk, treeHost);

    if (tree === LINKS_DIR) {
      // Per-user locks live here, outside the per-user directories: `USER.lock`.
      userLocks = await checkLocks(sc, area, treeHost, entries, (n) => n.slice(0, -'.lock'.length));
    }
    // Per-user state first, in entry order (the later DynamicUI check walks it in that order).
    let n = 0;
    for (const [name, est] of entries) {
      if (++n % ENTRIES_PER_STEP === 0) await pace();
      if (classify(name, area).kind !== 'data' || !(est.isDirectory() || est.isSymbolicLink()) || !inScope(sc, name)) continue;
      const state = perUser.get(name) ?? { dirsOk: true, seenIn: [] };
      perUser.set(name, state);
      state.seenIn.push(entryPath(treeHost, name));
    }
    await scanEach(sc, entries, (sc, [name, est]) => scanTreeEntry(sc, users, { tree, treeHost, userLocks, perUser }, name, est));
  }

  await scanEach(sc, perUser, async (sc, [user, state]) => {
    if (!(await users.isCpanelAccount(user))) {
      const why = (await users.passwdEntry(user)) === undefined ? 'no longer exists' : 'is no longer a cPanel account';
      await report(sc, {
        user,
        area,
        kind: 'missing_user',
        path: state.seenIn[0] as string,
        detail: `The user “${user}” ${why}, but integration files remain for it. Remove them (account removal purges them) or restore the account.`,
      });
      return;
    }
    const lock = userLocks.states.get(`${user}.lock`);
    if (state.dirsOk) await checkDynamicUi(sc, users, store, user, lock !== undefined && lock !== 'stale');
  });
}

interface TreeScan {
  tree: string;
  treeHost: string;
  userLocks: DirLocks;
  perUser: ReadonlyMap<string, UserState>;
}

/** One entry of `links/` or `dynamicui/`: writer debris, or a user's directory (checked, then scanned). */
async function scanTreeEntry(sc: ScanCtx, users: UserLookup, t: TreeScan, name: string, est: PortStats): Promise<void> {
  const host = entryPath(t.treeHost, name);
  const cls = classify(name, area);
  if (cls.kind === 'lock') return;
  if (cls.kind !== 'data') {
    const owner = cls.kind === 'lock_temp' ? cls.lock.slice(0, -'.lock'.length) : null;
    await checkDebris(sc, { user: owner, area }, host, est, cls, cls.kind === 'lock_temp' && t.userLocks.states.get(cls.lock) === 'live');
    return;
  }
  if (!est.isDirectory() && !est.isSymbolicLink()) return; // not ours to judge
  if (!inScope(sc, name)) return;
  const state = t.perUser.get(name) as UserState;
  const pw = await users.passwdEntry(name);
  const ok = await checkNode(sc, { user: name, area }, host, est, { type: 'dir', mode: USER_DIR_MODE, uid: 0, gid: pw?.gid });
  if (!ok) {
    state.dirsOk = false;
    return;
  }
  const lock = t.userLocks.states.get(`${name}.lock`);
  const lockLive = lock !== undefined && lock !== 'stale';
  if (t.tree === LINKS_DIR) await scanLinksDir(sc, name, host, lockLive);
  else await scanDynamicUiDir(sc, name, host, lockLive);
}

async function scanLinksDir(sc: ScanCtx, user: string, dirHost: string, lockLive: boolean): Promise<void> {
  const entries = await listDir(sc.disk, dirHost);
  const who = { user, area };
  for (const [name, st] of entries) {
    const host = entryPath(dirHost, name);
    const cls = classify(name, area);
    if (cls.kind === 'our_temp' || cls.kind === 'cpanel_temp' || cls.kind === 'lock_temp') {
      await checkDebris(sc, who, host, st, cls, lockLive);
      continue;
    }
    const isUser = name.endsWith(USERCONFIG_SUFFIX) && name.length > USERCONFIG_SUFFIX.length;
    const isAdmin = name.endsWith(ADMINCONFIG_SUFFIX) && name.length > ADMINCONFIG_SUFFIX.length;
    if (!isUser && !isAdmin) {
      if (st.isSymbolicLink()) await checkNode(sc, who, host, st, { type: 'file', mode: 0 });
      continue;
    }
    if (!(await checkNode(sc, who, host, st, { type: 'file', mode: isUser ? USERCONFIG_MODE : ADMINCONFIG_MODE, uid: 0, gid: 0 }))) continue;
    const base = name.slice(0, -(isUser ? USERCONFIG_SUFFIX : ADMINCONFIG_SUFFIX).length);
    const schema = isAdmin ? 'integration-adminconfig' : base.startsWith(GROUP_PREFIX) ? 'integration-group-userconfig' : 'integration-userconfig';
    const problem = await jsonProblem(sc.disk, host, schema);
    if (problem !== undefined) {
      await report(sc, {
        ...who,
        kind: 'corrupt_json',
        path: host,
        detail: problem === 'empty' ? 'The file is empty (0 bytes); cPanel cannot read it. Restore it from a backup or remove the link.' : problem,
      });
    }
    if (isAdmin && !entries.has(base + USERCONFIG_SUFFIX)) {
      await report(sc, {
        ...who,
        kind: 'orphan_adminconfig',
        path: host,
        detail: `“${base}” has an adminconfig (which may hold a token) but no userconfig, so it is not a link. Recreate the link or remove the file.`,
      });
    }
  }
}

async function scanDynamicUiDir(sc: ScanCtx, user: string, dirHost: string, lockLive: boolean): Promise<void> {
  const who = { user, area };
  for (const [name, st] of await listDir(sc.disk, dirHost)) {
    const host = entryPath(dirHost, name);
    const cls = classify(name, area);
    if (cls.kind === 'our_temp' || cls.kind === 'cpanel_temp' || cls.kind === 'lock_temp') {
      await checkDebris(sc, who, host, st, cls, lockLive);
      continue;
    }
    // cPanel's UI loader reads every `dynamicui_*` entry; their content is checked against the
    // userconfig by the DynamicUI check below (a corrupt one shows as stale).
    if (name.startsWith(DYNAMICUI_PREFIX)) {
      if ((await checkNode(sc, who, host, st, { type: 'file', mode: DYNAMICUI_MODE, uid: 0, gid: 0 })) && name.endsWith(DYNAMICUI_SUFFIX))
        keepForCheck(sc, host);
    } else if (st.isSymbolicLink()) await checkNode(sc, who, host, st, { type: 'file', mode: 0 });
  }
}

/**
 * Read a DynamicUI file now, while its directory is at hand, for the DynamicUI check that compares
 * it later (see Disk.withReadAhead). A file that cannot be read is left for that check to report.
 */
function keepForCheck(sc: ScanCtx, host: string): void {
  try {
    sc.disk.readHostFile(host, { keep: true });
  } catch {
    // the check reads it again and says what is wrong
  }
}

async function checkDynamicUi(sc: ScanCtx, users: UserLookup, store: IntegrationStore, user: string, lockHeld: boolean): Promise<void> {
  let r;
  try {
    // Through the scan's disk view and look-ups, so that what the scan read is not read again.
    r = await compareDynamicUi({ ...integrationContext(store), disk: sc.disk, users }, user);
  } catch (e) {
    if (!isLinkstoreError(e)) throw e;
    await report(sc, { user, area, kind: 'check_failed', path: sc.disk.host(`${LINKS_DIR}/${user}`), detail: `The DynamicUI check failed: ${e.message}` });
    return;
  }
  const pending: Finding[] = [];
  for (const e of r.entries) {
    if (e.state === 'ok') continue;
    const what = e.kind === 'group' ? `group “${e.name.slice(GROUP_PREFIX.length)}”` : `link “${e.name}”`;
    pending.push(
      deferred(sc, {
        user,
        area,
        kind: e.state === 'missing' ? 'missing_dynamicui' : 'stale_dynamicui',
        path: sc.disk.host(e.path),
        detail:
          e.state === 'missing'
            ? `The ${what} has no DynamicUI file, so cPanel's UI does not show it.`
            : `The DynamicUI file of the ${what} differs from what its userconfig implies.`,
      }),
    );
  }
  for (const o of r.orphans) {
    await report(sc, {
      user,
      area,
      kind: 'orphan_dynamicui',
      path: sc.disk.host(o),
      detail: 'A DynamicUI file without a link or group: cPanel’s UI shows an entry that leads nowhere. Recreate the link or remove the file.',
    });
  }
  if (!sc.fix || pending.length === 0) return;
  if (lockHeld) {
    // Waiting here could take the whole lock timeout; a writer is at work, so try again later.
    for (const f of pending) f.detail += ` Not fixed: the user's lock is held by a running process; run doctor --fix again later.`;
    return;
  }
  try {
    await store.rebuildDynamicUi({ user });
    const after = await store.checkDynamicUi({ user });
    const ok = new Set(after.entries.filter((e) => e.state === 'ok').map((e) => sc.disk.host(e.path)));
    for (const f of pending) {
      if (ok.has(f.path)) {
        f.fixed = true;
        f.detail += ' Fixed: regenerated from the userconfig.';
      }
    }
  } catch (e) {
    if (!isLinkstoreError(e)) throw e;
    for (const f of pending) f.detail += ` The fix failed: ${e.message}`;
  }
}
