/**
 * The WHM API server in-process (`createTestServer().listen()`), driven by real HTTP clients:
 * Node's fetch, node:http for streamed bodies, and curl.
 */
import { execFile, execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseListen } from '../../src/cli/serve.js';
import type { FsPort } from '../../src/io/fs-port.js';
import { MAX_BODY_BYTES, newToken, readOrCreateToken } from '../../src/server/index.js';
import { parseAuthorization, tokensEqual } from '../../src/server/auth.js';
import { createMemfs, createTestServer, type Listening, type TestServer } from '../../src/testing/index.js';
import { callUapi, callUapiGetAuthnLinks, WHM_FUNCTIONS, type WhmFunction } from '../../src/whm/index.js';
import { everyFunctionCalls } from './calls.js';

const run = promisify(execFile);
const NOW = () => 1_796_000_000_000;
const serverOptions = { users: ['bob'], providers: ['google'], linkstore: { now: NOW, hostname: 'host.example.com' } };

let server: TestServer;
let http: Listening;
const whmAuth = () => ({ authorization: `whm root:${http.token}` });

beforeEach(async () => {
  server = await createTestServer(serverOptions);
  http = await server.listen();
});
afterEach(() => http.close());

async function getJson(path: string, headers: Record<string, string> = whmAuth()): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(http.url + path, { headers });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as unknown, text };
}

async function postForm(path: string, form: Record<string, string>, headers: Record<string, string> = whmAuth()) {
  const res = await fetch(http.url + path, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as { metadata: { result: number; reason: string }; data?: unknown } };
}

