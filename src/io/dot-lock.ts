/**
 * cPanel's SafeFile dot-lock (cpanel-locking.md §3–§9), spoken exactly so that cPanel's writers
 * and ours exclude each other:
 * - lock path `<file>.lock`, or `<fnv1a32>.lock` when that basename exceeds 225 bytes;
 * - the lock is a temp file `<lock>-<hex>-<hex>-<hex>` holding `<pid>\n<name>\n`, mode
 *   `0644 & dataMode`, installed with `link()` so it is never seen empty;
 * - a held lock is broken only when its PID is dead, it stayed empty across two looks, or it is a
 *   leftover of an earlier process that had our PID — and then only by `rename()` over it after
 *   checking it did not change. Never by age: a live cPanel holder is always waited for;
 * - release unlinks only the lock file we installed (same inode and mtime).
 * Same-process callers are serialized first by an in-process mutex keyed by the lock path.
 *
 * A process never blocks on a lock it installed itself: every lock it installs is remembered
 * (directory, name, inode) until its file is gone. A release whose unlink fails is retried in the
 * background (and at exit), and the next acquire of the same lock in this process recognises the
 * leftover and takes it back at once instead of waiting on its own PID. The caller's call still
 * succeeds: its files were published; the failed release becomes a warning.
 *
 * Every name is used through a verified handle on the lock's directory (dir-handle.ts).
 */
import { posix as path } from 'node:path';
import type { Disk } from './disk.js';
import type { DirHandle } from './dir-handle.js';
import { LinkstoreError, errnoCode, ioError, isEnoent } from './errors.js';
import { fnv1a32 } from './fnv.js';
import { hostProcExists } from './fs-port.js';
import { withMutex } from './mutex.js';
import { closeQuietly, readAll, unlinkQuietly, writeAll } from './sys.js';
import {
  addLockHolder,
  discardLockTemp,
  dropLockHolder,
  lockTempKey,
  retireSharedLockTemp,
  sharedLockTemp,
  takeIdleLockTemp,
  type LockTemp,
} from './lock-temps.js';

export const MAX_LOCK_BASENAME_BYTES = 225;
export const LOCK_OWNER_NAME = 'cpanel-linkstore';
const MAX_LOCKFILE_SIZE = 8192;

/** §3: the lock path cPanel uses for a data path. */
export function cpanelLockPath(dataPath: string): string {
  if (/[<>]/.test(dataPath)) {
    throw new LinkstoreError('E_LOCK_INVALID', `Cannot lock “${dataPath}”: lock paths must not contain “<” or “>”.`, { path: dataPath });
  }
  const lock = dataPath + '.lock';
  const base = path.basename(lock);
  if (Buffer.byteLength(lock) <= MAX_LOCK_BASENAME_BYTES || Buffer.byteLength(base) <= MAX_LOCK_BASENAME_BYTES) return lock;
  const hashed = `${fnv1a32(Buffer.from(base, 'utf8'))}.lock`;
  const dir = path.dirname(lock);
  return dataPath.includes('/') ? path.join(dir, hashed) : hashed;
}

/** §4.4: the PID in a lock file's content (first digit run of line 1), or undefined. */
export function parseLockPid(content: Uint8Array): number | undefined {
  const text = Buffer.from(content.subarray(0, MAX_LOCKFILE_SIZE)).toString('latin1');
  const nl = text.indexOf('\n');
  const line1 = nl === -1 ? text : text.slice(0, nl);
  const m = /[0-9]+/.exec(line1);
  if (!m) return undefined;
  const pid = Number(m[0]);
  return pid > 0 && Number.isSafeInteger(pid) ? pid : undefined;
}

/** §4.5: kill(pid, 0) succeeds → alive; EPERM → alive iff /proc/<pid> exists; else dead. */
export function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM' ? hostProcExists(pid) : false;
  }
}

