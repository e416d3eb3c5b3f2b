import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { needsBuild } from './build-needs.js';

const top = join(__dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

it('finds the suites that fork a process importing the build, directly or through a helper', () => {
  const needing = new Set(
    testFiles(join(top, 'test'))
      .filter((f) => needsBuild(f))
      .map((f) => relative(top, f)),
  );
  // Direct: the binary, a private dist copy, a packed tarball; through children and helpers.
  for (const f of [
    'test/cli/cli.test.ts',
    'test/package/pack.test.ts',
    'test/io/lock-temps.test.ts',
    'test/io/dot-lock.test.ts',
    'test/stress/crash.test.ts',
  ]) {
    expect(needing, f).toContain(f);
  }
  for (const f of ['test/io/json-codec.test.ts', 'test/users/readers.test.ts', 'test/build-needs.test.ts']) expect(needing, f).not.toContain(f);
});