function streamPost(path: string, chunks: Buffer[], headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(http.url + path);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('WHM API 1 over HTTP', () => {
  it('answers every facade function, over GET and POST, exactly as the facade does', async () => {
    const twin = await createTestServer(serverOptions);
    for (const [i, call] of everyFunctionCalls().entries()) {
      const query = new URLSearchParams({ 'api.version': '1', ...call.params });
      const answer =
        i % 2 === 0
          ? (await getJson(`/json-api/${call.fn}?${query}`)).body
          : (await postForm(`/cpsess${1000 + i}/json-api/${call.fn}?api.version=1`, call.params)).body;
      const expected = await twin.whm(call.fn, call.params);
      expect(answer, call.fn).toEqual(JSON.parse(JSON.stringify(expected)));
      if (call.result !== undefined) expect((answer as { metadata: { result: number } }).metadata.result, call.fn).toBe(call.result);
    }
    // The writes happened on the served tree.
    expect(server.tree()).toEqual(twin.tree());
  });

  it('a result-0 envelope is HTTP 200; a bad api.version and a parameter given twice are result 0 too', async () => {
    const failed = await getJson('/json-api/verify_new_username?api.version=1&user=bob');
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ metadata: { result: 0, reason: 'This system already has an account named “bob”.' } });
    expect(await getJson('/json-api/validate_system_user?api.version=2&user=bob')).toMatchObject({ status: 200, body: { metadata: { result: 0 } } });
    const twice = await getJson('/json-api/validate_system_user?api.version=1&user=bob&user=alice');
    expect(twice.body).toMatchObject({ metadata: { result: 0, reason: 'The parameter “user” is given twice.' } });
    expect(await getJson('/json-api/no_such_function?api.version=1')).toMatchObject({
      status: 200,
      body: { metadata: { result: 0, error_code: 'E_UNKNOWN_FUNCTION' } },
    });
  });

  it('refuses percent-encoded bytes that are not UTF-8 (the CLI does), in the query and in a form body, and decodes UTF-8 and + as the forms define', async () => {
    const before = server.tree();
    const bad = await getJson('/json-api/create_integration_link?api.version=1&user=bob&app=utf&url=https://x/&label=a%FFb');
    expect(bad.body).toMatchObject({
      metadata: { result: 0, error_code: 'E_INVALID_PARAM', reason: 'The value of the parameter “label” is not valid UTF-8; pass text in UTF-8.' },
    });
    const res = await fetch(`${http.url}/json-api/create_integration_link?api.version=1`, {
      method: 'POST',
      headers: { ...whmAuth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=bob&app=utf&url=https://x/&label=%C3',
    });
    expect(((await res.json()) as { metadata: { error_code: string } }).metadata.error_code).toBe('E_INVALID_PARAM');
    expect(server.tree()).toEqual(before);
    const good = await getJson('/json-api/create_integration_link?api.version=1&user=bob&app=utf&url=https://x/&label=caf%C3%A9+bar%2B1');
    expect(good.body).toMatchObject({ metadata: { result: 1 } });
    expect(JSON.parse(server.read('/var/cpanel/integration/links/bob/utf.userconfig') as string).label).toBe('café bar+1');
  });

  it('refuses missing and wrong credentials with 401 (constant-time compare) and the wrong realm with 403', async () => {
    const path = '/json-api/list_integration_links?api.version=1&user=bob';
    expect((await getJson(path, {})).status).toBe(401);
    expect((await getJson(path, { authorization: `whm root:${http.token}x` })).status).toBe(401);
    expect((await getJson(path, { authorization: `whm root:${http.token.slice(0, -1)}` })).status).toBe(401);
    expect((await getJson(path, { authorization: `Basic ${Buffer.from(`root:${http.token}`).toString('base64')}` })).status).toBe(401);
    expect((await getJson(path, { authorization: `cpanel bob:${http.token}` })).status).toBe(403);
    expect((await getJson(path, { authorization: `whm bob:${http.token}` })).status).toBe(403);
    expect((await getJson('/execute/ExternalAuthentication/get_authn_links', whmAuth())).status).toBe(403);
    // Nothing was done for a refused write.
    expect((await postForm('/json-api/create_integration_link', { user: 'bob', app: 'x', url: 'https://x' }, { authorization: 'whm root:wrong' })).status).toBe(
      401,
    );
    expect(server.list('/var/cpanel/integration/links/bob')).toEqual([]);
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(parseAuthorization('WHM root:TOKEN')).toEqual({ scheme: 'whm', user: 'root', token: 'TOKEN' });
    expect(parseAuthorization('whm root')).toBeUndefined();
  });

  it('bounds request bodies (413, nothing written) and refuses bodies that are not form-urlencoded (415)', async () => {
    const image = 'A'.repeat(MAX_BODY_BYTES + 1);
    const big = await fetch(`${http.url}/json-api/create_integration_link?api.version=1`, {
      method: 'POST',
      headers: { ...whmAuth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'bob', app: 'big', url: 'https://x', base64_png_image: image }),
    });
    expect(big.status).toBe(413);
    // Streamed without a Content-Length: counted as it arrives.
    const chunk = Buffer.alloc(1024 * 1024, 'A');
    const streamed = await streamPost(
      '/json-api/create_integration_link?api.version=1&user=bob&app=big&url=https://x',
      [Buffer.from('base64_png_image='), ...Array.from({ length: 6 }, () => chunk)],
      { ...whmAuth(), 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
    );
    expect(streamed.status).toBe(413);
    expect(server.list('/var/cpanel/integration/links/bob')).toEqual([]);
    const json = await fetch(`${http.url}/json-api/validate_system_user?api.version=1`, {
      method: 'POST',
      headers: { ...whmAuth(), 'content-type': 'application/json' },
      body: '{"user":"bob"}',
    });
    expect(json.status).toBe(415);
    expect((await fetch(`${http.url}/json-api/validate_system_user`, { method: 'PUT', headers: whmAuth() })).status).toBe(405);
    expect((await getJson('/nothing/here')).status).toBe(404);
    expect((await getJson('/json-api/%E0%A4%A')).status).toBe(404);
    // Under the limit, an icon-sized body goes through.
    const ok = await postForm('/json-api/create_integration_link?api.version=1', { user: 'bob', app: 'icon', url: 'https://x', hide: '1' });
    expect(ok.body.metadata.result).toBe(1);
  });

  it('serves UAPI ExternalAuthentication at /execute with the flat envelope, acting as the cPanel user', async () => {
    await server.whm('link_user_authn_provider', {
      username: 'bob',
      provider_id: 'google',
      subject_unique_identifier: '42',
      preferred_username: 'bob@gmail.com',
    });
    const cpanelAuth = { authorization: `cpanel bob:${http.token}` };
    const r = await getJson('/execute/ExternalAuthentication/get_authn_links', cpanelAuth);
    expect(r.status).toBe(200);
    expect(r.body).toEqual((await callUapiGetAuthnLinks(server.linkstore, 'bob')).result);
    expect(r.body).toMatchObject({ status: 1, errors: null, messages: null, warnings: null, metadata: {}, data: [{ subject_unique_identifier: '42' }] });
    expect(Object.keys(r.body as object).sort()).toEqual(['data', 'errors', 'messages', 'metadata', 'status', 'warnings']);
    // The user comes from the credentials: another account's links are cPanel's access error.
    const other = await getJson('/cpsess99/execute/ExternalAuthentication/get_authn_links?username=bob', { authorization: `cpanel nobody_here:${http.token}` });
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ status: 0, data: null, errors: ['The user “nobody_here” does not have access to the account “bob”.'] });
    expect(JSON.stringify(other.body)).not.toContain('"42"');
    expect((await getJson('/execute/ExternalAuthentication/no_such', cpanelAuth)).body).toMatchObject({
      status: 0,
      errors: [expect.stringContaining('no_such')],
    });
    // A WHM API 1 function is not a UAPI one.
    expect((await getJson('/execute/ExternalAuthentication/list_integration_links', cpanelAuth)).body).toMatchObject({ status: 0 });
    expect((await getJson('/execute/Email/list_pops', cpanelAuth)).body).toMatchObject({ status: 0, errors: [expect.stringContaining('Email')] });
  });

  it('answers 100 concurrent requests, the library’s locks keeping every write', async () => {
    const writes = Array.from({ length: 100 }, (_, i) =>
      postForm('/json-api/create_integration_link?api.version=1', { user: 'bob', app: `app${i}`, url: `https://x.example/${i}`, token: `t${i}` }),
    );
    const reads = Array.from({ length: 20 }, () => getJson('/json-api/list_integration_groups?api.version=1&user=bob'));
    const answers = await Promise.all([...writes, ...reads]);
    expect(answers.every((a) => a.status === 200 && (a.body as { metadata: { result: number } }).metadata.result === 1)).toBe(true);
    const list = await getJson('/json-api/list_integration_links?api.version=1&user=bob');
    expect((list.body as { data: { links: unknown[] } }).data.links).toHaveLength(100);
    expect(server.readJson('/var/cpanel/integration/links/bob/app57.adminconfig')).toEqual({ token: 't57' });
  });

  it('works with curl: GET, POST form, and 401', async () => {
    const get = await run('curl', ['-sS', '-H', `Authorization: whm root:${http.token}`, `${http.url}/json-api/validate_system_user?api.version=1&user=bob`]);
    expect(JSON.parse(get.stdout)).toEqual(JSON.parse(JSON.stringify(await server.whm('validate_system_user', { user: 'bob' }))));
    const post = await run('curl', [
      '-sS',
      '-H',
      `Authorization: whm root:${http.token}`,
      '--data-urlencode',
      'user=bob',
      '--data-urlencode',
      'app=curl',
      '--data-urlencode',
      'url=https://curl.example/?q=a b&c=d',
      `${http.url}/cpsess7/json-api/create_integration_link?api.version=1`,
    ]);
    expect(JSON.parse(post.stdout)).toMatchObject({ metadata: { result: 1 } });
    expect(server.readJson('/var/cpanel/integration/links/bob/curl.userconfig')).toEqual({ url: 'https://curl.example/?q=a b&c=d' });
    const denied = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${http.url}/json-api/validate_system_user?user=bob`]);
    expect(denied.stdout).toBe('401');
    const uapi = await run('curl', ['-sS', '-H', `Authorization: cpanel bob:${http.token}`, `${http.url}/execute/ExternalAuthentication/get_authn_links`]);
    expect(JSON.parse(uapi.stdout)).toMatchObject({ status: 1, data: [] });
  });

  it('close() finishes a request in flight, then refuses new connections', async () => {
    const body = new URLSearchParams({ user: 'bob', app: 'late', url: 'https://x' }).toString();
    const pending = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(http.url);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/json-api/create_integration_link?api.version=1',
          method: 'POST',
          headers: { ...whmAuth(), 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 5));
      setTimeout(() => req.end(body.slice(5)), 100);
    });
    await new Promise((r) => setTimeout(r, 30));
    const closed = http.close();
    const answer = await pending;
    await closed;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ metadata: { result: 1 } });
    expect(server.readJson('/var/cpanel/integration/links/bob/late.userconfig')).toEqual({ url: 'https://x' });
    await expect(fetch(`${http.url}/json-api/validate_system_user?user=bob`, { headers: whmAuth() })).rejects.toThrow();
  });
});

describe('UAPI ExternalAuthentication over HTTP: every function', () => {
  const uapiOptions = {
    users: [{ name: 'bob', emails: ['info@bob.example'] }, { name: 'alice' }],
    providers: ['google'],
    linkstore: { now: NOW, hostname: 'host.example.com' },
  };
  const link = { provider_id: 'google', subject_unique_identifier: '777', preferred_username: 'me@gmail.com' };

  async function uapi(base: Listening, user: string, fn: string, params: Record<string, string>, post: boolean): Promise<unknown> {
    const headers = { authorization: `cpanel ${user}:${base.token}` };
    const res = post
      ? await fetch(`${base.url}/cpsess4242/execute/ExternalAuthentication/${fn}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params),
        })
      : await fetch(`${base.url}/execute/ExternalAuthentication/${fn}?${new URLSearchParams(params)}`, { headers });
    expect(res.status, fn).toBe(200);
    return res.json();
  }

  it('answers each one, over GET and POST, as the facade’s callUapi does for the authenticated user', async () => {
    const served = await createTestServer(uapiOptions);
    const twin = await createTestServer(uapiOptions);
    const base = await served.listen();
    try {
      // [HTTP user, function, HTTP params, the facade call's params, the expected status]
      const calls: Array<[string, string, Record<string, string>, Record<string, string>, 0 | 1]> = [
        ['bob', 'has_external_auth_modules_configured', {}, {}, 1],
        ['bob', 'configured_modules', {}, {}, 1],
        ['bob', 'add_authn_link', link, { ...link, username: 'bob' }, 1],
        ['bob', 'get_authn_links', {}, { username: 'bob' }, 1],
        ['bob', 'add_authn_link', { ...link, username: 'info@bob.example' }, { ...link, username: 'info@bob.example' }, 1],
        ['info@bob.example', 'get_authn_links', { username: 'bob' }, { username: 'info@bob.example' }, 1],
        ['info@bob.example', 'has_external_auth_modules_configured', {}, { appname: 'webmaild' }, 1],
        ['info@bob.example', 'configured_modules', { extra: 'x' }, { appname: 'webmaild', extra: 'x' }, 1],
        ['bob', 'configured_modules', { appname: 'cpanel' }, { appname: 'cpanel' }, 0],
        ['bob', 'add_authn_link', { provider_id: 'google' }, { provider_id: 'google', username: 'bob' }, 0],
        ['info@bob.example', 'remove_authn_link', link, { ...link, username: 'info@bob.example' }, 1],
        ['bob', 'remove_authn_link', link, { ...link, username: 'bob' }, 1],
        ['bob', 'get_authn_links', {}, { username: 'bob' }, 1],
        ['root', 'get_authn_links', { username: 'alice' }, { username: 'alice' }, 1],
      ];
      for (const [i, [user, fn, params, facade, status]] of calls.entries()) {
        const answer = await uapi(base, user, fn, params, i % 2 === 1);
        expect((answer as { status: number }).status, `${user} ${fn}`).toBe(status);
        expect(answer, `${user} ${fn}`).toEqual(JSON.parse(JSON.stringify((await callUapi(twin.linkstore, fn, facade)).result)));
      }
      // Every UAPI function of the table went over HTTP; the calls wrote the same files.
      const uapiNames = (WHM_FUNCTIONS as readonly WhmFunction[]).filter((f) => f.api === 'uapi').map((f) => f.name);
      expect(new Set(calls.map((c) => c[1]))).toEqual(new Set(uapiNames));
      expect(served.tree()).toEqual(twin.tree());
      // An unknown parameter is the facade's warning; a failure is status 0 with cPanel's message.
      const warned = (await uapi(base, 'info@bob.example', 'configured_modules', { extra: 'x' }, false)) as { warnings: string[] };
      expect(warned.warnings).toEqual(['Ignoring unrecognized data key “extra” (x)!']);
    } finally {
      await base.close();
    }
  });

  it('a cPanel user acts only on their own account and mail accounts; a mail user always on themselves', async () => {
    const served = await createTestServer(uapiOptions);
    const base = await served.listen();
    try {
      const denied = await uapi(base, 'alice', 'add_authn_link', { ...link, username: 'bob' }, true);
      expect(denied).toEqual({
        data: null,
        errors: ['The user “alice” does not have access to the account “bob”.'],
        messages: null,
        metadata: {},
        status: 0,
        warnings: null,
      });
      expect(await uapi(base, 'alice', 'remove_authn_link', { ...link, username: 'info@bob.example' }, false)).toMatchObject({ status: 0 });
      expect(served.list('/var/cpanel/authn/links/users')).toEqual([]);
      // A mail user is themselves whatever `username` says, and links through Webmail's service.
      expect(await uapi(base, 'info@bob.example', 'add_authn_link', { ...link, username: 'bob', service: 'cpaneld' }, true)).toMatchObject({ status: 1 });
      const mine = (await callUapi(served.linkstore, 'get_authn_links', { username: 'info@bob.example' })).result;
      expect(mine.data).toMatchObject([{ subject_unique_identifier: '777' }]);
      expect((await callUapi(served.linkstore, 'get_authn_links', { username: 'bob' })).result.data).toEqual([]);
    } finally {
      await base.close();
    }
  });
});