export interface DotLockOptions {
  /** Mode of the data file; the lock file gets `0644 & dataMode` like a cPanel Transaction. */
  dataMode: number;
  /** Give up waiting after this long (default 60 s, cPanel's flock wait). */
  timeoutMs?: number;
  /** Poll interval while waiting; cPanel polls every 300 ms, we never poll slower. */
  pollMs?: number;
  /** Bound on the work done under the lock (default 10 s, well below cPanel's 30 s minimum wait). */
  criticalMs?: number;
  /** Second line of the lock file. */
  ownerName?: string;
  /** PID liveness test (injectable for tests). */
  pidAlive?: (pid: number) => boolean;
  /**
   * Keep the lock's temp file after release and link it again for the next lock in the same
   * directory, until the event loop next turns (see lock-temps.ts). Default: the port's
   * `reuseLockTemps` capability (on with Node's fs, where it saves an inode create and free per
   * lock; off with memfs, so tests listing a directory right after a call see only data files).
   */
  reuseTemps?: boolean;
  /** The lock's clock and sleep (injectable for tests; default `Date.now` and a timer). */
  clock?: { now(): number; sleep(ms: number): Promise<void> };
  /**
   * Where a release that could not complete is reported (the call itself succeeded: its files
   * were published). Mutations pass their result's `warnings`.
   */
  warnings?: string[];
}

/** A held lock, passed to the critical section. */
export interface HeldLock {
  /** Host path of the lock file. */
  readonly lockPath: string;
  /**
   * Throws if the critical section ran past its bound or the lock file is no longer ours.
   * Call it right before publishing changes (commitFiles' `beforePublish`).
   */
  verify(): Promise<void>;
}

interface Installed {
  /** The verified lock directory (one handle reference while the lock is installed). */
  dir: DirHandle;
  name: string;
  /** Host path of the lock file, for messages and the registry. */
  lockPath: string;
  ino: number;
  mtimeMs: number;
  size: number;
  /** The temp name still linked to the lock's inode, kept for reuse after release. */
  temp?: { key: string; file: LockTemp };
}

const PROCESS_START_MS = Date.now() - process.uptime() * 1000;
/** Locks this process installed whose file may still be there: held ones and failed releases. */
const installedLocks = new Map<string, Installed>();
/** Installed locks whose release failed, retried in the background until their file is gone. */
const leftovers = new Map<string, Installed>();
/**
 * The one open handle the leftovers of each directory share (by device, inode and path). Each
 * lock holds its own reference to the handle its call resolved, and calls a second apart resolve
 * anew: under a release fault that lasts (a directory made append-only, a failing disk), every
 * leftover kept a descriptor of its own — 5,000 email users' locks, 5,000 descriptors of one
 * directory, on the way to EMFILE. Cleared when no leftover is left.
 */
const leftoverDirs = new Map<string, DirHandle>();
let exitHookInstalled = false;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let retryDelayMs = 50;

const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Best effort, synchronous: nothing asynchronous runs at exit. Same inode check as release.
  process.once('exit', () => {
    for (const h of installedLocks.values()) {
      try {
        if (identityState(h) === 'ours') unlinkQuietly(h.dir.fs, h.dir.at(h.name));
      } catch {
        // nothing more can be done at exit
      }
      if (h.temp) unlinkQuietly(h.dir.fs, h.temp.file.dir.at(h.temp.file.name));
    }
  });
}

// `<lock>-<hex>-<hex>-<hex>` (§9.1 item 6): a per-process random part, a counter and the PID.
// Uniqueness is what matters (O_EXCL guards the rest), not secrecy: Math.random (seeded from the
// OS per process) rather than node:crypto, whose loading was 6 % of `import.startup`, and
// randomBytes per name cost ~10 µs each.
const lockTempRandom = Math.floor(Math.random() * 0x100000000).toString(16);
let lockTempCounter = 0;

/**
 * Whether a directory entry is a dot-lock or a lock temp (`NAME.lock`, `NAME.lock-<hex>-<hex>-<hex>`),
 * ours or cPanel's; not a data file whose name merely holds `.lock` (`info@shop.lockhart.example.db`).
 */
export function isLockEntryName(name: string): boolean {
  return /\.lock(?:-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+)?$/.test(name);
}

