/**
 * Idle dot-lock temp files, kept for reuse by the next lock in the same directory.
 *
 * Taking cPanel's dot-lock means `link()`-ing a temp file that holds `<pid>\n<name>\n` to
 * `<file>.lock` (cpanel-locking.md §9.1). Creating that temp is a new inode and releasing the lock
 * frees it again; on ext4 that pair costs more than the rest of the lock together (about 40–70 µs
 * per create in the link benchmark, against ~10 µs for the link). The temp's content and mode never
 * change within a process for a given lock directory, mode and owner name, so after a release the
 * temp is kept and the next lock there links it again.
 *
 * While held, cPanel's own locks look the same (the temp name stays beside `<file>.lock` until the
 * lock object is destroyed, §4.3); an idle temp only stays a little longer, and never past:
 * - the next turn of the event loop (an unref'd `setImmediate` sweeps every idle temp), so a
 *   daemon's temps go as soon as it returns to its loop and only back-to-back operations reuse;
 * - `MAX_IDLE` temps (the oldest are removed first), so a bulk run over many users leaves at most
 *   that many at any time;
 * - process exit (synchronous sweep), and our own directory renames (`dropIdleLockTemps`).
 * A temp that vanished (removed with its directory, or by `linkstore doctor` once its PID is dead)
 * is simply created afresh. A temp whose unlink fails is kept and retried in the background and at
 * exit (at most 64 are kept), never forgotten on disk while the process could still remove it. cPanel's scanners ignore these names (`*.lock-<hex>-<hex>-<hex>`).
 *
 * Locks held at the same time in one directory share one temp: each lock file is one more hard
 * link of the temp's inode (same content, mode and owner name, so a reader of any of them sees
 * exactly what a temp of its own would hold). A daemon serving 64 users at once then creates and
 * removes one temp instead of 64: each lock costs a `link` and an `unlink`, both journaled, and
 * on ext4 those metadata operations wait for any journal commit in flight — with many commits at
 * once they were the main cost. The temp is removed or kept idle when its last lock is released.
 */
import type { DirHandle } from './dir-handle.js';
import type { FsPort } from './fs-port.js';
import { pacingInFlight } from './pace.js';
import { isEnoent } from './errors.js';

export interface LockTemp {
  /** The verified directory holding the temp; an idle temp keeps its handle (one reference). */
  dir: DirHandle;
  /** How many installed locks are links of this temp's inode right now (0: idle or being installed). */
  holders: number;
  /** The temp's name in `dir`. */
  name: string;
  /** Identity recorded when it was created (`fstat` after the write), checked at release. */
  ino: number;
  mtimeMs: number;
  size: number;
}

const MAX_IDLE = 16;

/**
 * Idle temps by fs port, then by `dir \0 mode \0 owner name` (several per key: concurrent locks
 * in one directory, as a batch takes them, each hold one). Map order is the age order of the keys.
 */
const idle = new Map<FsPort, Map<string, LockTemp[]>>();
let sweepPending = false;
let exitHookInstalled = false;
let idleCount = 0;

export function lockTempKey(dir: string, mode: number, ownerName: string): string {
  return `${dir}\0${mode}\0${ownerName}`;
}

/** Temps linked as at least one installed lock, by fs port, then by key (one per key). */
const inUse = new Map<FsPort, Map<string, LockTemp>>();

/** The temp that locks of `key` hold right now, to link one more lock to (it stays shared). */
export function sharedLockTemp(fs: FsPort, key: string): LockTemp | undefined {
  return inUse.get(fs)?.get(key);
}

/** A lock was installed as a link of `t`: count it, and offer `t` to the next lock of `key`. */
export function addLockHolder(key: string, t: LockTemp): void {
  t.holders++;
  let m = inUse.get(t.dir.fs);
  if (m === undefined) {
    m = new Map();
    inUse.set(t.dir.fs, m);
  }
  m.set(key, t);
}

/**
 * A lock linked to `t` is gone (released, lost or abandoned). When it was the last one, `t` is kept
 * idle for reuse (`reusable`: the lock's call succeeded) or removed; while other locks still hold
 * it, nothing is removed.
 */
export function dropLockHolder(key: string, t: LockTemp, reusable: boolean): void {
  t.holders = Math.max(0, t.holders - 1);
  if (t.holders > 0) return;
  const m = inUse.get(t.dir.fs);
  if (m?.get(key) === t) {
    m.delete(key);
    if (m.size === 0) inUse.delete(t.dir.fs);
  }
  if (reusable) keepIdleLockTemp(key, t);
  else discardLockTemp(t);
}

/** Stop offering `t` to new locks (its name vanished or changed); its holders keep their counts. */
export function retireSharedLockTemp(key: string, t: LockTemp): void {
  const m = inUse.get(t.dir.fs);
  if (m?.get(key) === t) m.delete(key);
}

/** Take an idle temp for `key` (it is no longer idle: the caller links it or removes it). */
export function takeIdleLockTemp(fs: FsPort, key: string): LockTemp | undefined {
  const m = idle.get(fs);
  const list = m?.get(key);
  const t = list?.pop();
  if (t === undefined || m === undefined) return undefined;
  if (list?.length === 0) m.delete(key);
  idleCount--;
  return t;
}

/**
 * Remove a temp through its directory handle and drop the handle reference it held. When the
 * unlink fails (the directory made read-only or immutable, EIO) the temp is not forgotten: it is
 * kept as a leftover and retried (see retryLeftoverTemps), like a lock whose release failed —
 * most often it is that lock's temp, failing for the same reason.
 */