describe('serve helpers', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'linkstore-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a missing token file 0600 with a random token of at least 16 characters, then reuses it', async () => {
    const file = join(dir, 'token');
    const first = await readOrCreateToken(file);
    expect(first.created).toBe(true);
    expect(first.token.length).toBeGreaterThanOrEqual(16);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.token);
    expect(await readOrCreateToken(file)).toEqual({ token: first.token, created: false });
    expect((await readOrCreateToken(join(dir, 'other'))).token).not.toBe(first.token);
  });

  it('new tokens are 32 random characters of [0-9A-Z], never repeated', () => {
    const tokens = Array.from({ length: 200 }, () => newToken());
    for (const t of tokens) expect(t).toMatch(/^[0-9A-Z]{32}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
    // Every character of the alphabet turns up (200 × 32 draws): no value is left out.
    expect(new Set(tokens.join('')).size).toBe(36);
  });

  it('refuses a token file with a short token, and works through an injected fs (memfs)', async () => {
    const short = join(dir, 'short');
    writeFileSync(short, 'abc\n');
    chmodSync(short, 0o600);
    await expect(readOrCreateToken(short)).rejects.toMatchObject({ code: 'E_INVALID_PARAM' });
    const mem = createMemfs().fs as FsPort & { mkdirSync(p: string, o: object): void; statSync(p: string): { mode: number } };
    mem.mkdirSync('/etc/linkstore', { recursive: true });
    const made = await readOrCreateToken('/etc/linkstore/token', mem);
    expect(made.created).toBe(true);
    expect(mem.statSync('/etc/linkstore/token').mode & 0o777).toBe(0o600);
    expect(await readOrCreateToken('/etc/linkstore/token', mem)).toEqual({ token: made.token, created: false });
  });

  it('refuses a token file other users can read or write, a FIFO and a symlink (never serves with, or waits on, them)', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${newToken()}\n`);
    for (const mode of [0o644, 0o640, 0o602]) {
      chmodSync(file, mode);
      const e = await readOrCreateToken(file).catch((x: unknown) => x as { code: string; message: string });
      expect(e).toMatchObject({ code: 'E_INVALID_PARAM', message: expect.stringContaining('chmod 600') });
      expect((e as { message: string }).message).not.toContain(readFileSync(file, 'utf8').trim());
    }
    chmodSync(file, 0o600);
    expect((await readOrCreateToken(file)).created).toBe(false);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    await expect(readOrCreateToken(fifo)).rejects.toMatchObject({ code: 'E_NOT_FILE' });
    const link = join(dir, 'link');
    symlinkSync(file, link);
    await expect(readOrCreateToken(link)).rejects.toMatchObject({ code: 'E_NOT_FILE' });
  });

  it('parses --listen [HOST:]PORT with 127.0.0.1 as the default host', () => {
    expect(parseListen('2087')).toEqual({ host: '127.0.0.1', port: 2087 });
    expect(parseListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListen('[::1]:2087')).toEqual({ host: '::1', port: 2087 });
    expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    for (const bad of ['', 'host:', 'host:99999', ':80', 'a:b:80', '80x']) expect(parseListen(bad), bad).toBeUndefined();
  });
});