function lockTempName(lockName: string): string {
  lockTempCounter = (lockTempCounter + 1) % 0x100000000;
  const suffix = `-${lockTempRandom}-${lockTempCounter.toString(16)}-${process.pid.toString(16)}`;
  const name = lockName + suffix;
  if (Buffer.byteLength(name) <= 255) return name;
  return `${lockTempRandom}.lock${suffix}`;
}

function quantSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s === 1 ? '1 second' : `${s} seconds`;
}

interface SeenLock {
  content: Buffer;
  ino: number;
  mtimeMs: number;
  size: number;
}

function readLock(dir: DirHandle, name: string): SeenLock | undefined {
  const fs = dir.fs;
  const c = fs.constants;
  const host = dir.hostOf(name);
  let fd: number;
  try {
    // Non-blocking: a FIFO planted as the lock must not freeze the process (fstat refuses it).
    fd = fs.openSync(dir.at(name), c.O_RDONLY | c.O_NOFOLLOW | (c.O_NONBLOCK ?? 0));
  } catch (e) {
    if (isEnoent(e)) return undefined;
    if (errnoCode(e) === 'ELOOP') {
      throw new LinkstoreError('E_SYMLINK', `The lock file “${host}” is a symbolic link; remove it.`, { path: host, cause: e });
    }
    if (errnoCode(e) === 'ENXIO') throw new LinkstoreError('E_NOT_FILE', `The lock “${host}” is not a regular file; remove it.`, { path: host });
    throw ioError(e, 'read the lock file', host);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new LinkstoreError('E_NOT_FILE', `The lock “${host}” is not a regular file; remove it.`, { path: host });
    return { content: readAll(fs, fd, st, MAX_LOCKFILE_SIZE), ino: st.ino, mtimeMs: st.mtimeMs, size: st.size };
  } catch (e) {
    throw ioError(e, 'read the lock file', host);
  } finally {
    closeQuietly(fs, fd);
  }
}

/** Create our temp lock file with content and mode; returns its identity (holding a handle reference). */
function writeLockTemp(dir: DirHandle, lockName: string, mode: number, ownerName: string): LockTemp {
  const fs = dir.fs;
  const c = fs.constants;
  const name = lockTempName(lockName);
  let fd: number;
  try {
    fd = fs.openSync(dir.at(name), c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, mode);
  } catch (e) {
    throw ioError(e, 'create a lock file next to', dir.hostOf(lockName));
  }
  try {
    // One write of the whole content, before the lock is installed: a lock is never seen empty.
    writeAll(fs, fd, Buffer.from(`${process.pid}\n${ownerName}\n`));
    const st = fs.fstatSync(fd);
    // The umask may have removed bits from `mode` (never added any); the fstat that records the
    // lock's identity shows it, so no umask read is needed. A chmod leaves mtime and size alone.
    if ((st.mode & 0o7777) !== mode) fs.fchmodSync(fd, mode);
    return { dir: dir.retain(), holders: 0, name, ino: st.ino, mtimeMs: st.mtimeMs, size: st.size };
  } catch (e) {
    unlinkQuietly(fs, dir.at(name));
    throw ioError(e, 'write the lock file', dir.hostOf(name));
  } finally {
    closeQuietly(fs, fd);
  }
}

/**
 * An idle temp for `key` that is still exactly the file we wrote (same inode, mtime and size) in
 * this very directory: anything else (gone, touched by someone, another directory now at that
 * path) is discarded and a new temp is made instead.
 */
function takeUnchangedIdleTemp(dir: DirHandle, key: string): LockTemp | undefined {
  const t = takeIdleLockTemp(dir.fs, key);
  if (t === undefined) return undefined;
  let st;
  try {
    st = dir.fs.lstatSync(t.dir.at(t.name));
  } catch {
    st = undefined;
  }
  const same = t.dir.ino === dir.ino && t.dir.dev === dir.dev;
  if (same && st !== undefined && st.isFile() && st.ino === t.ino && st.mtimeMs === t.mtimeMs && st.size === t.size) return t;
  // Ours but not reusable here (another directory now): removed. Changed by someone (inode, mtime or
  // size; memfs keeps millisecond mtimes, so a same-millisecond rewrite shows only in the size): left.
  if (st !== undefined && st.ino === t.ino && st.mtimeMs === t.mtimeMs && st.size === t.size) discardLockTemp(t);
  else t.dir.release();
  return undefined;
}

