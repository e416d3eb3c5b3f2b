/**
 * `linkstore serve` and `linkstore apply` through the built binary: serve answers every function
 * as the CLI's JSON output does, stops cleanly on SIGTERM; apply's exit codes, outputs and
 * idempotence on a real tree.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_STATE_YAML, exampleState, FIXTURES, TOP } from '../apply/setup.js';
import { everyFunctionCalls, MUTATES } from '../server/calls.js';

const bin = join(TOP, 'bin/linkstore.js');
const run = promisify(execFile);
let work = '';
const children: ChildProcess[] = [];

function sandbox(name: string): string {
  const root = join(work, name);
  for (const f of FIXTURES) cpSync(f, root, { recursive: true });
  return root;
}

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function serve(...args: string[]): Promise<{ child: ChildProcess; url: string; token: string; exit: Promise<number | null>; stderr: () => string }> {
  const tokenFile = join(work, `token-${children.length}`);
  const listen = args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0'];
  const child = spawn(process.execPath, [bin, 'serve', ...listen, '--token-file', tokenFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    void exit.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, url, token: readFileSync(tokenFile, 'utf8').trim(), exit, stderr: () => err };
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'linkstore-serve-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('linkstore serve (binary)', () => {
  it('answers every facade function exactly as `linkstore --output json` prints it', async () => {
    const served = sandbox('served');
    const twin = sandbox('twin');
    const s = await serve('--root', served);
    for (const call of everyFunctionCalls()) {
      const res = await fetch(`${s.url}/json-api/${call.fn}?${new URLSearchParams({ 'api.version': '1', ...call.params })}`, {
        headers: { authorization: `whm root:${s.token}` },
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      // A write goes to the twin tree in the same order; a read looks at the served tree itself
      // (link_time is the clock's, so the two trees' authn DBs differ by it).
      const args = Object.entries(call.params).map(([k, v]) => `${k}=${v}`);
      const expected = cli('--root', MUTATES.has(call.fn) ? twin : served, '--output', 'json', call.fn, ...args);
      expect(text, call.fn).toBe(expected.out);
      if (call.result !== undefined) expect(JSON.parse(text).metadata.result, call.fn).toBe(call.result);
    }
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  }, 180_000);

  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const root = sandbox('root');
    const s = await serve('--root', root);
    const body = new URLSearchParams({ user: 'bob', app: 'late', url: 'https://late.example' }).toString();
    const url = new URL(s.url);
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/json-api/create_integration_link?api.version=1',
          method: 'POST',
          headers: { authorization: `whm root:${s.token}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 4));
      setTimeout(() => {
        s.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(4)), 200);
      }, 100);
    });
    const r = await answer;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ metadata: { result: 1 } });
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toContain('stopped');
    expect(JSON.parse(readFileSync(join(root, 'var/cpanel/integration/links/bob/late.userconfig'), 'utf8'))).toEqual({ url: 'https://late.example' });
  });

  it('--memfs --seed DIR serves an in-memory copy and leaves the directory untouched', async () => {
    const seedDir = sandbox('seed');
    const s = await serve('--memfs', '--seed', seedDir);
    const post = await fetch(`${s.url}/json-api/create_integration_link?api.version=1`, {
      method: 'POST',
      headers: { authorization: `whm root:${s.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=bob&app=mem&url=https%3A%2F%2Fmem.example',
    });
    expect(await post.json()).toMatchObject({ metadata: { result: 1 } });
    const list = await fetch(`${s.url}/json-api/list_integration_links?api.version=1&user=bob`, { headers: { authorization: `whm root:${s.token}` } });
    expect(await list.json()).toMatchObject({ data: { links: [{ app: 'mem' }] } });
    expect(() => statSync(join(seedDir, 'var/cpanel/integration'))).toThrow();
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    // A JSON seed: createTestServer options.
    const seedJson = join(work, 'seed.json');
    writeFileSync(seedJson, JSON.stringify({ users: ['dave'] }));
    const j = await serve('--memfs', '--seed', seedJson);
    const v = await fetch(`${j.url}/json-api/validate_system_user?api.version=1&user=dave`, { headers: { authorization: `whm root:${j.token}` } });
    expect(await v.json()).toMatchObject({ data: { exists: 1 } });
    j.child.kill('SIGTERM');
    expect(await j.exit).toBe(0);
  });

  it('creates the token file 0600 with a random token, listens on 127.0.0.1 by default, and answers curl', async () => {
    const s = await serve('--memfs', '--listen', '0');
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const tokenFile = join(work, 'token-0');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(s.token).toMatch(/^[0-9A-Z]{32}$/);
    // Without a seed the in-memory server has root only.
    const root = await run('curl', [
      '-sS',
      '-H',
      `Authorization: whm root:${s.token}`,
      `${s.url}/cpsess1/json-api/validate_system_user?api.version=1&user=bob`,
    ]);
    expect(JSON.parse(root.stdout)).toMatchObject({ data: { exists: 0 }, metadata: { result: 1 } });
    const denied = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Authorization: whm root:wrong', `${s.url}/json-api/version`]);
    expect(denied.stdout).toBe('401');
    const uapi = await run('curl', [
      '-sS',
      '-H',
      `Authorization: cpanel root:${s.token}`,
      `${s.url}/execute/ExternalAuthentication/has_external_auth_modules_configured`,
    ]);
    expect(JSON.parse(uapi.stdout)).toMatchObject({ status: 1, errors: null });
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it('usage errors exit 2; --help describes the command', () => {
    const root = sandbox('root');
    expect(cli('serve', '--token-file', join(work, 't')).code).toBe(2);
    expect(cli('--root', root, 'serve').code).toBe(2);
    expect(cli('--root', root, 'serve', '--memfs', '--token-file', join(work, 't')).code).toBe(2);
    expect(cli('--root', root, 'serve', '--token-file', join(work, 't'), '--listen', 'nope').code).toBe(2);
    expect(cli('--root', root, 'serve', '--token-file', join(work, 't'), '--seed', root).code).toBe(2);
    const help = cli('serve', '--help');
    expect(help.code).toBe(0);
    for (const word of ['--listen', '--token-file', '--memfs', '--seed', 'SIGTERM', 'TLS']) expect(help.out).toContain(word);
    expect(cli('--help').out).toContain('serve');
    expect(cli('--help').out).toContain('apply');
  });
});

describe('linkstore apply (binary)', () => {
  it('applies a YAML state, reports {changed, changes} in JSON, and is ok the second time with no mtime moved', () => {
    const root = sandbox('root');
    const first = cli('--root', root, '--output', 'json', 'apply', EXAMPLE_STATE_YAML);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.out) as { changed: boolean; changes: Array<{ key: string }> };
    expect(report.changed).toBe(true);
    expect(report.changes.map((c) => c.key)).toContain('accounts.bob.links.WHMCS_billing');
    const adminconfig = join(root, 'var/cpanel/integration/links/bob/WHMCS_billing.adminconfig');
    const mtime = statSync(adminconfig).mtimeMs;
    const second = cli('--root', root, '--output', 'json', 'apply', EXAMPLE_STATE_YAML);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.out)).toEqual({ changed: false, check: false, changes: [] });
    expect(statSync(adminconfig).mtimeMs).toBe(mtime);
    expect(cli('--root', root, 'apply', EXAMPLE_STATE_YAML).out).toBe('ok: nothing to change.\n');
  });

  it('--check writes nothing and exits 0; --diff masks secrets', () => {
    const root = sandbox('root');
    const check = cli('--root', root, 'apply', '--check', '--diff', EXAMPLE_STATE_YAML);
    expect(check.code).toBe(0);
    expect(check.out).toContain('would change: accounts.bob.links.WHMCS_billing');
    expect(check.out).toContain('+++ /var/cpanel/integration/links/bob/WHMCS_billing.adminconfig');
    expect(check.out).toContain('nothing was written');
    expect(check.out).not.toContain('subway');
    expect(check.out).not.toContain('s3cr3t');
    expect(() => statSync(join(root, 'var/cpanel/integration'))).toThrow();
  });

  it('an invalid state exits 2 naming the key, with nothing written; an unreadable file exits 2', () => {
    const root = sandbox('root');
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, readFileSync(EXAMPLE_STATE_YAML, 'utf8').replace('label: WHMCS Billing', 'lable: WHMCS Billing'));
    const r = cli('--root', root, '--output', 'json', 'apply', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('accounts.bob.links.WHMCS_billing.lable');
    const report = JSON.parse(r.out) as Record<string, unknown>;
    // The success report's fields, in its order, and the error.
    expect(Object.keys(report)).toEqual(['changed', 'check', 'changes', 'error']);
    expect(report).toMatchObject({
      changed: false,
      check: false,
      changes: [],
      error: { code: 'E_INVALID_STATE', key: 'accounts.bob.links.WHMCS_billing.lable' },
    });
    expect(JSON.parse(cli('--root', root, '--output', 'json', 'apply', '--check', bad).out)).toMatchObject({
      changed: false,
      check: true,
      error: { code: 'E_INVALID_STATE' },
    });
    expect(() => statSync(join(root, 'var/cpanel/integration'))).toThrow();
    expect(cli('--root', root, 'apply', join(work, 'missing.yaml')).code).toBe(2);
    expect(cli('--root', root, 'apply').code).toBe(2);
    expect(cli('--root', root, 'apply', '--fix', EXAMPLE_STATE_YAML).code).toBe(2);
  });

  it('a JSON state with --prune removes what the state does not list, for the accounts it names', () => {
    const root = sandbox('root');
    const state = exampleState();
    const more = exampleState();
    more.accounts!.bob!.links!.support = { url: 'https://support.example.com' };
    const moreFile = join(work, 'more.json');
    const stateFile = join(work, 'state.json');
    writeFileSync(moreFile, JSON.stringify(more));
    writeFileSync(stateFile, JSON.stringify(state));
    expect(cli('--root', root, 'apply', moreFile).code).toBe(0);
    const support = join(root, 'var/cpanel/integration/links/bob/support.userconfig');
    expect(statSync(support).isFile()).toBe(true);
    expect(JSON.parse(cli('--root', root, '--output', 'json', 'apply', stateFile).out)).toMatchObject({ changed: false });
    const pruned = cli('--root', root, '--output', 'json', 'apply', '--prune', stateFile);
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.out)).toMatchObject({
      changed: true,
      changes: [{ action: 'remove_integration_link', key: 'accounts.bob.links', target: { user: 'bob', app: 'support' } }],
    });
    expect(() => statSync(support)).toThrow();
    expect(JSON.parse(cli('--root', root, '--output', 'json', 'apply', '--prune', stateFile).out)).toEqual({ changed: false, check: false, changes: [] });
  });

  it('a failure while applying exits 1', () => {
    const root = sandbox('root');
    // A regular file where the integration directory must be: the link step cannot write.
    writeFileSync(join(root, 'var/cpanel/integration'), 'not a directory');
    const r = cli('--root', root, '--output', 'json', 'apply', EXAMPLE_STATE_YAML);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { changed: boolean; error: { code: string } };
    expect(report.error.code).not.toBe('E_INVALID_STATE');
  });

  it('answers in its report on every path, usage errors included (a playbook reads `changed` from it)', () => {
    const root = sandbox('root');
    for (const args of [
      ['--root', root, '--output', 'json', 'apply', '--prune-all', EXAMPLE_STATE_YAML],
      ['--root', join(work, 'no-such-root'), '--output', 'json', 'apply', EXAMPLE_STATE_YAML],
      ['--output', 'json', '--root', root, 'apply', EXAMPLE_STATE_YAML, EXAMPLE_STATE_YAML],
    ]) {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.out)).toMatchObject({ changed: false, check: false, changes: [], error: { code: 'E_USAGE' } });
    }
  });

  it('--help describes the command', () => {
    const help = cli('apply', '--help');
    expect(help.code).toBe(0);
    for (const word of ['--check', '--diff', '--prune', 'changed', 'Exit status']) expect(help.out).toContain(word);
  });
});
