/**
 * In-process mutual exclusion keyed by a string (a host lock path). The dot-lock cannot tell two
 * async operations of one process apart (same PID), so every lock path is first serialized here
 * (cpanel-locking.md §9.4). The registry is module-global so separate Disk/store instances in
 * one process still exclude each other.
 */
const tails = new Map<string, Promise<void>>();

/** Run `fn` when no other holder of `key` in this process is running. */
export async function withMutex<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => {
    release = r;
  });
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** How many keys have a holder or waiter right now (0 when the process is idle). */
export function mutexKeyCount(): number {
  return tails.size;
}