interface AcquireOptions {
  timeoutMs: number;
  pollMs: number;
  ownerName: string;
  pidAlive: (pid: number) => boolean;
  reuseTemps: boolean;
  mode: number;
  clock: { now(): number; sleep(ms: number): Promise<void> };
}

/** What to do about a lock file someone holds: break it, take it back (ours), or wait. */
type Verdict = 'break' | 'reclaim' | 'wait';

/**
 * Judge the holder of a lock (§7): a dead PID breaks it, so does an empty lock seen twice 300 ms
 * apart unchanged, and a lock with our PID that predates this process (PID reuse). A lock with our
 * PID that this process installed and could not remove is taken back. Anything else is waited for.
 */
function judge(
  key: string,
  seen: SeenLock,
  o: AcquireOptions,
  empty: { ino: number; mtimeMs: number; at: number } | undefined,
): { verdict: Verdict; empty?: typeof empty } {
  const now = o.clock.now();
  if (seen.size === 0) {
    if (empty && empty.ino === seen.ino && empty.mtimeMs === seen.mtimeMs) return { verdict: now - empty.at >= 300 ? 'break' : 'wait', empty };
    return { verdict: 'wait', empty: { ino: seen.ino, mtimeMs: seen.mtimeMs, at: now } };
  }
  const pid = parseLockPid(seen.content);
  if (pid === process.pid) {
    const mine = leftovers.get(key);
    if (mine !== undefined && mine.ino === seen.ino && mine.mtimeMs === seen.mtimeMs) return { verdict: 'reclaim' };
    // We hold the in-process mutex, so this is not ours unless it predates us (PID reuse).
    return { verdict: seen.mtimeMs < PROCESS_START_MS ? 'break' : 'wait' };
  }
  if (pid !== undefined) return { verdict: o.pidAlive(pid) ? 'wait' : 'break' };
  // No readable PID in a non-empty lock: wait, like cPanel (but without busy-looping).
  return { verdict: 'wait' };
}

function timeoutError(dataHost: string, lockPath: string, waitedMs: number): LinkstoreError {
  return new LinkstoreError(
    'E_LOCK_TIMEOUT',
    `The system failed to lock the file “${dataHost}” after ${quantSeconds(waitedMs)}. The lock “${lockPath}” is held by a live process; retry later or stop that process.`,
    { path: lockPath },
  );
}

/** Link our temp as the lock; false when a lock is already there. */
function tryInstall(dir: DirHandle, name: string, temp: LockTemp): boolean {
  try {
    dir.fs.linkSync(temp.dir.at(temp.name), dir.at(name));
    return true;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw Object.assign(ioError(e, 'take the lock', dir.hostOf(name)), { errno: errnoCode(e) });
  }
}

/**
 * The temp an acquire links as its lock: one that other held locks of the same directory already
 * share (`shared`, never removed or renamed by this acquire), an idle one, or a new one.
 */
interface TempInHand {
  file: LockTemp;
  /** Reused (shared or idle): its name may have vanished since it was made. */
  reused: boolean;
  shared: boolean;
}

function sharedTempFor(dir: DirHandle, key: string): LockTemp | undefined {
  const t = sharedLockTemp(dir.fs, key);
  return t !== undefined && t.dir.ino === dir.ino && t.dir.dev === dir.dev ? t : undefined;
}

function tempInHand(dir: DirHandle, name: string, key: string, o: AcquireOptions): TempInHand {
  const shared = o.reuseTemps ? sharedTempFor(dir, key) : undefined;
  if (shared !== undefined) return { file: shared, reused: true, shared: true };
  const idle = o.reuseTemps ? takeUnchangedIdleTemp(dir, key) : undefined;
  if (idle !== undefined) return { file: idle, reused: true, shared: false };
  return { file: writeLockTemp(dir, name, o.mode, o.ownerName), reused: false, shared: false };
}

