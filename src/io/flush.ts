/**
 * Filesystem-wide flush for batches: `syncfs(2)` through coreutils' `sync -f`, with group commit.
 *
 * A batch of thousands of files would otherwise pay one fsync per file. Instead it stages every
 * temp file, flushes the filesystem once, renames, and flushes once more. Node has no syncfs, so
 * this runs coreutils' `sync -f DIR` (the first flush as its own child process, later ones through
 * a long-lived shell, see sync-server.ts); concurrent requests share the next flush. Only for Node's own fs on Linux; elsewhere (memfs, other platforms, `sync` missing)
 * it answers false and callers fall back to per-file fsync. Single-file writes never use it: a
 * filesystem flush also writes back other processes' dirty data, which only pays off in bulk.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Disk } from './disk.js';
import { pace } from './pace.js';
import { syncThroughServer } from './sync-server.js';

let available: boolean | undefined = process.platform === 'linux' ? undefined : false;
let running: Promise<boolean> | undefined;
let next: { dirs: Map<number, string>; promise: Promise<boolean> } | undefined;

/** coreutils' `sync`, found once: a bare name would make every spawn walk the PATH. */
let syncBinary: string | undefined;

function findSync(disk: Disk): string {
  if (syncBinary !== undefined) return syncBinary;
  for (const p of ['/usr/bin/sync', '/bin/sync']) {
    try {
      if (disk.fs.lstatSync(p).isFile()) return (syncBinary = p);
    } catch {
      // not there: try the next
    }
  }
  return (syncBinary = 'sync');
}

const FLUSH_TIMEOUT_MS = 120_000;

/**
 * How long recent flushes took (a moving average, ms), and when one was last slow. A filesystem
 * flush writes back every process's dirty data: cheap on a quiet disk, seconds on a busy one.
 */
let flushMsAverage: number | undefined;
let lastSlowAt = -Infinity;
const CHEAP_FLUSH_MS = 25;
const SLOW_FLUSH_RETRY_MS = 10_000;

function recordDuration(ms: number): void {
  flushMsAverage = flushMsAverage === undefined ? ms : flushMsAverage * 0.7 + ms * 0.3;
  if (flushMsAverage > CHEAP_FLUSH_MS) lastSlowAt = performance.now();
}

/**
 * Whether a filesystem flush is worth sharing among small overlapping commits now: available, and
 * recent ones were cheap (after a slow spell, tried again at most every 10 s).
 */
export function filesystemFlushIsCheap(disk: Disk): boolean {
  if (!disk.capabilities.filesystemFlush || available === false) return false;
  if (flushMsAverage === undefined || flushMsAverage <= CHEAP_FLUSH_MS) return true;
  if (performance.now() - lastSlowAt < SLOW_FLUSH_RETRY_MS) return false;
  flushMsAverage = undefined;
  return true;
}

function runSync(binary: string, dirs: readonly string[]): Promise<boolean> {
  // Once `sync` is known to work, flushes go through the long-lived server (no fork per flush);
  // only those are timed (a spawn's own cost would make every first flush look slow).
  const started = performance.now();
  const served = available === true ? syncThroughServer(binary, dirs, FLUSH_TIMEOUT_MS) : undefined;
  if (served !== undefined) {
    return served.then((ok) => {
      if (ok) recordDuration(performance.now() - started);
      return ok;
    });
  }
  return new Promise((resolve) => {
    execFile(binary, ['-f', ...dirs], { timeout: FLUSH_TIMEOUT_MS }, (err) => {
      if (err && available === undefined) available = false;
      else if (!err) available = true;
      resolve(!err);
    });
  });
}

/** Directories looked up between two offers to let the event loop turn. */
const DIRS_PER_STEP = 256;

/**
 * One directory per filesystem among `hostDirs`: `sync -f` flushes the whole filesystem of each
 * argument (one syncfs per argument), so 20,000 directories of one disk need one argument, not
 * 20,000 — which also exceeded the argument-size limit (E2BIG) at about 20,000 users.
 */
async function onePerFilesystem(disk: Disk, hostDirs: Iterable<string>): Promise<Map<number, string>> {
  const byDevice = new Map<number, string>();
  let seen = 0;
  for (const d of hostDirs) {
    // A batch for 20,000 users hands 40,000 directories here: 280 ms of lstats in one step.
    if (++seen % DIRS_PER_STEP === 0) await pace();
    let dev: number;
    try {
      dev = disk.fs.lstatSync(d).dev;
    } catch {
      continue; // gone: nothing of ours left there to flush
    }
    if (!byDevice.has(dev)) byDevice.set(dev, d);
  }
  return byDevice;
}

/**
 * Flush the filesystems holding `hostDirs`; true when done, false when the caller must fsync
 * itself (no flush on this port, or it failed). Never throws.
 *
 * With `patienceMs`, a flush still running after that long answers false (the caller fsyncs its
 * own files instead) and counts as slow, so overlapping commits stop sharing flushes for a while:
 * beside a process writing gigabytes, one `syncfs` takes as long as writing all of it back, and
 * small commits must not wait on that (they did: ten seconds, past their lock's bound).
 */
export function flushFilesystems(disk: Disk, hostDirs: Iterable<string>, options: { patienceMs?: number } = {}): Promise<boolean> {
  const flush = flushFilesystemsNow(disk, hostDirs);
  return options.patienceMs === undefined ? flush : withPatience(flush, options.patienceMs);
}

/** `flush`, or false once `patience` ms have passed without it (then flushes count as slow). */
export function withPatience(flush: Promise<boolean>, patience: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      markSlow();
      resolve(false);
    }, patience);
    const settle = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    // A flush never rejects; should one, the caller fsyncs its own files all the same.
    flush.then(settle, () => settle(false));
  });
}

/** A flush outlasted its caller's patience: no shared flushes until the next retry. */
function markSlow(): void {
  flushMsAverage = Math.max(flushMsAverage ?? 0, CHEAP_FLUSH_MS * 4);
  lastSlowAt = performance.now();
}

async function flushFilesystemsNow(disk: Disk, hostDirs: Iterable<string>): Promise<boolean> {
  if (!disk.capabilities.filesystemFlush || available === false) return false;
  const dirs = await onePerFilesystem(disk, hostDirs);
  // From here on nothing awaits until the flush is started or joined (see `running`, `next`).
  if (dirs.size === 0) return true;
  const binary = findSync(disk);
  if (!running) {
    running = runSync(binary, [...dirs.values()]).finally(() => {
      running = undefined;
    });
    return running;
  }
  // A flush is in progress and may have started before our data was written: join the next one,
  // which flushes each filesystem once however many callers joined it.
  if (!next) {
    const batch = { dirs: new Map<number, string>(), promise: undefined as unknown as Promise<boolean> };
    batch.promise = running.then(() => {
      next = undefined;
      running = runSync(binary, [...batch.dirs.values()]).finally(() => {
        running = undefined;
      });
      return running;
    });
    next = batch;
  }
  const joined = next;
  for (const [dev, d] of dirs) if (!joined.dirs.has(dev)) joined.dirs.set(dev, d);
  return joined.promise;
}
