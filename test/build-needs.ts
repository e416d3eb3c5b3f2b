/**
 * Which test files need the built package (dist/): those that fork a process importing it (an
 * `.mjs` child, the `linkstore` binary, a packed tarball), directly or through a helper module of
 * test/. The global setup builds only when the run includes one, so `vitest run` of a unit suite
 * never waits for `tsc`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What in a file's text says it runs the build. */
// `dist/` of this package, not of a dependency (`ajv/dist/runtime/…` in the generated validators).
const USES_BUILD = /(?<!\w\/)\bdist\/|\bdist['"`]|LINKSTORE_DIST|bin\/linkstore/;
/** Relative module references (`../helpers/x.js`, `'lock-child.mjs'`) to follow. */
const LOCAL_REF = /['"`]((?:\.\.?\/)[^'"`\s]+\.(?:js|ts|mjs)|[\w.-]+\.mjs)['"`]/g;

export function needsBuild(file: string, seen = new Set<string>()): boolean {
  // This module's own patterns would match themselves.
  if (seen.has(file) || !existsSync(file) || file === fileURLToPath(import.meta.url)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  if (USES_BUILD.test(text)) return true;
  for (const m of text.matchAll(LOCAL_REF)) {
    const ref = m[1] as string;
    const target = resolve(dirname(file), ref.startsWith('.') ? ref : `./${ref}`).replace(/\.js$/, '.ts');
    if (needsBuild(target, seen)) return true;
  }
  return false;
}
