/**
 * Cooperative pacing: the library never holds the host's event loop for long, whatever the
 * sequence of calls.
 *
 * An awaited call that finds everything it needs without waiting on the disk (a read served from
 * memory, a no-op write, a fast refusal) resolves through microtasks only, and a loop of such calls
 * never lets the event loop turn: the host's timers and sockets starve. So every entry into the
 * disk layer asks `pace()`, which costs one clock read, and yields a real event-loop turn
 * (`setImmediate`) when the loop has not turned for `SLICE_MS`. An unref'd immediate records each
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
/** The one pacing yield in progress: every caller that asks while it is pending waits for the same turn. */
let pendingYield: Promise<void> | undefined;

/**
 * Whether a pacing yield of the library is in progress: the loop is turning only because a call
 * yielded mid-way, not because the host got back to it (lock-temps.ts keeps its sweep for then).
 */
export function pacingInFlight(): boolean {
  return pendingYield !== undefined;
}

function markTurn(): void {
  markerPending = false;
  lastTurn = performance.now();
}

/** Yield one event-loop turn when the loop has not turned for SLICE_MS; otherwise nothing. */
export function pace(): Promise<void> | undefined {
  const now = performance.now();
  lastTurn ??= now;
  if (now - lastTurn < SLICE_MS) {
    if (!markerPending) {
      markerPending = true;
      setImmediate(markTurn).unref();
    }
    return undefined;
  }
  // Callers that run side by side (a scan's concurrent workers) share one yield: with one
  // immediate each, every callback would resume its caller for a whole slice before the next one
  // ran, all in one check phase, and the host's timers would wait for all of those slices.
  // setImmediate, not setTimeout: a zero timeout is really 1 ms, which cost inline (CLI) writes an
  // eighth of their time. A yield that starts in the check phase (as every one after the first
  // does) resumes in the next turn's check phase, after that turn's timers and I/O callbacks; one
  // that starts elsewhere lets I/O callbacks run now and timers at the next yield, a slice later.
  pendingYield ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      pendingYield = undefined;
      lastTurn = performance.now();
      resolve();
    }),
  );
  return pendingYield;
}