/** Let go of a temp this acquire did not install: a shared one stays with its holders. */
function letGo(t: TempInHand): void {
  if (!t.shared) discardLockTemp(t.file);
}

async function acquire(dir: DirHandle, name: string, dataHost: string, o: AcquireOptions): Promise<Installed> {
  const start = o.clock.now();
  const lockPath = dir.hostOf(name);
  const key = lockTempKey(dir.host, o.mode, o.ownerName);
  let mine: TempInHand | undefined = tempInHand(dir, name, key, o);
  // `how`: the temp stays linked for reuse ('keep'), is removed ('drop'), or was renamed over the lock ('consumed').
  const installed = (how: 'keep' | 'drop' | 'consumed'): Installed => {
    const t = (mine as TempInHand).file;
    const h: Installed = { dir: dir.retain(), name, lockPath, ino: t.ino, mtimeMs: t.mtimeMs, size: t.size };
    if (how === 'keep') {
      h.temp = { key, file: t };
      addLockHolder(key, t);
    } else if (how === 'drop') discardLockTemp(t);
    else t.dir.release();
    mine = undefined;
    return h;
  };
  try {
    let empty: { ino: number; mtimeMs: number; at: number } | undefined;
    for (;;) {
      try {
        if (tryInstall(dir, name, mine.file)) return installed(o.reuseTemps ? 'keep' : 'drop');
      } catch (e) {
        if (mine.reused && (e as { errno?: string }).errno === 'ENOENT') {
          // The reused temp was removed meanwhile (with its directory, or as debris): make a new one.
          if (mine.shared) retireSharedLockTemp(key, mine.file);
          else mine.file.dir.release();
          mine = { file: writeLockTemp(dir, name, o.mode, o.ownerName), reused: false, shared: false };
          continue;
        }
        throw e;
      }
      const seen = readLock(dir, name);
      if (seen !== undefined) {
        const j = judge(lockPath, seen, o, empty);
        empty = j.empty;
        if (j.verdict === 'reclaim') {
          letGo(mine);
          mine = undefined;
          return reclaim(lockPath);
        }
        if (j.verdict === 'break') {
          // Breaking renames the temp over the lock: never a name that other locks share.
          if (mine.shared) mine = { file: writeLockTemp(dir, name, o.mode, o.ownerName), reused: false, shared: false };
          if (breakLock(dir, name, seen, mine.file)) return installed('consumed');
          continue;
        }
      }
      const waited = o.clock.now() - start;
      if (waited >= o.timeoutMs) throw timeoutError(dataHost, lockPath, waited);
      // A shared temp is never held across a wait: its last holder may release it meanwhile.
      if (mine.shared) mine = undefined;
      await o.clock.sleep(Math.min(o.pollMs, Math.max(1, o.timeoutMs - waited)));
      mine ??= tempInHand(dir, name, key, o);
    }
  } finally {
    if (mine !== undefined) letGo(mine);
  }
}

/** Take back our own leftover lock (its release failed earlier): it is already installed. */
function reclaim(lockPath: string): Installed {
  const h = leftovers.get(lockPath) as Installed;
  leftovers.delete(lockPath);
  return h;
}

/**
 * Break a lock by renaming our temp over it, after checking it did not change since it was judged
 * (overwrite, never unlink: a waiter must never see the lock absent). The temp name is consumed.
 */
function breakLock(dir: DirHandle, name: string, seen: SeenLock, temp: LockTemp): boolean {
  let now;
  try {
    now = dir.fs.lstatSync(dir.at(name));
  } catch (e) {
    if (!isEnoent(e)) throw ioError(e, 'inspect the lock', dir.hostOf(name));
    now = undefined;
  }
  if (now !== undefined && (now.ino !== seen.ino || now.mtimeMs !== seen.mtimeMs)) return false;
  dir.fs.renameSync(temp.dir.at(temp.name), dir.at(name));
  return true;
}

