/**
 * What both tree scanners share: a findings collector that applies a repair right away when
 * `fix` is on, node checks (type, mode, owner, never following a symlink), JSON checks, and the
 * recognition of locks and writer debris (cpanel-locking.md §8, integration-links.md §8.1).
 *
 * Everything here works on host paths that were reached by `lstat` from a resolved tree root,
 * so no symlink is ever followed; repairs re-check the entry right before acting.
 */
import { posix as path } from 'node:path';
import { isLibraryTempName, libraryTempPid } from '../io/commit.js';
import { pace } from '../io/pace.js';
import { mapOrdered } from '../io/pool.js';
import type { Disk } from '../io/disk.js';
import { parseLockPid, removeStaleLock } from '../io/dot-lock.js';
import { errnoCode, isEnoent, isLinkstoreError } from '../io/errors.js';
import { keptStat, type PortStats } from '../io/fs-port.js';
import { decodeStrictPaced, isPlainObject } from '../io/json-codec.js';
import { assertFileSchemaPaced, pacedMapMembers } from '../io/schema.js';
import type { SchemaId } from '../generated/schemas.js';
import type { DoctorArea, Finding, FindingKind } from './types.js';

export interface ScanCtx {
  disk: Disk;
  fix: boolean;
  user: string | undefined;
  graceMs: number;
  now: number;
  pidAlive: (pid: number) => boolean;
  findings: Finding[];
}

export interface Problem {
  user: string | null;
  area: DoctorArea;
  kind: FindingKind;
  path: string;
  detail: string;
}

/**
 * Accounts scanned at the same time. Each scan is a chain of small awaits (lstat, readdir, read);
 * a few chains in flight keep the thread pool busy instead of idle between them.
 */
export const SCAN_WIDTH = 8;

/** Directory entries a scan loop handles between two offers to let the event loop turn. */
export const ENTRIES_PER_STEP = 256;

/**
 * Scan `items` (accounts, directory entries) SCAN_WIDTH at a time. Each gets its own findings
 * list, appended in item order once all are done: the report is the same as a scan one item
 * after another would give, whatever order the scans finish in.
 */
export async function scanEach<T>(sc: ScanCtx, items: Iterable<T>, scan: (sc: ScanCtx, item: T) => Promise<void>): Promise<void> {
  const lists = await mapOrdered([...items], SCAN_WIDTH, async (item) => {
    const own: ScanCtx = { ...sc, findings: [] };
    await scan(own, item);
    return own.findings;
  });
  for (const list of lists) for (const f of list) sc.findings.push(f);
}

