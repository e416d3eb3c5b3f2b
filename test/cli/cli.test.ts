/** The real binary, spawned: argument forms, output formats, exit codes, help, dry run. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const top = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(top, 'bin/linkstore.js');
let root = '';

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'linkstore-cli-'));
  cpSync(join(top, 'test/fixtures/users'), root, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('linkstore CLI', () => {
  it('validate_system_user prints whmapi1 YAML and exits 0', () => {
    const r = run('--root', root, 'validate_system_user', 'user=bob');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      '---\ndata:\n  exists: 1\n  reserved: 0\n  valid_for_new: 1\n  valid_for_transfer: 1\nmetadata:\n  command: validate_system_user\n  reason: OK\n  result: 1\n  version: 1\n',
    );
  });

  it('accepts --output=json and --output json, --root=DIR and --root DIR', () => {
    const a = run(`--root=${root}`, '--output=json', 'validate_system_user', 'user=root');
    const b = run('--root', root, '--output', 'json', 'validate_system_user', 'user=root');
    expect(a.out).toBe(b.out);
    expect(JSON.parse(a.out)).toEqual({
      data: { exists: 1, reserved: 1, valid_for_new: 1, valid_for_transfer: 1 },
      metadata: { command: 'validate_system_user', reason: 'OK', result: 1, version: 1 },
    });
    expect(run('--root', root, '--output', 'jsonpretty', 'validate_system_user', 'user=root').out).toContain('\n  "data": {\n');
  });

  it('values may contain “=” after the first and “key=” is the empty string', () => {
    const r = run('--root', root, '--output=json', 'create_integration_link', 'user=bob', 'app=billing', 'url=https://x.example/?a=b&c=d', 'label=');
    expect(r.code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(root, 'var/cpanel/integration/links/bob/billing.userconfig'), 'utf8')) as Record<string, string>;
    expect(cfg).toEqual({ label: '', url: 'https://x.example/?a=b&c=d' });
  });

  it('exits 1 with the reason when result is 0', () => {
    const r = run('--root', root, '--output=json', 'verify_new_username', 'user=bob');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).metadata.reason).toBe('This system already has an account named “bob”.');
  });

  it('exits 2 on usage errors', () => {
    expect(run('--root', root, 'no_such_function').code).toBe(2);
    expect(run('--root', root, '--output', 'xml', 'validate_system_user', 'user=a').code).toBe(2);
    expect(run('--bogus').code).toBe(2);
    expect(run('--root').code).toBe(2);
    expect(run('--root', root, 'validate_system_user', 'notakeyvalue').code).toBe(2);
    expect(run().code).toBe(2);
  });

  it('“--” ends the options; a single-dash option is named as an unknown option; an unknown function reads as callWhm says it', async () => {
    expect(JSON.parse(run('--root', root, '--output', 'json', '--', 'validate_system_user', 'user=bob').out).data.exists).toBe(1);
    for (const flag of ['-V', '-o']) {
      const r = run('--root', root, flag, 'validate_system_user', 'user=bob');
      expect(r.code).toBe(2);
      expect(r.err).toContain(`Unknown option “${flag}”.`);
    }
    const { callWhm } = await import('../../src/whm/index.js');
    const { Linkstore } = await import('../../src/services.js');
    const direct = await callWhm(new Linkstore({ root }), 'list_integration_link', { user: 'bob' });
    const cli = JSON.parse(run('--root', root, '--output', 'json', 'list_integration_link', 'user=bob').out);
    expect(cli.metadata.reason).toBe(direct.metadata.reason);
    expect(cli.metadata.error_code).toBe('E_UNKNOWN_FUNCTION');
  });

  it('with --output json every failure prints an envelope: a command’s I/O failure is exit 1 (not a usage error), an unreadable state file exit 2', () => {
    const exp = run('--root', root, 'export', '--out', join(root, 'no/such/dir/out.ndjson'));
    expect([exp.code, exp.err]).toEqual([1, expect.stringContaining('ENOENT')]);
    const arc = run('--root', root, '--output', 'json', 'archive', 'export', 'bob', join(root, 'no/such/dir/cpmove-bob'));
    expect(arc.code).toBe(1);
    expect(JSON.parse(arc.out).metadata).toMatchObject({ command: 'archive', result: 0, error_code: 'E_IO' });
    const apply = run('--root', root, '--output', 'json', 'apply', join(root, 'nosuch.yaml'));
    expect(apply.code).toBe(2);
    expect(JSON.parse(apply.out)).toMatchObject({ changed: false, check: false, changes: [], error: { code: 'E_NOT_FOUND' } });
  });

  it('export --user of a name that names nothing is an error (exit 1), and leaves no output file', () => {
    const out = join(root, 'out.ndjson');
    const r = run('--root', root, 'export', '--user', 'bbo', '--out', out);
    expect([r.code, r.err]).toEqual([1, expect.stringContaining('You do not have a user named “bbo”')]);
    expect(existsSync(out)).toBe(false);
  });

  it('a single-value option given twice is a usage error, not a silent choice of the last', () => {
    for (const argv of [
      ['--root', '/nonexistent', '--root', root, 'validate_system_user', 'user=a'],
      ['--root', root, '--output', 'json', '--output=yaml', 'validate_system_user', 'user=a'],
      ['--root', root, 'doctor', '--user', 'nosuch', '--user', 'bob'],
    ]) {
      const r = run(...argv);
      expect([r.code, r.err]).toEqual([2, expect.stringMatching(/The option --(root|output|user) is given twice\./)]);
    }
  });

  it('--help lists every function; FUNCTION --help lists its parameters', () => {
    const h = run('--help');
    expect(h.code).toBe(0);
    for (const fn of ['create_integration_link', 'link_user_authn_provider', 'validate_system_user', 'verify_new_username_for_restore', 'doctor'])
      expect(h.out).toContain(fn);
    // Each command's usage, as its own help gives it.
    for (const command of ['doctor', 'export', 'import', 'archive', 'account', 'rebuild-linkdb', 'apply', 'serve']) {
      const own = run(command, '--help').out.split('\n');
      const usage = own.slice(
        0,
        own.findIndex((l, i) => i > 0 && !/^ {7}/.test(l)),
      );
      for (const line of usage) expect(h.out, command).toContain(line.replace(/^Usage: /, '').trim());
    }
    const f = run('create_integration_link', '--help');
    expect(f.code).toBe(0);
    expect(f.out).toContain('autologin_token_url');
    expect(f.out).toContain('--dry-run');
  });

  it('--dry-run prints the planned operations and writes nothing', () => {
    const r = run('--root', root, '--output=json', '--dry-run', 'create_integration_link', 'user=bob', 'app=billing', 'url=https://x', 'token=secret');
    expect(r.code).toBe(0);
    const env = JSON.parse(r.out) as { data: { operations: Array<{ op: string; path: string }> } };
    expect(env.data.operations.some((o) => o.op === 'write' && o.path.endsWith('billing.adminconfig'))).toBe(true);
    expect(r.out).not.toContain('secret');
    expect(existsSync(join(root, 'var/cpanel/integration'))).toBe(false);
  });
});