/**
 * Whether the lock file is still the one we installed: same inode and mtime (cPanel's test), and,
 * where the port's identities are not stable (memfs recycles inodes and keeps millisecond
 * mtimes), still holding our PID.
 */
function identityState(h: Installed): 'ours' | 'gone' | 'foreign' {
  let st;
  try {
    st = h.dir.fs.lstatSync(h.dir.at(h.name));
  } catch (e) {
    if (isEnoent(e)) return 'gone';
    throw e;
  }
  if (st.ino !== h.ino || st.mtimeMs !== h.mtimeMs || st.size !== h.size || !st.isFile()) return 'foreign';
  return 'ours';
}

function stillOurs(disk: Disk, h: Installed): 'ours' | 'gone' | 'foreign' {
  const state = identityState(h);
  if (state !== 'ours' || disk.capabilities.stableIdentity) return state;
  const seen = readLock(h.dir, h.name);
  return seen !== undefined && parseLockPid(seen.content) === process.pid ? 'ours' : 'foreign';
}

/** Give up the lock temp `h` holds, if any (`keep`: it may stay for the next lock to reuse). */
function dropTemp(h: Installed, keep: boolean): void {
  if (h.temp) dropLockHolder(h.temp.key, h.temp.file, keep);
  h.temp = undefined;
}

/**
 * Forget an installed lock whose file is gone (or no longer ours): drop its handle reference and
 * its temp, whichever path got here (a temp still held would stay on disk, with its directory
 * handles open, for the life of the process).
 */
function forget(h: Installed): void {
  installedLocks.delete(h.lockPath);
  leftovers.delete(h.lockPath);
  if (leftovers.size === 0) leftoverDirs.clear();
  dropTemp(h, false);
  h.dir.release();
}

/** Let a new leftover hold the handle its directory's other leftovers hold (see `leftoverDirs`). */
function shareLeftoverDir(h: Installed): void {
  const key = `${h.dir.dev}:${h.dir.ino}:${h.dir.host}`;
  const shared = leftoverDirs.get(key);
  if (shared === h.dir) return;
  if (shared === undefined || !shared.isOpen) {
    leftoverDirs.set(key, h.dir);
    return;
  }
  const own = h.dir;
  h.dir = shared.retain();
  own.release();
}

/** Retry the removal of leftover locks in the background, backing off, never keeping the process alive. */
function scheduleLeftoverRetry(): void {
  if (retryTimer !== undefined || leftovers.size === 0) return;
  retryTimer = setTimeout(() => {
    retryTimer = undefined;
    for (const h of [...leftovers.values()]) {
      try {
        const state = identityState(h);
        if (state === 'ours') h.dir.fs.unlinkSync(h.dir.at(h.name));
        forget(h);
      } catch {
        // still failing: keep it for the next round
      }
    }
    retryDelayMs = leftovers.size === 0 ? 50 : Math.min(retryDelayMs * 2, 5_000);
    scheduleLeftoverRetry();
  }, retryDelayMs);
  retryTimer.unref();
}

/**
 * Remove the lock if it is still ours. `succeeded` says whether the critical section finished
 * without error: only then may its temp stay for reuse, so a failed call leaves nothing behind.
 * Returns a warning when the release could not complete (the lock stays registered as a leftover
 * and is retried, or it was broken by someone else), undefined when it was released.
 */
function release(disk: Disk, h: Installed, succeeded: boolean): string | undefined {
  let state: 'ours' | 'gone' | 'foreign';
  try {
    state = stillOurs(disk, h);
  } catch (e) {
    dropTemp(h, false);
    return leaveForRetry(h, e);
  }
  if (state !== 'ours' || !succeeded) dropTemp(h, false);
  if (state !== 'ours') {
    forget(h);
    return state === 'gone'
      ? `The lock “${h.lockPath}” disappeared while it was held; another process may have written concurrently.`
      : `The lock “${h.lockPath}” was replaced by another process while it was held; it was left in place.`;
  }
  try {
    disk.fs.unlinkSync(h.dir.at(h.name));
  } catch (e) {
    if (!isEnoent(e)) {
      dropTemp(h, false);
      return leaveForRetry(h, e);
    }
  }
  const temp = h.temp;
  h.temp = undefined;
  forget(h);
  if (temp) dropLockHolder(temp.key, temp.file, true);
  return undefined;
}

