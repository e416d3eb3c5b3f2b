/**
 * Lazy loading, checked by what Node actually loads (a module-load hook in a child process on the
 * built package): the entry point and a read-only CLI call leave the stores, the doctor and the
 * transfer code unloaded, so start-up stays close to `node -e 0` (`npm run bench` measures it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  `export async function load(url, context, next) { if (url.includes('/dist/src/')) process.stderr.write('LOADED ' + url.split('/dist/src/')[1] + '\\n'); return next(url, context); }\n`,
);
const register = join(work, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);

function loaded(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', register, ...args], { encoding: 'utf8', cwd: top });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice('LOADED '.length));
}
const HEAVY = /^(integration|authn|doctor\/(?!render)|transfer|generated)\/|^io\/(commit|json-codec|schema)\.js$/;

describe('lazy loading', () => {
  it('import of the package loads the composition root and the errors only', () => {
    const mods = loaded(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(top, 'dist/src/index.js')).href)})`]);
    expect(mods).toContain('index.js');
    expect(mods.filter((m) => HEAVY.test(m) || m.startsWith('users/') || m.startsWith('whm/'))).toEqual([]);
    expect(mods.length).toBeLessThanOrEqual(18);
  });

  it('a read-only CLI call loads neither the stores of other areas nor the writers', () => {
    const mods = loaded([join(top, 'bin/linkstore.js'), '--root', join(top, 'test/fixtures/users'), 'validate_system_user', 'user=bob']);
    expect(mods).toContain('users/index.js');
    expect(mods.filter((m) => HEAVY.test(m) || m === 'cli/help.js')).toEqual([]);
  });
});
