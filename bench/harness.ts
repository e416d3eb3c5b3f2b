import { closeSync, fsync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Benchmark harness: each `bench/*.bench.ts` exports `benchmarks`. A benchmark measures our code
 * and a baseline in the same run and reports the ratio, so figures are comparable across machines.
 */
export interface BenchResult {
  /** The headline figure (ms per op, ops/s, ...). */
  figure: number;
  unit: string;
  /** The same-run baseline figure in the same unit, when there is one. */
  baseline?: number;
  /** figure / baseline (or the ratio that the target speaks of). */
  ratio?: number;
  /** The target, in words, e.g. "ratio ≤ 1.2". */
  target?: string;
  /** Whether the target was met (undefined when there is no target). */
  met?: boolean;
  note?: string;
}

export interface Benchmark {
  name: string;
  run(options: { quick: boolean }): Promise<BenchResult>;
}

/** Median of the timings of `n` runs of `fn` in ms. */
export async function medianMs(n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

/** Total time of `fn` in ms. */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/**
 * The minimal durable write of `files` inline, with synchronous calls: per file temp (O_EXCL),
 * write, fsync, close, rename; then one fsync per directory. The baseline our writers are
 * compared against.
 */
export function durableWriteInline(
  files: ReadonlyArray<readonly [dir: string, name: string, content: string | Uint8Array, mode: number]>,
  tag: string | number,
): void {
  for (const [dir, name, content, mode] of files) {
    const tmp = join(dir, `.tmp.${name}.${tag}`);
    const fd = openSync(tmp, 'wx', mode);
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(dir, name));
  }
  for (const dir of new Set(files.map(([dir]) => dir))) {
    const fd = openSync(dir, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
}

const fsyncOnPool = (fd: number): Promise<void> => new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));

/**
 * The least a durable write of `files` can cost without blocking the event loop: the same calls
 * as `durableWriteInline`, with every fsync on the thread pool — the temps' fsyncs side by side,
 * then the renames in order, then the directories' fsyncs side by side. Reported next to the inline
 * baseline, it separates what the thread pool costs from what our checks cost.
 */
export async function durableWritePooled(
  files: ReadonlyArray<readonly [dir: string, name: string, content: string | Uint8Array, mode: number]>,
  tag: string | number,
): Promise<void> {
  const staged = files.map(([dir, name, content, mode]) => {
    const tmp = join(dir, `.tmp.${name}.${tag}`);
    const fd = openSync(tmp, 'wx', mode);
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    return { fd, tmp, target: join(dir, name) };
  });
  await Promise.all(staged.map((s) => fsyncOnPool(s.fd)));
  for (const s of staged) {
    closeSync(s.fd);
    renameSync(s.tmp, s.target);
  }
  const dirs = [...new Set(files.map(([dir]) => dir))].map((dir) => openSync(dir, 'r'));
  await Promise.all(dirs.map(fsyncOnPool));
  for (const fd of dirs) closeSync(fd);
}

/** The longest the library may hold the event loop in one stretch, during any call (issue 16). */
export const MAX_LOOP_HOLD_MS = 50;

/** What a 5 ms interval timer in the same process saw while `fn` ran. */
export interface Ticks {
  ms: number;
  /** The longest time between two ticks (or the start or end of `fn`). */
  longestGap: number;
  delivered: number;
  expected: number;
}

/** Run `fn` beside a 5 ms interval timer, as a daemon's own timers would run beside the library. */
export async function withTicks(fn: () => Promise<unknown>): Promise<Ticks> {
  const ticks: number[] = [];
  const start = performance.now();
  const timer = setInterval(() => ticks.push(performance.now()), 5);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const end = performance.now();
  let longestGap = 0;
  let last = start;
  for (const t of [...ticks, end]) {
    longestGap = Math.max(longestGap, t - last);
    last = t;
  }
  return { ms: end - start, longestGap, delivered: ticks.length, expected: Math.floor((end - start) / 5) };
}
