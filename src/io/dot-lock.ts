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
 */
import { randomBytes } from 'node:crypto';
import { posix as path } from 'node:path';
import type { Disk } from './disk.js';
import { LinkstoreError, errnoCode, ioError, isEnoent } from './errors.js';
import { fnv1a32 } from './fnv.js';
import { hostProcExists, nodeFsPort, type FsPort } from './fs-port.js';
import { withMutex } from './mutex.js';
import { closeQuietly, readAll, unlinkQuietly, writeAll } from './sys.js';
import { keepIdleLockTemp, lockTempKey, takeIdleLockTemp, type LockTemp } from './lock-temps.js';

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
   * directory, until the event loop next turns (see lock-temps.ts). Default: on with Node's fs,
   * where it saves an inode create and free per lock; off with an injected fs such as memfs, so
   * that tests listing a directory right after a call see only the data files.
   */
  reuseTemps?: boolean;
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
  fs: FsPort;
  lockPath: string;
  ino: number;
  mtimeMs: number;
  size: number;
  /** The temp name still linked to the lock's inode, kept for reuse after release. */
  temp?: { key: string; file: LockTemp };
}

const PROCESS_START_MS = Date.now() - process.uptime() * 1000;
const held = new Set<Installed>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Best effort, synchronous: nothing asynchronous runs at exit. Same inode check as release.
  process.once('exit', () => {
    for (const h of held) {
      try {
        const st = h.fs.lstatSync(h.lockPath);
        if (st.ino === h.ino && st.mtimeMs === h.mtimeMs) h.fs.unlinkSync(h.lockPath);
      } catch {
        // nothing more can be done at exit
      }
      if (h.temp) unlinkQuietly(h.fs, h.temp.file.path);
    }
  });
}

// `<lock>-<hex>-<hex>-<hex>` (§9.1 item 6): a per-process random part, a counter and the PID.
// Uniqueness is what matters (O_EXCL guards the rest); randomBytes per name cost ~10 µs each.
const lockTempRandom = randomBytes(4)
  .toString('hex')
  .replace(/^0+(?=.)/, '');
let lockTempCounter = 0;

