/**
 * The real binary refuses what it cannot honour: relative and missing roots, options a command does
 * not take, dry runs where nothing is written; unknown parameters warn (or fail with --strict); and
 * with a JSON output every failure also prints an envelope on stdout.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const top = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(top, 'bin/linkstore.js');
let root = '';

function run(args: string[], cwd = top): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const inRoot = (...args: string[]) => run(['--root', root, ...args]);
const LINKS = 'var/cpanel/integration/links/bob';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'linkstore-strict-'));
  cpSync(join(top, 'test/fixtures/users'), root, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('--root', () => {
  it('a relative root is resolved against the working directory', () => {
    const r = run(['--root', `./${basename(root)}`, 'validate_system_user', 'user=bob'], dirname(root));
    expect(r.code).toBe(0);
    expect(r.out).toContain('exists: 1');
  });

  it('a missing root or a file as root is a usage error naming it', () => {
    const missing = run(['--root', join(root, 'nope'), 'validate_system_user', 'user=bob']);
    expect([missing.code, missing.out]).toEqual([2, '']);
    expect(missing.err).toContain(`The root “${join(root, 'nope')}” does not exist.`);
    const file = join(root, 'etc/passwd');
    const notDir = run(['--root', file, '--output', 'json', 'validate_system_user', 'user=bob']);
    expect(notDir.code).toBe(2);
    expect(JSON.parse(notDir.out)).toEqual({
      metadata: { command: 'validate_system_user', reason: `The root “${file}” is not a directory.`, result: 0, version: 1, error_code: 'E_USAGE' },
    });
  });
});

describe('options a command does not take', () => {
  it('--user on a function says to write user=… (or username=…)', () => {
    const a = inRoot('validate_system_user', '--user', 'bob');
    expect(a.code).toBe(2);
    expect(a.err).toContain('write user=… instead of --user');
    const b = inRoot('get_authn_links', '--user=bob');
    expect(b.code).toBe(2);
    expect(b.err).toContain('write username=… instead of --user');
  });

  it('--fix on a function, --output table on a function and --dry-run on a read are refused', () => {
    const fix = inRoot('list_integration_links', 'user=bob', '--fix');
    expect([fix.code, fix.out]).toEqual([2, '']);
    expect(fix.err).toContain('the option --fix does not apply to “list_integration_links”');
    const table = inRoot('--output', 'table', 'list_integration_links', 'user=bob');
    expect([table.code, table.out]).toEqual([2, '']);
    expect(table.err).toContain('the output format “table” does not apply');
    const dry = inRoot('--dry-run', 'list_integration_links', 'user=bob');
    expect(dry.code).toBe(2);
    expect(dry.err).toContain('does not write, so --dry-run does not apply');
    expect(inRoot('--dry-run', 'export').code).toBe(2);
    expect(inRoot('--dry-run', 'doctor').code).toBe(2);
    expect(inRoot('--output', 'json', 'export').code).toBe(2);
  });
});

describe('unknown key=value parameters', () => {
  it('are ignored with cPanel’s warning, in metadata.output.warnings and on stderr', () => {
    const r = inRoot('--output', 'json', 'create_integration_link', 'user=bob', 'app=billing', 'url=https://x', 'lable=Foo', 'tokn=t0');
    expect(r.code).toBe(0);
    const env = JSON.parse(r.out) as { metadata: { output?: { warnings: string[] } } };
    const warnings = ['Ignoring unrecognized data key “lable” (Foo)!', 'Ignoring unrecognized data key “tokn” (********)!'];
    expect(env.metadata.output?.warnings).toEqual(warnings);
    expect(r.err).toBe(warnings.map((w) => `linkstore: warning: ${w}\n`).join(''));
    expect(JSON.parse(readFileSync(join(root, LINKS, 'billing.userconfig'), 'utf8'))).toEqual({ url: 'https://x' });
    expect(readFileSync(join(root, LINKS, 'billing.adminconfig'), 'utf8')).not.toContain('t0');
  });

  it('are a usage error naming the key with --strict, and nothing is written', () => {
    const r = inRoot('--strict', '--output=json', 'create_integration_link', 'user=bob', 'app=billing', 'url=https://x', 'lable=Foo');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).metadata).toMatchObject({ result: 0, error_code: 'E_USAGE' });
    expect(r.err).toContain('does not take the parameter “lable”');
    expect(existsSync(join(root, 'var/cpanel/integration'))).toBe(false);
  });
});

describe('with --output json|jsonpretty every failure prints an envelope on stdout', () => {
  it.each([
    [['--output', 'json', 'no_such_function'], 'E_UNKNOWN_FUNCTION'],
    [['--output=json', '--bogus', 'validate_system_user'], 'E_USAGE'],
    [['--output', 'jsonpretty', 'validate_system_user', 'notakeyvalue'], 'E_USAGE'],
    [['--output', 'json'], 'E_USAGE'],
    [['--output', 'json', 'doctor', 'extra'], 'E_USAGE'],
    [['--output', 'json', 'import'], 'E_USAGE'],
  ])('%j', (args, code) => {
    const r = inRoot(...args);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).metadata).toMatchObject({ result: 0, version: 1, error_code: code });
  });

  it('an option a command would ignore is a usage error, as a misspelt one is', () => {
    for (const argv of [
      ['--output', 'table', 'rebuild-linkdb', '--dry-run'],
      ['--output', 'table', 'account', 'purge', 'bob', '--dry-run'],
      ['--strict', 'doctor'],
      ['import', '--quiet', '--progress', '--dry-run', '-'],
      ['--output', 'json', 'serve', '--memfs', '--token-file', join(root, 't')],
    ]) {
      const r = inRoot(...argv);
      expect([argv.join(' '), r.code]).toEqual([argv.join(' '), 2]);
    }
  });

  it('a failed command too (doctor --user ghost is E_NO_SUCH_USER)', () => {
    const r = inRoot('--output', 'json', 'doctor', '--user', 'ghost');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).metadata).toMatchObject({ command: 'doctor', result: 0, error_code: 'E_NO_SUCH_USER' });
  });
});

describe('doctor --fix --dry-run', () => {
  it('lists what --fix would repair and changes nothing', () => {
    expect(inRoot('create_integration_link', 'user=bob', 'app=wiki', 'url=https://w').code).toBe(0);
    const file = join(root, LINKS, 'wiki.userconfig');
    chmodSync(file, 0o666);
    const r = inRoot('doctor', '--fix', '--dry-run', '--output', 'table');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/mode\s+would fix/);
    expect(r.out).toContain('Dry run: nothing was changed; --fix would repair 1 finding.');
    expect(statSync(file).mode & 0o7777).toBe(0o666);
    const json = JSON.parse(inRoot('doctor', '--fix', '--dry-run', '--output', 'json').out);
    expect(json).toMatchObject({ fix: false, dryRun: true, summary: { fixable: 1, fixed: 0 } });
    expect(statSync(file).mode & 0o7777).toBe(0o666);
    expect(inRoot('doctor', '--fix', '--output', 'json').code).toBe(0);
    expect(statSync(file).mode & 0o7777).toBe(0o644);
  });

  it('import --dry-run still writes nothing', () => {
    const ndjson = join(root, 'in.ndjson');
    writeFileSync(ndjson, JSON.stringify({ type: 'integration_link', user: 'bob', app: 'x', userconfig: { url: 'https://x' }, token: null }) + '\n');
    const r = inRoot('import', '--dry-run', ndjson);
    expect(r.code).toBe(0);
    expect(r.out).toContain('dry run, nothing was written');
    expect(existsSync(join(root, LINKS))).toBe(false);
  });
});
