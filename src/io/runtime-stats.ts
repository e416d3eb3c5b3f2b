/**
 * The sizes of every process-wide registry of the io layer, for long-running hosts and the
 * long-life stress check: when the process is idle, all are 0 but the idle lock temps (swept at
 * the next event-loop turn, at most 16) and, after failed removals, leftover locks and temps being
 * retried. Nothing else of the library grows with the number of calls.
 */
import { lockRegistrySizes } from './dot-lock.js';
import { idleLockTempCount, leftoverLockTempCount } from './lock-temps.js';
import { mutexKeyCount } from './mutex.js';

export interface RuntimeStats {
  /** Locks installed and not yet removed (held now, or leftovers being retried). */
  installedLocks: number;
  /** Installed locks whose release failed and is being retried. */
  leftoverLocks: number;
  /** Open directory handles those leftovers hold: one per directory, however many locks it holds. */
  leftoverLockDirs: number;
  /** Released lock temps kept for reuse until the next event-loop turn. */
  idleLockTemps: number;
  /** Lock temps whose unlink failed, retried in the background (at most 64). */
  leftoverLockTemps: number;
  /** Lock paths with an in-process holder or waiter. */
  mutexKeys: number;
}

export function runtimeStats(): RuntimeStats {
  const locks = lockRegistrySizes();
  return {
    installedLocks: locks.installed,
    leftoverLocks: locks.leftovers,
    leftoverLockDirs: locks.leftoverDirHandles,
    idleLockTemps: idleLockTempCount(),
    leftoverLockTemps: leftoverLockTempCount(),
    mutexKeys: mutexKeyCount(),
  };
}