function leaveForRetry(h: Installed, e: unknown): string {
  leftovers.set(h.lockPath, h);
  shareLeftoverDir(h);
  scheduleLeftoverRetry();
  return `The lock “${h.lockPath}” could not be released yet (${errnoCode(e) ?? 'error'}); this process retries in the background and takes it back if it needs it again.`;
}

function resolveOptions(disk: Disk, callerOptions: DotLockOptions): AcquireOptions & { criticalMs: number; warnings: string[] | undefined } {
  const options: DotLockOptions = { ...disk.lockDefaults, ...callerOptions };
  return {
    timeoutMs: options.timeoutMs ?? 60_000,
    pollMs: Math.min(options.pollMs ?? 100, 300),
    criticalMs: options.criticalMs ?? 10_000,
    ownerName: (options.ownerName ?? LOCK_OWNER_NAME).replace(/\n/g, ' '),
    pidAlive: options.pidAlive ?? defaultPidAlive,
    reuseTemps: options.reuseTemps ?? disk.capabilities.reuseLockTemps,
    mode: 0o644 & options.dataMode,
    clock: options.clock ?? realClock,
    warnings: options.warnings,
  };
}

function heldLock(disk: Disk, h: Installed, o: { criticalMs: number; clock: AcquireOptions['clock'] }): HeldLock {
  const deadline = o.clock.now() + o.criticalMs;
  return {
    lockPath: h.lockPath,
    async verify() {
      if (o.clock.now() > deadline) {
        throw new LinkstoreError(
          'E_CRITICAL_SECTION_TIMEOUT',
          `Work under the lock “${h.lockPath}” took longer than ${o.criticalMs} ms and was abandoned without writing.`,
          { path: h.lockPath },
        );
      }
      if (stillOurs(disk, h) !== 'ours') {
        throw new LinkstoreError('E_LOCK_LOST', `The lock “${h.lockPath}” was broken by another process; nothing was written.`, { path: h.lockPath });
      }
    },
  };
}

/**
 * Hold cPanel's dot-lock on `dataPath` (a cPanel path) while `fn` runs. The lock directory must
 * exist. `fn` should call `lock.verify()` before publishing; the critical section is bounded.
 * A release that fails after `fn` succeeded does not fail the call: it is reported in
 * `options.warnings` and retried (see the file comment).
 */
export async function withDotLock<T>(disk: Disk, dataPath: string, callerOptions: DotLockOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const o = resolveOptions(disk, callerOptions);
  const lockCpanel = cpanelLockPath(dataPath);
  const dir = await disk.openDir(path.dirname(lockCpanel));
  const name = path.basename(lockCpanel);
  const lockPath = dir.hostOf(name);
  try {
    return await withMutex(lockPath, async () => {
      const h = await acquire(dir, name, dir.hostOf(path.basename(dataPath)), o);
      installExitHook();
      installedLocks.set(lockPath, h);
      let result: T;
      try {
        result = await fn(heldLock(disk, h, o));
      } catch (e) {
        release(disk, h, false);
        throw e;
      }
      const warning = release(disk, h, true);
      if (warning !== undefined) o.warnings?.push(warning);
      return result;
    });
  } finally {
    dir.release();
  }
}

/** Hold several dot-locks in the given order (cPanel's order matters: per-user DB, then LinkDB). */
export async function withDotLocks<T>(
  disk: Disk,
  dataPaths: readonly { path: string; mode: number }[],
  options: Omit<DotLockOptions, 'dataMode'>,
  fn: (locks: HeldLock[]) => Promise<T>,
): Promise<T> {
  const step = async (i: number, acc: HeldLock[]): Promise<T> => {
    if (i === dataPaths.length) return fn(acc);
    const d = dataPaths[i] as { path: string; mode: number };
    return withDotLock(disk, d.path, { ...options, dataMode: d.mode }, (l) => step(i + 1, [...acc, l]));
  };
  return step(0, []);
}

