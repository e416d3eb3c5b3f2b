/**
 * Lazy loading, checked by what Node actually loads (a module-load hook in a child process on the
 * built package): the entry point and a read-only CLI call leave the stores, the doctor and the
 * transfer code unloaded, so start-up stays close to `node -e 0` (`npm run bench` measures it).
 * The CLI runs from its bundle (dist/cli): a loaded chunk stands for the modules its manifest lists.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const top = join(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'linkstore-lazy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hook = join(work, 'hook.mjs');
writeFileSync(
  hook,
  // This package's dist/ only (a dependency has a dist/ of its own: ajv/dist/…).
  `const ours = ${JSON.stringify(pathToFileURL(join(top, 'dist')).href + '/')};\n` +
    `export async function load(url, context, next) { if (url.startsWith(ours)) process.stderr.write('LOADED ' + url.slice(ours.length) + '\\n'); return next(url, context); }\n`,
);
const register = join(work, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);

/** The files under dist/ that a child process loaded (`src/…` modules, `cli/…` bundle chunks). */
function loadedFiles(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', register, ...args], { encoding: 'utf8', cwd: top });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice('LOADED '.length));
}

/** The source modules (relative to dist/src) a child loaded: its modules, and those inside the CLI bundle's chunks. */
function loaded(args: string[]): string[] {
  const manifest = JSON.parse(readFileSync(join(top, 'dist/cli/manifest.json'), 'utf8')) as Record<string, string[]>;
  return loadedFiles(args).flatMap((f) => {
    if (f.startsWith('src/')) return [f.slice('src/'.length)];
    const chunk = f.slice('cli/'.length);
    expect(Object.hasOwn(manifest, chunk), `${f} is in dist/cli/manifest.json`).toBe(true);
    return manifest[chunk] as string[];
  });
}
const HEAVY = /^(integration|authn|doctor\/(?!render)|transfer|generated)\/|^io\/(commit|json-codec|schema)\.js$/;

describe('lazy loading', () => {
  it('import of the package loads the composition root and the errors only', () => {
    const mods = loaded(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(top, 'dist/src/index.js')).href)})`]);
    expect(mods).toContain('index.js');
    expect(mods.filter((m) => HEAVY.test(m) || m.startsWith('users/') || m.startsWith('whm/'))).toEqual([]);
    expect(mods.length).toBeLessThanOrEqual(18);
  });

  it('import of the package loads neither node:crypto nor perf_hooks (6 % and 3 % of a bare start)', () => {
    const entry = JSON.stringify(pathToFileURL(join(top, 'dist/src/index.js')).href);
    const script = `await import(${entry}); console.log(JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (crypto|perf_hooks)$/.test(m))));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: top });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('a read-only CLI call loads neither the stores of other areas nor the writers, from a few bundle files', () => {
    const args = [join(top, 'bin/linkstore.js'), '--root', join(top, 'test/fixtures/users'), 'validate_system_user', 'user=bob'];
    const mods = loaded(args);
    expect(mods).toContain('users/index.js');
    expect(mods.filter((m) => HEAVY.test(m) || m === 'cli/help.js')).toEqual([]);
    // The bundle, not the tsc output: its read-only chunk holds the whole path (scripts/bundle-cli.mjs).
    const files = loadedFiles(args);
    expect(files.filter((f) => f.startsWith('src/'))).toEqual([]);
    expect(files.length).toBeLessThanOrEqual(6);
  });

  it('a CLI call of another area loads its code on demand, from its own chunks', () => {
    const root = mkdtempSync(join(work, 'root-'));
    const mods = loaded([join(top, 'bin/linkstore.js'), '--root', root, 'get_users_authn_linked_accounts']);
    expect(mods.some((m) => m.startsWith('authn/'))).toBe(true);
    expect(mods.filter((m) => /^(doctor|transfer|server|apply|archive)\//.test(m) || m === 'cli/help.js')).toEqual([]);
  });
});