/** Whether items of `user` are in scope (tree-wide items, `user` null, only without a filter). */
export function inScope(sc: ScanCtx, user: string | null): boolean {
  return sc.user === undefined || sc.user === user;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Record a problem. With a `repair` and `fix` on, run it now: the finding is `fixed` when it
 * succeeds, and says why not otherwise. Returns the finding.
 */
export async function report(sc: ScanCtx, p: Problem, repair?: () => Promise<string | void>): Promise<Finding> {
  const f: Finding = { ...p, fixable: repair !== undefined, fixed: false };
  if (repair && sc.fix) {
    try {
      const done = await repair();
      f.fixed = true;
      if (done) f.detail += ` Fixed: ${done}.`;
    } catch (e) {
      f.detail += ` The fix failed: ${message(e)}`;
    }
  }
  sc.findings.push(f);
  return f;
}

/** A finding that another step (DynamicUI rebuild, LinkDB rebuild) repairs later. */
export function deferred(sc: ScanCtx, p: Problem): Finding {
  const f: Finding = { ...p, fixable: true, fixed: false };
  sc.findings.push(f);
  return f;
}

export async function lstatHost(disk: Disk, host: string): Promise<PortStats | undefined> {
  return disk.lstatOrUndefined(host);
}

export interface NodeSpec {
  type: 'dir' | 'file';
  mode: number;
  uid?: number;
  /** undefined: the owner is not checked (e.g. the user's gid is unknown). */
  gid?: number;
}

const modeText = (m: number) => '0' + (m & 0o7777).toString(8);

/**
 * Check one entry against its spec. Returns true when it is the right type (so the caller may
 * descend into it or read it); a symlink or wrong type is reported and returns false.
 */
export async function checkNode(sc: ScanCtx, who: { user: string | null; area: DoctorArea }, host: string, st: PortStats, spec: NodeSpec): Promise<boolean> {
  const what = spec.type === 'dir' ? 'directory' : 'file';
  if (st.isSymbolicLink()) {
    const target = await sc.disk.p.readlink(host).catch(() => '?');
    await report(sc, {
      ...who,
      kind: 'symlink',
      path: host,
      detail: `A symbolic link (to “${target}”) stands where a ${what} belongs; the library refuses to follow it. Replace it with a real ${what}.`,
    });
    return false;
  }
  if (spec.type === 'dir' ? !st.isDirectory() : !st.isFile()) {
    await report(sc, { ...who, kind: 'wrong_type', path: host, detail: `This must be a ${what} but is not.` });
    return false;
  }
  const mode = st.mode & 0o7777;
  if (mode !== spec.mode) {
    await report(sc, { ...who, kind: 'mode', path: host, detail: `Mode is ${modeText(mode)}; cPanel uses ${modeText(spec.mode)}.` }, async () => {
      await sameEntry(sc.disk, host, st);
      await sc.disk.setHostModeOwner(host, { mode: spec.mode });
      return `chmod ${modeText(spec.mode)}`;
    });
  }
  if (sc.disk.owners && spec.uid !== undefined && spec.gid !== undefined && (st.uid !== spec.uid || st.gid !== spec.gid)) {
    const want = `${spec.uid}:${spec.gid}`;
    await report(sc, { ...who, kind: 'owner', path: host, detail: `Owner is ${st.uid}:${st.gid}; cPanel uses ${want}.` }, async () => {
      await sameEntry(sc.disk, host, st);
      await sc.disk.setHostModeOwner(host, { uid: spec.uid as number, gid: spec.gid as number });
      return `chown ${want}`;
    });
  }
  return true;
}

/** Throw unless `host` is still the entry seen as `st` (same inode, not a symlink). */
async function sameEntry(disk: Disk, host: string, st: PortStats): Promise<PortStats> {
  const now = await disk.lstatOrUndefined(host);
  if (now === undefined || now.ino !== st.ino || now.isSymbolicLink() !== st.isSymbolicLink()) {
    throw new Error(`“${host}” changed while it was being checked; run doctor again`);
  }
  return now;
}

/** Remove a file if it is still the one that was judged (same inode and mtime). */
export async function removeIfUnchanged(disk: Disk, host: string, st: PortStats): Promise<string> {
  const now = await sameEntry(disk, host, st);
  if (now.mtimeMs !== st.mtimeMs || !now.isFile()) throw new Error(`“${host}” changed while it was being checked; run doctor again`);
  await disk.removeHostEntry(host, 'file');
  return 'removed';
}

/**
 * Read and decode a JSON data file (already known to be a regular file). Returns a problem text
 * when it is corrupt, `'empty'` when it has 0 bytes, undefined when fine.
 */
export async function jsonProblem(disk: Disk, host: string, schema: SchemaId | undefined): Promise<string | 'empty' | undefined> {
  let bytes: Uint8Array | undefined;
  try {
    // Regular files only, never blocking, bounded by the read limit of the file's kind; kept for
    // the DynamicUI and drift checks that read the same file after the scan.
    bytes = disk.readHostFile(host, { keep: true });
  } catch (e) {
    if (isLinkstoreError(e) && e.code !== 'E_IO') return e.message;
    return `It cannot be read (${errnoCode(isLinkstoreError(e) && e.cause !== undefined ? e.cause : e) ?? message(e)}).`;
  }
  if (bytes === undefined) return 'It vanished while it was being checked; run doctor again.';
  if (bytes.length === 0) return 'empty';
  try {
    // Only checked, never used: the big maps may come back as Maps (listed in a millisecond).
    const value = await decodeStrictPaced(bytes, host, schema === undefined ? undefined : pacedMapMembers(schema));
    // A top-level null is how cPanel's readers spell "empty" for authn DBs.
    if (value === null && schema !== undefined && schema.startsWith('authn-')) return undefined;
    if (schema !== undefined) await assertFileSchemaPaced(schema, value, host);
    else if (!isPlainObject(value) && !Array.isArray(value)) return `The file “${host}” does not hold a JSON object.`;
    return undefined;
  } catch (e) {
    if (isLinkstoreError(e)) return e.message;
    throw e;
  }
}

// ----------------------------------------------------------------------------------- locks

export type LockState = 'live' | 'stale' | 'young';

const LOCK_TEMP = /^(.+\.lock)-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/s;
const TXN_TEMP = /^(.+)-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/s;
const CPANEL_INTEGRATION_TEMP = /^\.tmp\.[0-9a-f]+\.(.+)$/s;

export type EntryClass =
  | { kind: 'lock' }
  /** `<lock>-<hex>-<hex>-<hex>`: a dot-lock's temp (cPanel keeps it while holding the lock). */
  | { kind: 'lock_temp'; lock: string }
  /** `<file>-<hex>-<hex>-<hex>`: cPanel's Transaction save temp (authn trees). */
  | { kind: 'txn_temp'; target: string }
  /** `.tmp.<16 hex>.<name>.tmp`: the library's own temp. */
  | { kind: 'our_temp' }
  /** `.tmp.<hex>.<name>`: cPanel's integration writer temp. */
  | { kind: 'cpanel_temp'; target: string }
  | { kind: 'data' };

/** Sort a directory entry into lock, debris or data, by the patterns of `area`'s writers. */
export function classify(name: string, area: DoctorArea): EntryClass {
  if (isLibraryTempName(name)) return { kind: 'our_temp' };
  const lt = LOCK_TEMP.exec(name);
  if (lt) return { kind: 'lock_temp', lock: lt[1] as string };
  if (name.endsWith('.lock') && name.length > 5) return { kind: 'lock' };
  if (area === 'integration') {
    const ct = CPANEL_INTEGRATION_TEMP.exec(name);
    if (ct) return { kind: 'cpanel_temp', target: ct[1] as string };
  } else {
    const tt = TXN_TEMP.exec(name);
    if (tt) return { kind: 'txn_temp', target: tt[1] as string };
  }
  return { kind: 'data' };
}

/** A lock file's content (a lock holds a PID and a name: 8 KiB is far more than enough). */
async function readSmall(disk: Disk, host: string): Promise<Buffer | undefined> {
  try {
    return disk.readHostFile(host, { maxBytes: 8192 });
  } catch {
    return undefined;
  }
}

/**
 * Judge one lock file (already lstat-ed as a regular file): `live` when its PID runs (or it has
 * no PID to judge), `stale` when the PID is dead or it stayed empty past the grace period,
 * `young` when it is empty but recent (a writer may be creating it).
 */
export async function lockState(sc: ScanCtx, host: string, st: PortStats): Promise<{ state: LockState; pid?: number; content: Buffer | undefined }> {
  const content = await readSmall(sc.disk, host);
  if (content === undefined) return { state: 'live', content };
  return { ...judgeLockContent(sc, content, st), content };
}

/** The state of a lock file with this content and `lstat` (see lockState). */
function judgeLockContent(sc: ScanCtx, content: Buffer, st: PortStats): { state: LockState; pid?: number } {
  if (content.length === 0) return { state: sc.now - st.mtimeMs >= sc.graceMs ? 'stale' : 'young' };
  const pid = parseLockPid(content);
  if (pid === undefined) return { state: 'live' };
  return { state: sc.pidAlive(pid) ? 'live' : 'stale', pid };
}

export interface DirLocks {
  /** lock name → state, for every lock in the directory. */
  states: Map<string, LockState>;
  anyLive: boolean;
}

/**
 * Check every `*.lock` of a directory: report stale ones (removing them with `fix`, never a lock
 * that came into use meanwhile: see removeStaleLock), report one
 * without a PID for a person, and return the states so that debris next to a live lock is spared.
 */
export async function checkLocks(
  sc: ScanCtx,
  area: DoctorArea,
  dirHost: string,
  entries: ReadonlyMap<string, PortStats>,
  userOf: (lockName: string) => string | null,
): Promise<DirLocks> {
  const states = new Map<string, LockState>();
  let n = 0;
  for (const [name, st] of entries) {
    // A tree's top directory has an entry per account: classifying 20,000 names is 40–60 ms.
    if (++n % ENTRIES_PER_STEP === 0) await pace();
    if (classify(name, area).kind !== 'lock') continue;
    const host = entryPath(dirHost, name);
    const user = userOf(name);
    if (!st.isFile()) {
      states.set(name, 'live');
      if (inScope(sc, user)) await checkNode(sc, { user, area }, host, st, { type: 'file', mode: st.mode & 0o7777 });
      continue;
    }
    const judged = await lockState(sc, host, st);
    states.set(name, judged.state);
    if (!inScope(sc, user) || judged.state !== 'stale') {
      if (inScope(sc, user) && judged.state === 'live' && judged.pid === undefined && judged.content !== undefined) {
        await report(sc, {
          user,
          area,
          kind: 'stale_lock',
          path: host,
          detail: 'This lock holds no PID, so nothing can tell whether its holder still runs; cPanel waits on it. Remove it by hand once no writer is running.',
        });
      }
      continue;
    }
    const why = judged.pid === undefined ? 'it is empty' : `its process ${judged.pid} is not running`;
    await report(sc, { user, area, kind: 'stale_lock', path: host, detail: `A stale lock: ${why}.` }, async () => {
      // Never remove a lock that changed or came alive since it was judged. The checks here only
      // spare a live lock the trip aside; removeStaleLock judges the file it moved, so a cPanel
      // waiter that breaks this lock (R2) right after them keeps its fresh lock.
      const again = await lstatHost(sc.disk, host);
      if (again === undefined) return 'already gone';
      if (again.ino !== st.ino || again.mtimeMs !== st.mtimeMs) throw new Error(`the lock “${host}” changed; it is in use again`);
      const done = await removeStaleLock(sc.disk, host, again, (content) => judgeLockContent(sc, content, again).state === 'stale');
      if (done === 'in_use') throw new Error(`the lock “${host}” is in use again; it was left in place`);
      return done === 'gone' ? 'already gone' : 'removed';
    });
  }
  return { states, anyLive: [...states.values()].some((s) => s !== 'stale') };
}

/**
 * Report a debris entry (temp file) unless a writer may still be using it: when it is younger
 * than the grace period, when `protectedBy` says a live lock covers it, or (for a lock temp) when
 * its own PID still runs. With `fix`, remove it.
 */
export async function checkDebris(
  sc: ScanCtx,
  who: { user: string | null; area: DoctorArea },
  host: string,
  st: PortStats,
  cls: EntryClass,
  isProtected: boolean,
): Promise<void> {
  if (!inScope(sc, who.user)) return;
  if (st.isSymbolicLink() || !st.isFile()) {
    await checkNode(sc, who, host, st, { type: 'file', mode: st.mode & 0o7777 });
    return;
  }
  if (isProtected) return;
  // A temp that names its writer is judged by that writer alone: removed at once when it is dead,
  // never while it runs, whatever the age. Only nameless temps (cPanel's own, an empty lock temp
  // being written) wait out the grace period.
  const pids = await writerPids(sc, host, cls);
  if (pids !== undefined ? pids.some((pid) => sc.pidAlive(pid)) : sc.now - st.mtimeMs < sc.graceMs) return;
  const whose =
    cls.kind === 'our_temp'
      ? 'a temp file of this library'
      : cls.kind === 'cpanel_temp'
        ? `a temp file of cPanel's integration writer (for “${cls.target}”)`
        : cls.kind === 'lock_temp'
          ? `a temp file of a dot-lock (for “${cls.lock}”)`
          : cls.kind === 'txn_temp'
            ? `a temp file of a cPanel Transaction save (for “${cls.target}”)`
            : 'a temp file';
  await report(sc, { ...who, kind: 'temp_debris', path: host, detail: `Left by a crashed writer: ${whose}.` }, () => removeIfUnchanged(sc.disk, host, st));
}

/**
 * The process that made a temp, or every process that can have made it: our temp names carry the
 * PID; a lock temp's content does once written. A lock temp killed between its create and its one
 * write is empty, but its name still ends in a PID — ours in hex, cPanel's with its decimal digits
 * reversed (cpanel-locking.md §4.1) — so it is debris at once when every candidate is dead.
 */
async function writerPids(sc: ScanCtx, host: string, cls: EntryClass): Promise<number[] | undefined> {
  if (cls.kind === 'our_temp') {
    const pid = libraryTempPid(path.basename(host));
    return pid === undefined ? undefined : [pid];
  }
  if (cls.kind !== 'lock_temp') return undefined;
  const pid = parseLockPid((await readSmall(sc.disk, host)) ?? Buffer.alloc(0));
  return pid !== undefined ? [pid] : lockTempNamePids(path.basename(host));
}

/** Linux's largest PID (`pid_max` can be at most 2^22). */
const PID_MAX = 4_194_304;

/** The PIDs a lock temp's name can stand for: its last hex field as our writer writes it, or as cPanel's. */
export function lockTempNamePids(name: string): number[] | undefined {
  const last = /-([0-9a-f]{1,8})$/.exec(name)?.[1];
  if (last === undefined) return undefined;
  const value = parseInt(last, 16);
  const out = new Set<number>();
  if (value > 0 && value <= PID_MAX) out.add(value);
  // cPanel's: the PID's decimal digits reversed, so trailing zeros of the PID are lost.
  for (let pid = Number([...String(value)].reverse().join('')); pid > 0 && pid <= PID_MAX; pid *= 10) out.add(pid);
  return out.size === 0 ? undefined : [...out];
}

/**
 * The host path of the entry `name` of the directory `dirHost`. Both come from the walk: the
 * directory is a normalized path and a name from readdir holds no `/` and is never `.` or `..`,
 * so plain concatenation is what `path.join` would give, without its normalization pass (a scan
 * of 20,000 accounts builds a few hundred thousand of these).
 */
export function entryPath(dirHost: string, name: string): string {
  return dirHost.endsWith('/') ? dirHost + name : `${dirHost}/${name}`;
}

/** lstat every entry of a directory (host path); undefined entries vanished meanwhile. */
export async function listDir(disk: Disk, dirHost: string): Promise<Map<string, PortStats>> {
  const out = new Map<string, PortStats>();
  // A scan of thousands of accounts is one long call: let the host's event loop turn between directories.
  await pace();
  let names: string[];
  try {
    names = await disk.p.readdir(dirHost);
  } catch (e) {
    if (isEnoent(e)) return out;
    throw e;
  }
  disk.keepListing(dirHost, names);
  for (const n of names.sort()) {
    // A tree's top directory holds an entry per account: let the loop turn between stretches of lstats.
    await pace();
    const st = await disk.lstatOrUndefined(entryPath(dirHost, n));
    // Kept for the whole scan of the directory (an entry per account): its fields, not the Stats.
    if (st !== undefined) out.set(n, keptStat(st));
  }
  return out;
}
