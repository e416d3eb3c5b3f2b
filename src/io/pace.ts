/**
 * Cooperative pacing: the library never holds the host's event loop for long, whatever the
 * sequence of calls.
 *
 * An awaited call that finds everything it needs without waiting on the disk (a read served from
 * memory, a no-op write, a fast refusal) resolves through microtasks only, and a loop of such calls
 * never lets the event loop turn: the host's timers and sockets starve. So every entry into the
 * disk layer awaits `pace()`, which costs a promise and one clock read, and yields a real
 * event-loop turn (`setImmediate`) when the loop has not turned for `SLICE_MS`. An unref'd immediate records each
 * turn the loop makes on its own, so a program that already yields (thread-pool fsync, sockets)
 * never pays for an extra one.
 */
/** Longest stretch the library runs without letting the event loop turn. */
export const SLICE_MS = 8;

// Node's global `performance`, first read on the first call: importing node:perf_hooks (or reading
// the clock here) loaded it with the package, 3 % of `import.startup`.
/** When the loop last turned (undefined until the first call, which counts as a fresh turn). */
let lastTurn: number | undefined;
let markerPending = false;
/** Whether a pacing yield is scheduled: every caller that asks while it is pending waits for the same turn. */
let yieldScheduled = false;
/** The callers waiting for that turn, in the order they asked; released one at a time (`releaseNext`). */
let waiting: Array<() => void> = [];
let nextWaiting = 0;
/** Whether `releaseNext` is queued (callers are passing); false while a yield is awaited. */
let releasing = false;

/**
 * Whether a pacing yield of the library is in progress: the loop is turning only because a call
 * yielded mid-way, not because the host got back to it (lock-temps.ts keeps its sweep for then).
 */
export function pacingInFlight(): boolean {
  return yieldScheduled || nextWaiting < waiting.length;
}

function markTurn(): void {
  markerPending = false;
  lastTurn = performance.now();
}

/**
 * Pass when the loop has turned within SLICE_MS; otherwise wait for one event-loop turn.
 *
 * Callers pass one at a time, the clock read as each passes: concurrent callers (an import's few
 * hundred look-ups, a scan's workers) all asked before any of them did its step, so a check made
 * when asked let every one of them run its step in the same turn (40–55 ms together). A caller
 * passes from a microtask queued behind the previous caller's step, so the clock it is judged by
 * has seen that step.
 */
export function pace(): Promise<void> {
  lastTurn ??= performance.now();
  if (!markerPending) {
    markerPending = true;
    setImmediate(markTurn).unref();
  }
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    if (!releasing && !yieldScheduled) {
      releasing = true;
      queueMicrotask(releaseNext);
    }
  });
}

/**
 * One turn of the event loop, then the waiting callers go on. Callers that wait side by side share
 * the one turn: with one immediate each, every callback would resume its caller for a whole slice
 * before the next one ran, all in one check phase. setImmediate, not setTimeout: a zero timeout is
 * really 1 ms, which cost inline (CLI) writes an eighth of their time. A yield that starts in the
 * check phase (as every one after the first does) resumes in the next turn's check phase, after
 * that turn's timers and I/O callbacks; one that starts elsewhere lets I/O callbacks run now and
 * timers at the next yield, a slice later.
 */
function scheduleYield(): void {
  releasing = false;
  if (yieldScheduled) return;
  yieldScheduled = true;
  setImmediate(() => {
    yieldScheduled = false;
    lastTurn = performance.now();
    releasing = true;
    releaseNext();
  });
}

/** Let the next waiting caller pass, or yield a turn when the slice is spent (see `pace`). */
function releaseNext(): void {
  if (nextWaiting >= waiting.length) {
    waiting = [];
    nextWaiting = 0;
    releasing = false;
    return;
  }
  if (performance.now() - (lastTurn as number) >= SLICE_MS) {
    scheduleYield();
    return;
  }
  const resolve = waiting[nextWaiting] as () => void;
  waiting[nextWaiting++] = noop;
  resolve();
  queueMicrotask(releaseNext);
}

const noop = (): void => undefined;
