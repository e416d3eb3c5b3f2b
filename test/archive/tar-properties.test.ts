/**
 * Properties of the tar layer over open-ended inputs: the member-path judgement, and the splice
 * (dropping nothing copies every member byte for byte; dropping a set removes exactly those).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memberProblem, normalizeMemberPath } from '../../src/archive/tar-read.js';
import { spliceTar } from '../../src/archive/tar-write.js';
import { EOF, list, member, tarball } from './tarballs.js';

const segment = fc.stringMatching(/^[a-zA-Z0-9._@-]{1,12}$/);
const relPath = fc.array(segment, { minLength: 1, maxLength: 12 }).map((s) => s.join('/'));

async function collect(src: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of src) out.push(c);
  return Buffer.concat(out);
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  // Odd chunk sizes, so member boundaries fall inside chunks.
  for (let i = 0; i < b.length; i += 777) yield b.subarray(i, i + 777);
}

describe('tar properties', () => {
  it('a path is refused exactly when it is absolute or has a “..” component', () => {
    fc.assert(
      fc.property(relPath, fc.boolean(), (p, absolute) => {
        const path = absolute ? `/${p}` : p;
        const climbs = path.split('/').includes('..');
        const problem = memberProblem(path, 'File');
        expect(problem !== undefined).toBe(absolute || climbs);
      }),
    );
  });

  it('splicing with nothing dropped is the identity; dropping removes exactly the dropped members', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ path: relPath, content: fc.string({ maxLength: 700 }), drop: fc.boolean() }), {
          minLength: 1,
          maxLength: 8,
          selector: (m) => normalizeMemberPath(m.path),
        }),
        async (members) => {
          const files = members.filter((m) => !m.path.split('/').includes('..'));
          const blocks = files.map((m) => member({ path: m.path, content: m.content }));
          const raw = tarball(blocks, false);
          expect((await collect(spliceTar(once(raw), () => false, []))).equals(raw)).toBe(true);
          const dropped = new Set(files.filter((m) => m.drop).map((m) => normalizeMemberPath(m.path)));
          const out = await collect(spliceTar(once(raw), (p) => dropped.has(p), []));
          const expected = Buffer.concat([...blocks.filter((_, i) => !dropped.has(normalizeMemberPath((files[i] as { path: string }).path))), EOF]);
          expect(out.equals(expected)).toBe(true);
          expect((await list(out)).map((m) => m.path)).toEqual(files.filter((m) => !dropped.has(normalizeMemberPath(m.path))).map((m) => m.path));
        },
      ),
      { numRuns: 60 },
    );
  });
});
