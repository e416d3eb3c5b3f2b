/**
 * Bounded concurrency for scans of many independent items (accounts, per-user files): a few
 * awaits in flight keep the thread pool busy instead of waiting on one lstat at a time, while the
 * results come back in the items' order, so whatever is built from them stays deterministic.
 */

/**
 * `fn` over `items` with at most `width` calls in flight; the results in item order. On the first
 * failure no new item starts; the calls in flight are awaited, then that failure is thrown.
 */
export async function mapOrdered<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return out;
}