function lockTempName(lockPath: string): string {
  lockTempCounter = (lockTempCounter + 1) % 0x100000000;
  const suffix = `-${lockTempRandom}-${lockTempCounter.toString(16)}-${process.pid.toString(16)}`;
  const name = lockPath + suffix;
  if (Buffer.byteLength(path.basename(name)) <= 255) return name;
  return path.join(path.dirname(lockPath), `${lockTempRandom}.lock${suffix}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function quantSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s === 1 ? '1 second' : `${s} seconds`;
}

function readLock(disk: Disk, lockPath: string): { content: Buffer; ino: number; mtimeMs: number; size: number } | undefined {
  const fs = disk.fs;
  let fd: number;
  try {
    fd = fs.openSync(lockPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if (isEnoent(e)) return undefined;
    if (errnoCode(e) === 'ELOOP') {
      throw new LinkstoreError('E_SYMLINK', `The lock file “${lockPath}” is a symbolic link; remove it.`, { path: lockPath, cause: e });
    }
    throw ioError(e, 'read the lock file', lockPath);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new LinkstoreError('E_NOT_FILE', `The lock “${lockPath}” is not a regular file; remove it.`, { path: lockPath });
    return { content: readAll(fs, fd, st, MAX_LOCKFILE_SIZE), ino: st.ino, mtimeMs: st.mtimeMs, size: st.size };
  } catch (e) {
    throw ioError(e, 'read the lock file', lockPath);
  } finally {
    closeQuietly(fs, fd);
  }
}

/** Create our temp lock file with content and mode; returns its identity. */
function writeLockTemp(disk: Disk, lockPath: string, mode: number, ownerName: string): LockTemp {
  const fs = disk.fs;
  const c = fs.constants;
  const temp = lockTempName(lockPath);
  let fd: number;
  try {
    fd = fs.openSync(temp, c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, mode);
  } catch (e) {
    throw ioError(e, 'create a lock file next to', lockPath);
  }
  try {
    // One write of the whole content, before the lock is installed: a lock is never seen empty.
    writeAll(fs, fd, Buffer.from(`${process.pid}\n${ownerName}\n`));
    const st = fs.fstatSync(fd);
    // The umask may have removed bits from `mode` (never added any); the fstat that records the
    // lock's identity shows it, so no umask read is needed. A chmod leaves mtime and size alone.
    if ((st.mode & 0o7777) !== mode) fs.fchmodSync(fd, mode);
    return { fs, path: temp, ino: st.ino, mtimeMs: st.mtimeMs, size: st.size };
  } catch (e) {
    unlinkQuietly(fs, temp);
    throw ioError(e, 'write the lock file', temp);
  } finally {
    closeQuietly(fs, fd);
  }
}

/**
 * An idle temp for `key` that is still exactly the file we wrote (same inode, mtime and size):
 * anything else (gone, or touched by someone) is left alone and a new temp is made instead.
 */
function takeUnchangedIdleTemp(disk: Disk, key: string): LockTemp | undefined {
  const t = takeIdleLockTemp(disk.fs, key);
  if (t === undefined) return undefined;
  const st = disk.lstatSyncOrUndefined(t.path);
  return st !== undefined && st.isFile() && st.ino === t.ino && st.mtimeMs === t.mtimeMs && st.size === t.size ? t : undefined;
}

async function acquire(disk: Disk, lockPath: string, dataPath: string, o: Required<Omit<DotLockOptions, 'dataMode'>> & { mode: number }): Promise<Installed> {
  const start = Date.now();
  const key = lockTempKey(path.dirname(lockPath), o.mode, o.ownerName);
  let reused = o.reuseTemps ? takeUnchangedIdleTemp(disk, key) : undefined;
  let mine = reused ?? writeLockTemp(disk, lockPath, o.mode, o.ownerName);
  let tempPresent = true;
  const installed = (keepTemp: boolean): Installed => ({
    fs: disk.fs,
    lockPath,
    ino: mine.ino,
    mtimeMs: mine.mtimeMs,
    size: mine.size,
    temp: keepTemp ? { key, file: mine } : undefined,
  });
  try {
    let emptySeen: { ino: number; mtimeMs: number; at: number } | undefined;
    for (;;) {
      try {
        disk.fs.linkSync(mine.path, lockPath);
        // The second name is not needed (§9.1 item 5); keep it only to link it again later.
        if (!o.reuseTemps) unlinkQuietly(disk.fs, mine.path);
        tempPresent = false;
        return installed(o.reuseTemps);
      } catch (e) {
        if (reused !== undefined && isEnoent(e) && disk.lstatSyncOrUndefined(mine.path) === undefined) {
          // The idle temp was removed meanwhile (with its directory, or as debris): make a new one.
          reused = undefined;
          mine = writeLockTemp(disk, lockPath, o.mode, o.ownerName);
          continue;
        }
        if (errnoCode(e) !== 'EEXIST') throw ioError(e, 'take the lock', lockPath);
      }
      const seen = readLock(disk, lockPath);
      if (seen !== undefined) {
        let breakIt = false;
        if (seen.size === 0) {
          // R3: empty on two looks at least 300 ms apart, unchanged in between.
          if (emptySeen && emptySeen.ino === seen.ino && emptySeen.mtimeMs === seen.mtimeMs && Date.now() - emptySeen.at >= 300) breakIt = true;
          else if (!emptySeen || emptySeen.ino !== seen.ino || emptySeen.mtimeMs !== seen.mtimeMs)
            emptySeen = { ino: seen.ino, mtimeMs: seen.mtimeMs, at: Date.now() };
        } else {
          emptySeen = undefined;
          const pid = parseLockPid(seen.content);
          if (pid === process.pid) {
            // We hold the in-process mutex, so this is not ours unless it predates us (PID reuse).
            breakIt = seen.mtimeMs < PROCESS_START_MS;
          } else if (pid !== undefined) {
            breakIt = !o.pidAlive(pid);
          }
          // No readable PID in a non-empty lock: wait, like cPanel (but without busy-looping).
        }
        if (breakIt) {
          const now = disk.lstatSyncOrUndefined(lockPath);
          if (now === undefined || (now.ino === seen.ino && now.mtimeMs === seen.mtimeMs)) {
            // Overwrite, never unlink: a waiter must never see the lock absent.
            // The temp name is consumed by the rename: nothing to keep for reuse.
            disk.fs.renameSync(mine.path, lockPath);
            tempPresent = false;
            return installed(false);
          }
          continue;
        }
      }
      if (Date.now() - start >= o.timeoutMs) {
        throw new LinkstoreError(
          'E_LOCK_TIMEOUT',
          `The system failed to lock the file “${dataPath}” after ${quantSeconds(Date.now() - start)}. The lock “${lockPath}” is held by a live process; retry later or stop that process.`,
          {
            path: lockPath,
          },
        );
      }
      await sleep(Math.min(o.pollMs, Math.max(1, o.timeoutMs - (Date.now() - start))));
    }
  } finally {
    if (tempPresent) unlinkQuietly(disk.fs, mine.path);
  }
}

/**
 * Whether the lock file is still the one we installed: same inode and mtime (cPanel's test), and,
 * because inode numbers are reused and mtimes can collide within a tick, still holding our PID.
 */
async function stillOurs(disk: Disk, h: Installed): Promise<'ours' | 'gone' | 'foreign'> {
  // A synchronous lstat: this runs twice per locked operation (verify, release) on one entry.
  const st = disk.lstatSyncOrUndefined(h.lockPath);
  if (st === undefined) return 'gone';
  if (st.ino !== h.ino || st.mtimeMs !== h.mtimeMs || st.size !== h.size || !st.isFile()) return 'foreign';
  // Same identity and size: confirm the content only where inode numbers are recycled eagerly and
  // mtimes are coarse (an injected fs such as memfs); on a real disk this cannot collide.
  if (disk.fs === nodeFsPort) return 'ours';
  const seen = readLock(disk, h.lockPath);
  return seen !== undefined && parseLockPid(seen.content) === process.pid ? 'ours' : 'foreign';
}

/**
 * Remove the lock if it is still ours. `succeeded` says whether the critical section finished
 * without error: only then may its temp stay for reuse, so a failed call leaves nothing behind.
 */
async function release(disk: Disk, h: Installed, succeeded: boolean): Promise<void> {
  held.delete(h);
  const state = await stillOurs(disk, h);
  if (h.temp && (state !== 'ours' || !succeeded)) {
    unlinkQuietly(disk.fs, h.temp.file.path);
    h.temp = undefined;
  }
  if (state === 'gone') {
    throw new LinkstoreError('E_LOCK_LOST', `The lock “${h.lockPath}” disappeared while it was held; another process may have written concurrently.`, {
      path: h.lockPath,
    });
  }
  if (state === 'foreign') {
    throw new LinkstoreError('E_LOCK_LOST', `The lock “${h.lockPath}” was replaced by another process while it was held; it was left in place.`, {
      path: h.lockPath,
    });
  }
  try {
    disk.fs.unlinkSync(h.lockPath);
  } catch (e) {
    if (h.temp) unlinkQuietly(disk.fs, h.temp.file.path);
    if (!isEnoent(e)) throw ioError(e, 'release the lock', h.lockPath);
    return;
  }
  if (h.temp) keepIdleLockTemp(h.temp.key, h.temp.file);
}

/**
 * Hold cPanel's dot-lock on `dataPath` (a cPanel path) while `fn` runs. The lock directory must
 * exist. `fn` should call `lock.verify()` before publishing; the critical section is bounded.
 */
export async function withDotLock<T>(disk: Disk, dataPath: string, callerOptions: DotLockOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const options: DotLockOptions = { ...disk.lockDefaults, ...callerOptions };
  const lockCpanel = cpanelLockPath(dataPath);
  const lockDir = await disk.resolve(path.dirname(lockCpanel));
  const lockPath = path.join(lockDir, path.basename(lockCpanel));
  const dataHost = path.join(lockDir, path.basename(dataPath));
  const o = {
    timeoutMs: options.timeoutMs ?? 60_000,
    pollMs: Math.min(options.pollMs ?? 100, 300),
    criticalMs: options.criticalMs ?? 10_000,
    ownerName: (options.ownerName ?? LOCK_OWNER_NAME).replace(/\n/g, ' '),
    pidAlive: options.pidAlive ?? defaultPidAlive,
    reuseTemps: options.reuseTemps ?? disk.fs === nodeFsPort,
    mode: 0o644 & options.dataMode,
  };
  return withMutex(lockPath, async () => {
    const h = await acquire(disk, lockPath, dataHost, o);
    installExitHook();
    held.add(h);
    const deadline = Date.now() + o.criticalMs;
    const lock: HeldLock = {
      lockPath,
      async verify() {
        if (Date.now() > deadline) {
          throw new LinkstoreError(
            'E_CRITICAL_SECTION_TIMEOUT',
            `Work under the lock “${lockPath}” took longer than ${o.criticalMs} ms and was abandoned without writing.`,
            {
              path: lockPath,
            },
          );
        }
        if ((await stillOurs(disk, h)) !== 'ours') {
          throw new LinkstoreError('E_LOCK_LOST', `The lock “${lockPath}” was broken by another process; nothing was written.`, { path: lockPath });
        }
      },
    };
    let result: T;
    try {
      result = await fn(lock);
    } catch (e) {
      await release(disk, h, false).catch(() => undefined);
      throw e;
    }
    await release(disk, h, true);
    return result;
  });
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
