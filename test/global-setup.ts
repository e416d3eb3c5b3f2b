/**
 * Runs once around the whole test run:
 * - builds dist/ (tsc, then the CLI's bundle) when the run includes a suite that forks a process importing it (build-needs.ts):
 *   plain .mjs children importing dist/src, the binary, the packed package;
 * - guards the host: the real /var/cpanel and /etc must be exactly as they were before the run
 *   (tests must only ever use a root prefix or memfs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { needsBuild } from './build-needs.js';

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

/** The files of this run: the command line's filters (vitest keeps them; pinned version), or all. */
async function filesOfRun(project: TestProject): Promise<string[]> {
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  return (await project.globTestFiles(filters)).testFiles;
}

export default async function setup(project: TestProject): Promise<() => void> {
  const files = await filesOfRun(project);
  if (process.env.LINKSTORE_SKIP_BUILD !== '1' && files.some((f) => needsBuild(f))) {
    // Type errors still emit JavaScript; the typecheck step reports them, so only warn here.
    const r = spawnSync(process.execPath, [join(top, 'node_modules/typescript/bin/tsc'), '-p', join(top, 'tsconfig.build.json')], { encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`warning: build for multi-process tests reported errors:\n${r.stdout}${r.stderr}\n`);
    // The binary runs the CLI's bundle (npm run build's second step).
    const b = spawnSync(process.execPath, [join(top, 'scripts/bundle-cli.mjs')], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`bundling the CLI failed:\n${b.stdout}${b.stderr}`);
  }
  const before = fingerprint();
  return () => {
    const after = fingerprint();
    if (after !== before) {
      throw new Error(`Host guard: the test run changed the real system files.\nBefore:\n${before}\nAfter:\n${after}`);
    }
  };
}
