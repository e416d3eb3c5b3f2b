/**
 * A private copy of the build for the child processes: other work in the same checkout may rebuild
 * dist/ while a long suite runs, and a child importing a half-written build would fail for reasons
 * that have nothing to do with the library. The copy lives under node_modules/.cache so that the
 * build's own imports (ajv) still resolve and package.json's "type": "module" still applies.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Copy dist/src and return the directory to pass as LINKSTORE_DIST; call the returned cleanup after. */
export function stableDist(): { dir: string; cleanup: () => void } {
  const dir = join(repo, 'node_modules', '.cache', 'linkstore-stress', `${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(repo, 'dist', 'src'), join(dir, 'src'), { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