export function discardLockTemp(t: LockTemp): void {
  if (unlinkTemp(t)) t.dir.release();
  else keepLeftoverTemp(t);
}

/**
 * Remove an idle temp, unless someone changed it since we made it (its name is ours, but its inode,
 * mtime or size is not: memfs keeps millisecond mtimes, so the size counts too): that file is left
 * where it is, as taking an idle temp leaves it (dot-lock.ts `takeUnchangedIdleTemp`), whichever
 * of the two meets it first.
 */
function discardIdleLockTemp(t: LockTemp): void {
  let st;
  try {
    st = t.dir.fs.lstatSync(t.dir.at(t.name));
  } catch {
    st = undefined; // gone, or unreadable: discardLockTemp removes it or keeps it for a retry
  }
  if (st !== undefined && (st.ino !== t.ino || st.mtimeMs !== t.mtimeMs || st.size !== t.size)) t.dir.release();
  else discardLockTemp(t);
}

/** Unlink `t`'s name; true when it is gone (removed now, or already). */
function unlinkTemp(t: LockTemp): boolean {
  try {
    t.dir.fs.unlinkSync(t.dir.at(t.name));
    return true;
  } catch (e) {
    return isEnoent(e);
  }
}

/**
 * Temps whose unlink failed, oldest first, each keeping its directory handle. Bounded: past
 * MAX_LEFTOVER_TEMPS the oldest is given up (its handle released; the name stays on disk, holding
 * our PID, for `linkstore doctor` to remove once this process is gone).
 */
const leftoverTemps: LockTemp[] = [];
const MAX_LEFTOVER_TEMPS = 64;
let leftoverTimer: ReturnType<typeof setTimeout> | undefined;
let leftoverDelayMs = 50;
let leftoverExitHookInstalled = false;

function keepLeftoverTemp(t: LockTemp): void {
  leftoverTemps.push(t);
  if (leftoverTemps.length > MAX_LEFTOVER_TEMPS) (leftoverTemps.shift() as LockTemp).dir.release();
  if (!leftoverExitHookInstalled) {
    leftoverExitHookInstalled = true;
    // Synchronous, best effort, like the exit hook of leftover locks (dot-lock.ts).
    process.once('exit', () => {
      for (const l of leftoverTemps.splice(0)) unlinkTemp(l);
    });
  }
  scheduleLeftoverTempRetry();
}

/** Retry the leftover temps in the background, backing off (50 ms doubling to 5 s), never keeping the process alive. */
function scheduleLeftoverTempRetry(): void {
  if (leftoverTimer !== undefined || leftoverTemps.length === 0) return;
  leftoverTimer = setTimeout(() => {
    leftoverTimer = undefined;
    retryLeftoverTemps();
    leftoverDelayMs = leftoverTemps.length === 0 ? 50 : Math.min(leftoverDelayMs * 2, 5_000);
    scheduleLeftoverTempRetry();
  }, leftoverDelayMs);
  leftoverTimer.unref();
}

/** Try to remove every leftover temp once; those that go are forgotten. */
function retryLeftoverTemps(): void {
  for (const t of leftoverTemps.splice(0)) {
    if (unlinkTemp(t)) t.dir.release();
    else leftoverTemps.push(t);
  }
}

/** How many temps whose unlink failed are kept for a retry (bounded by MAX_LEFTOVER_TEMPS). */
export function leftoverLockTempCount(): number {
  return leftoverTemps.length;
}

/** Keep `t` for reuse (after its lock was released); it keeps its directory handle's reference. */
export function keepIdleLockTemp(key: string, t: LockTemp): void {
  let m = idle.get(t.dir.fs);
  if (m === undefined) {
    m = new Map();
    idle.set(t.dir.fs, m);
  }
  const list = m.get(key) ?? [];
  // Re-inserting the key makes it the newest.
  m.delete(key);
  m.set(key, [...list, t]);
  idleCount++;
  if (idleCount > MAX_IDLE) dropOldest();
  scheduleSweep();
}

/** Remove the oldest idle temp of the least recently used key. */
function dropOldest(): void {
  for (const [fs, m] of idle) {
    for (const [key, list] of m) {
      const t = list.shift() as LockTemp;
      discardIdleLockTemp(t);
      if (list.length === 0) m.delete(key);
      idleCount--;
      if (m.size === 0) idle.delete(fs);
      return;
    }
  }
}

/** Remove idle temps now: all of them, or those of one fs port (optionally below a host directory). */
export function dropIdleLockTemps(fs?: FsPort, underDir?: string): void {
  for (const [port, m] of idle) {
    if (fs !== undefined && port !== fs) continue;
    const prefix = underDir === undefined || underDir.endsWith('/') ? underDir : underDir + '/';
    for (const [key, list] of m) {
      const keep = list.filter((t) => prefix !== undefined && !(t.dir.host + '/').startsWith(prefix));
      for (const t of list) if (!keep.includes(t)) discardIdleLockTemp(t);
      idleCount -= list.length - keep.length;
      if (keep.length === 0) m.delete(key);
      else m.set(key, keep);
    }
    if (m.size === 0) idle.delete(port);
  }
}

function scheduleSweep(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => dropIdleLockTemps());
  }
  if (sweepPending) return;
  sweepPending = true;
  setImmediate(() => {
    sweepPending = false;
    // A turn made by a call's own pacing yield is not the host getting its loop back: keep the
    // temps for that call's next lock and look again at the next turn.
    if (pacingInFlight()) scheduleSweep();
    else dropIdleLockTemps();
  }).unref();
}

/** How many idle lock temps are kept right now (bounded by MAX_IDLE). */
export function idleLockTempCount(): number {
  return idleCount;
}