/** Check every held lock; pass as commitFiles' beforePublish. */
export function verifyAll(locks: readonly HeldLock[]): () => Promise<void> {
  return async () => {
    for (const l of locks) await l.verify();
  };
}

/** The identity of a lock file as it was judged stale (from its `lstat`). */
export interface JudgedLock {
  ino: number;
  mtimeMs: number;
  size: number;
}

/**
 * Remove a lock that someone who does not want the lock judged stale (`linkstore doctor`), and
 * never any other file: a check followed by an unlink (or by a rename over it) of the name can hit
 * a fresh lock that a cPanel waiter installed in between by breaking the same stale lock (R2),
 * and a second writer could then enter beside it. So the name is first renamed to a private name
 * of ours — one atomic step that moves whatever lock is there at that instant — and the moved file
 * is judged where nobody else can replace it: the very file that was judged (inode, mtime, size)
 * and still stale by `isStale` is removed; anything else is linked back under the lock name
 * unchanged (same inode and mtime, so its holder's release check still passes) and left alone.
 * While the name is absent, a waiter takes the lock by `link()` (R1), as after any release. Never
 * waits for anything: a lock in use is reported, not waited on.
 */
export async function removeStaleLock(
  disk: Disk,
  lockHost: string,
  judged: JudgedLock,
  isStale: (content: Buffer) => boolean,
): Promise<'removed' | 'gone' | 'in_use'> {
  const cp = disk.cpanelPathOf(lockHost);
  if (cp === undefined) {
    throw new LinkstoreError('E_OUTSIDE_ROOT', `“${lockHost}” is outside the root; refusing to change it.`, { path: lockHost });
  }
  const dir = await disk.openDir(path.dirname(cp));
  try {
    dir.verify();
    const name = path.basename(cp);
    const aside = lockTempName(name);
    try {
      dir.fs.renameSync(dir.at(name), dir.at(aside));
    } catch (e) {
      if (isEnoent(e)) return 'gone';
      throw ioError(e, 'set aside the stale lock', dir.hostOf(name));
    }
    if (isJudgedStale(dir, aside, judged, isStale)) {
      // Through the disk, so what it read ahead of that directory is forgotten too.
      await disk.removeHostEntry(dir.hostOf(aside), 'file');
      return 'removed';
    }
    putBack(dir, aside, name);
    return 'in_use';
  } finally {
    dir.release();
  }
}

/** Whether the file set aside as `aside` is the lock that was judged, and still stale. */
function isJudgedStale(dir: DirHandle, aside: string, judged: JudgedLock, isStale: (content: Buffer) => boolean): boolean {
  let seen: SeenLock | undefined;
  try {
    seen = readLock(dir, aside);
  } catch {
    // Not a regular file (a symlink, a FIFO): not what was judged; it goes back as it was.
    return false;
  }
  return seen !== undefined && seen.ino === judged.ino && seen.mtimeMs === judged.mtimeMs && seen.size === judged.size && isStale(seen.content);
}

/**
 * Put a lock set aside by mistake back under its name: `link()`, which never replaces a lock that
 * was taken meanwhile, then drop our private name. A `link()` keeps the inode and its mtime.
 */
function putBack(dir: DirHandle, aside: string, name: string): void {
  try {
    dir.fs.linkSync(dir.at(aside), dir.at(name));
  } catch (e) {
    throw ioError(e, `put back the lock set aside as “${aside}” (it came into use while it was checked) at`, dir.hostOf(name));
  }
  unlinkQuietly(dir.fs, dir.at(aside));
}

/** How many locks this process has installed and not yet removed, and how many of them are leftovers being retried. */
export function lockRegistrySizes(): { installed: number; leftovers: number; leftoverDirHandles: number } {
  return { installed: installedLocks.size, leftovers: leftovers.size, leftoverDirHandles: new Set([...leftovers.values()].map((h) => h.dir)).size };
}
