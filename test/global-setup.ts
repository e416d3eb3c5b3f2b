/**
 * Runs once around the whole test run:
 * - builds dist/ so that multi-process tests can fork plain .mjs children importing dist/src;
 * - guards the host: the real /var/cpanel and /etc must be exactly as they were before the run
 *   (tests must only ever use a root prefix or memfs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const GUARDED = [
  '/var/cpanel',
  '/var/cpanel/integration',
  '/var/cpanel/authn',
  '/var/cpanel/users',
  '/etc/passwd',
  '/etc/group',
  '/etc/aliases',
  '/etc/userdomains',
];

function fingerprint(): string {
  return GUARDED.map((p) => {
    if (!existsSync(p)) return `${p}: absent`;
    const st = lstatSync(p);
    const names = st.isDirectory() ? readdirSync(p).sort().join(',') : '';
    return `${p}: ${st.mtimeMs} ${st.size} ${names}`;
  }).join('\n');
}

export default function setup(): () => void {
  if (process.env.LINKSTORE_SKIP_BUILD !== '1') {
    // Type errors still emit JavaScript; the typecheck step reports them, so only warn here.
    const r = spawnSync(process.execPath, [join(top, 'node_modules/typescript/bin/tsc'), '-p', join(top, 'tsconfig.build.json')], { encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`warning: build for multi-process tests reported errors:\n${r.stdout}${r.stderr}\n`);
  }
  const before = fingerprint();
  return () => {
    const after = fingerprint();
    if (after !== before) {
      throw new Error(`Host guard: the test run changed the real system files.\nBefore:\n${before}\nAfter:\n${after}`);
    }
  };
}
