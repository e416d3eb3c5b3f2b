/** lineBytes: NDJSON lines from a stream of chunks, however the chunks cut the input; over-long lines fail alone. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lineBytes, OverlongLine, splitLineBytes } from '../../src/transfer/index.js';

async function collect(chunks: Uint8Array[], max?: number): Promise<Array<Uint8Array | OverlongLine>> {
  const out: Array<Uint8Array | OverlongLine> = [];
  for await (const l of lineBytes(
    (async function* () {
      yield* chunks;
    })(),
    max,
  ))
    out.push(l);
  return out;
}

/** Cut `bytes` at the given offsets. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

describe('lineBytes', () => {
  it('gives the same lines as splitting the whole input, whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }).map((b) => b.map((x) => (x % 5 === 0 ? 0x0a : x))),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (bytes, at) => {
          const got = (await collect(cut(bytes, at))).map((l) => Buffer.from(l as Uint8Array).toString('hex'));
          expect(got).toEqual(splitLineBytes(bytes).map((l) => Buffer.from(l).toString('hex')));
        },
      ),
    );
  });

  it('a line over the limit is reported by its length, its neighbours are kept', async () => {
    const input = Buffer.from('{"a":1}\n' + 'x'.repeat(50) + '\n{"b":2}');
    const got = await collect(cut(input, [3, 20, 40, 59]), 16);
    expect(got).toHaveLength(3);
    expect(Buffer.from(got[0] as Uint8Array).toString()).toBe('{"a":1}');
    expect(got[1]).toEqual(new OverlongLine(50));
    expect(Buffer.from(got[2] as Uint8Array).toString()).toBe('{"b":2}');
  });

  it('a line is a copy: reusing the chunk buffer afterwards does not change it', async () => {
    const chunk = Buffer.from('ab\ncd');
    const lines: Uint8Array[] = [];
    for await (const l of lineBytes(
      (async function* () {
        yield chunk;
        chunk.fill(0x7a);
        yield Buffer.from('e\n');
      })(),
    ))
      lines.push(l as Uint8Array);
    expect(lines.map((l) => Buffer.from(l).toString())).toEqual(['ab', 'cde']);
  });
});
