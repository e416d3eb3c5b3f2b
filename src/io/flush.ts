/**
 * Filesystem-wide flush for batches: `syncfs(2)` through coreutils' `sync -f`, with group commit.
 *
 * A batch of thousands of files would otherwise pay one fsync per file. Instead it stages every
 * temp file, flushes the filesystem once, renames, and flushes once more. Node has no syncfs, so
 * this runs `sync -f DIR...` (one short child process per flush); concurrent requests share the
 * next flush. Only for Node's own fs on Linux; elsewhere (memfs, other platforms, `sync` missing)
 * it answers false and callers fall back to per-file fsync. Single-file writes never use it: a
 * filesystem flush also writes back other processes' dirty data, which only pays off in bulk.
 */
import { execFile } from 'node:child_process';
import type { Disk } from './disk.js';

let available: boolean | undefined = process.platform === 'linux' ? undefined : false;
let running: Promise<boolean> | undefined;
let next: { dirs: Set<string>; promise: Promise<boolean> } | undefined;

function runSync(dirs: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sync', ['-f', ...dirs], { timeout: 120_000 }, (err) => {
      if (err && available === undefined) available = false;
      else if (!err) available = true;
      resolve(!err);
    });
  });
}

/**
 * One directory per filesystem among `hostDirs`: `sync -f` flushes the whole filesystem of each
 * argument (one syncfs per argument), so 20,000 directories of one disk need one argument, not
 * 20,000 — which also exceeded the argument-size limit (E2BIG) at about 20,000 users.
 */
function onePerFilesystem(disk: Disk, hostDirs: Iterable<string>): string[] {
  const byDevice = new Map<number, string>();
  for (const d of hostDirs) {
    let dev: number;
    try {
      dev = disk.fs.lstatSync(d).dev;
    } catch {
      continue; // gone: nothing of ours left there to flush
    }
    if (!byDevice.has(dev)) byDevice.set(dev, d);
  }
  return [...byDevice.values()];
}

/**
 * Flush the filesystems holding `hostDirs`; true when done, false when the caller must fsync
 * itself (no flush on this port, or it failed). Never throws.
 */
export function flushFilesystems(disk: Disk, hostDirs: Iterable<string>): Promise<boolean> {
  if (!disk.capabilities.filesystemFlush || available === false) return Promise.resolve(false);
  const dirs = onePerFilesystem(disk, hostDirs);
  if (dirs.length === 0) return Promise.resolve(true);
  if (!running) {
    running = runSync(dirs).finally(() => {
      running = undefined;
    });
    return running;
  }
  // A flush is in progress and may have started before our data was written: join the next one.
  if (!next) {
    const batch = { dirs: new Set<string>(), promise: undefined as unknown as Promise<boolean> };
    batch.promise = running.then(() => {
      next = undefined;
      running = runSync([...batch.dirs]).finally(() => {
        running = undefined;
      });
      return running;
    });
    next = batch;
  }
  for (const d of dirs) next.dirs.add(d);
  return next.promise;
}
