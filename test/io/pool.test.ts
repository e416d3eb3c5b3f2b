/** mapOrdered: bounded concurrency with results in item order, whatever order the calls finish in. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mapOrdered } from '../../src/io/pool.js';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('mapOrdered', () => {
  it('returns results in item order and never runs more than `width` calls at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (delays, width) => {
        let inFlight = 0;
        let most = 0;
        const out = await mapOrdered(delays, width, async (d, i) => {
          most = Math.max(most, ++inFlight);
          await delay(d);
          inFlight--;
          return i * 10 + d;
        });
        expect(out).toEqual(delays.map((d, i) => i * 10 + d));
        expect(most).toBeLessThanOrEqual(width);
      }),
      { numRuns: 40 },
    );
  });

  it('on a failure starts nothing new, waits for the calls in flight and throws the first failure', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const items = Array.from({ length: 20 }, (_, i) => i);
    const run = mapOrdered(items, 3, async (i) => {
      started.push(i);
      await delay(i === 1 ? 1 : 5);
      if (i === 1) throw new Error('first');
      if (i === 2) throw new Error('second');
      finished.push(i);
      return i;
    });
    await expect(run).rejects.toThrow('first');
    expect(started).toEqual([0, 1, 2]);
    expect(finished).toEqual([0]);
  });

  it('an empty list gives an empty result', async () => {
    expect(await mapOrdered([], 4, async () => 1)).toEqual([]);
  });
});
