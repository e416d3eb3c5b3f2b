/**
 * Verified directory handles kept open between calls (descriptor-path ports only).
 *
 * Resolving and opening a directory costs six system calls (realpath, lstat, open, fstat,
 * readlink, close), and the first lookup through a new `/proc/self/fd/<fd>` instantiates its proc
 * entry: together a tenth of a 1 KiB durable write. A handle kept open is verified again for each
 * call with one `readlink` of its descriptor: the kernel's current path of the open directory
 * must still be the exact canonical path (`root`'s real path plus the cPanel path), which proves
 * the directory is where the call expects it and that no component is a symlink — the same proof
 * the full resolution ends with. Anything else (moved, replaced, deleted: `… (deleted)`) drops
 * the handle and the caller resolves afresh, with its checks and its errors.
 *
 * Only handles whose resolution found no symlink at all are kept. The cache is bounded, closes
 * handles idle for `IDLE_MS` from an unref'd timer (a mounted disk can be unmounted soon after
 * a migration's last call), and never closes a handle someone still holds.
 */
import type { DirHandle } from './dir-handle.js';

const MAX_ENTRIES = 128;
const IDLE_MS = 2000;

interface Entry {
  handle: DirHandle;
  lastUsed: number;
}

export class DirHandleCache {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;

  /** A retained, freshly verified handle on `host`, or undefined (the caller resolves it). */
  take(host: string): DirHandle | undefined {
    const e = this.entries.get(host);
    if (e === undefined) return undefined;
    if (!e.handle.isOpen || !e.handle.stillAt(e.handle.real)) {
      this.drop(host, e);
      return undefined;
    }
    e.lastUsed = Date.now();
    // Most recently used last, so eviction takes the oldest first.
    this.entries.delete(host);
    this.entries.set(host, e);
    return e.handle.retain();
  }

  /** Keep `handle` (the cache takes its own reference). */
  keep(handle: DirHandle): void {
    const old = this.entries.get(handle.host);
    if (old !== undefined) this.drop(handle.host, old);
    this.entries.set(handle.host, { handle: handle.retain(), lastUsed: Date.now() });
    if (this.entries.size > MAX_ENTRIES) this.evictOldest();
    this.arm();
  }

  /** Close every kept handle now (the ones in use close when their holders release them). */
  clear(): void {
    for (const [host, e] of [...this.entries]) this.drop(host, e);
  }

  private drop(host: string, e: Entry): void {
    if (this.entries.get(host) === e) this.entries.delete(host);
    e.handle.release();
  }

  private evictOldest(): void {
    for (const [host, e] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES) return;
      this.drop(host, e);
    }
  }

  private arm(): void {
    if (this.timer !== undefined || this.entries.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      for (const [host, e] of [...this.entries]) if (now - e.lastUsed >= IDLE_MS) this.drop(host, e);
      this.arm();
    }, IDLE_MS);
    this.timer.unref();
  }
}
