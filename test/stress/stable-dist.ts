/**
 * A private copy of the build for the child processes: other work in the same checkout may rebuild
 * dist/ while a long suite runs, and a child importing a half-written build would fail for reasons
 * that have nothing to do with the library. The copy lives in a temp directory with its own
 * package.json ("type": "module") and a symlink to the checkout's node_modules, so the build's
 * imports (ajv) still resolve; it works for any user that can read the checkout.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Copy dist/src and return the directory to pass as LINKSTORE_DIST; call the returned cleanup after. */
export function stableDist(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'linkstore-stress-dist-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  cpSync(join(repo, 'dist', 'src'), join(dir, 'src'), { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
