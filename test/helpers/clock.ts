/**
 * A dot-lock clock for tests (the `lock.clock` option): `sleep` advances `now` at once (after one
 * event-loop turn, so other work still interleaves) and records each wait, so lock tests assert
 * what the lock did — how often and how long it waited — instead of wall-clock times. With
 * `real`, time and sleeps are the wall's, only counted (for waits on another process).
 */
export interface TestClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  sleeps: number[];
}

export function testClock(real = false): TestClock {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => (real ? Date.now() : t),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      if (real) await new Promise((r) => setTimeout(r, ms));
      else await new Promise<void>((r) => setImmediate(r)).then(() => void (t += ms));
    },
  };
}
