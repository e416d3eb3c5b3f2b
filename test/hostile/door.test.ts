/**
 * Every value is checked at the door: a lone surrogate is E_INVALID_PARAM naming the parameter in
 * every store and every method that takes text (reads, lifecycle and provider calls included), NUL is refused in every value, every value has its documented size cap, and the CLI
 * and import refuse bytes that are not UTF-8 (Node would store them as U+FFFD). Nothing is written.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { invalidUtf8Argument } from '../../src/cli/main.js';
import { LinkstoreError } from '../../src/io/errors.js';
import { VALUE_LIMITS } from '../../src/io/param-text.js';
import type { Linkstore } from '../../src/services.js';
import { importRecords, splitLineBytes } from '../../src/transfer/index.js';
import { callWhm } from '../../src/whm/index.js';
import { buildCorpus } from './corpus.js';
import { describeOnDisks, peek, settle, snapshotTree, tmpdirCtx } from '../helpers/disks.js';
import { TINY_PNG, makeLinkstore, seedServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', '..', 'bin', 'linkstore.js');

type Call = (ls: Linkstore, v: string) => Promise<unknown>;
const integ = (ls: Linkstore) => ls.integration();
const authn = (ls: Linkstore) => ls.authn();

/** Each text parameter of the typed API, by the name its errors carry. */
const PARAMS: [string, Call][] = [
  ['user', async (ls, v) => (await integ(ls)).createLink({ user: v, app: 'app', url: 'https://x.example/' })],
  ['app', async (ls, v) => (await integ(ls)).createLink({ user: 'bob', app: v, url: 'https://x.example/' })],
  ['url', async (ls, v) => (await integ(ls)).createLink({ user: 'bob', app: 'app', url: v })],
  ['autologin_token_url', async (ls, v) => (await integ(ls)).createLink({ user: 'bob', app: 'app', autologin_token_url: v })],
  ['label', async (ls, v) => (await integ(ls)).createLink({ user: 'bob', app: 'app', url: 'https://x.example/', label: v })],
  ['token', async (ls, v) => (await integ(ls)).createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: v })],
  ['subscriber_unique_id', async (ls, v) => (await integ(ls)).createLink({ user: 'bob', app: 'app', url: 'https://x.example/', subscriber_unique_id: v })],
  ['token', async (ls, v) => (await integ(ls)).setLinkToken({ user: 'bob', app: 'existing', token: v })],
  ['group_id', async (ls, v) => (await integ(ls)).createGroup({ user: 'bob', group_id: v, label: 'G' })],
  ['label', async (ls, v) => (await integ(ls)).createGroup({ user: 'bob', group_id: 'grp2', label: v })],
  ['user', async (ls, v) => (await authn(ls)).linkAccount({ user: v, provider: 'google', subject: 's' })],
  ['provider', async (ls, v) => (await authn(ls)).linkAccount({ user: 'bob', provider: v, subject: 's' })],
  ['subject_unique_identifier', async (ls, v) => (await authn(ls)).linkAccount({ user: 'bob', provider: 'google', subject: v })],
  ['subject_unique_identifier', async (ls, v) => (await authn(ls)).unlinkAccount({ user: 'bob', provider: 'google', subject: v })],
  ['user_info', async (ls, v) => (await authn(ls)).linkAccount({ user: 'bob', provider: 'google', subject: 's', userInfo: { note: v } })],
  ['user_info', async (ls, v) => (await authn(ls)).linkAccount({ user: 'bob', provider: 'google', subject: 's', userInfo: { [`k${v}`]: 'x' } })],
  [
    'configurations',
    async (ls, v) => (await authn(ls)).setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: v, client_secret: 's' } }),
  ],
  ['configurations', async (ls, v) => (await authn(ls)).setDisplayConfig({ service: 'cpaneld', provider: 'google', configurations: { label: v } })],
];

async function seeded(ctx: Parameters<Parameters<typeof describeOnDisks>[1]>[0]): Promise<Record<string, string>> {
  seedServer(ctx);
  const ls = makeLinkstore(ctx);
  await (await integ(ls)).createLink({ user: 'bob', app: 'existing', url: 'https://x.example/', token: 't' });
  await settle();
  return snapshotTree(ctx);
}

async function refusal(run: () => Promise<unknown>): Promise<LinkstoreError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(LinkstoreError);
    return e as LinkstoreError;
  }
  throw new Error('accepted');
}

describeOnDisks('values at the door', (ctx) => {
  it('a lone surrogate is E_INVALID_PARAM naming the parameter, in every store; nothing written', async () => {
    const before = await seeded(ctx);
    for (const [param, call] of PARAMS) {
      for (const bad of ['\uD800', 'a\uDC00b', '\uDBFF\uDBFF']) {
        const e = await refusal(() => call(makeLinkstore(ctx), bad));
        expect([e.code, e.param], `${param} ${JSON.stringify(bad)}: ${e.message}`).toEqual(['E_INVALID_PARAM', param]);
        expect(e.message).toContain('unpaired UTF-16 surrogate');
      }
    }
    expect(snapshotTree(ctx)).toEqual(before);
  });

  it('a lone surrogate is E_INVALID_PARAM in every other method that takes text, and through callWhm; nothing written', async () => {
    const before = await seeded(ctx);
    const ls = makeLinkstore(ctx);
    const i = await integ(ls);
    const a = await authn(ls);
    const S = '\uD800';
    const calls: [string, () => Promise<unknown>][] = [
      ['app', () => i.getLinkToken({ user: 'bob', app: S })],
      ['app', () => i.getLinkAdminConfig({ user: 'bob', app: S })],
      ['app', () => i.removeLink({ user: 'bob', app: S })],
      ['user', () => i.listLinks({ user: S })],
      ['group_id', () => i.getGroupUserConfig({ user: 'bob', group_id: S })],
      ['group_id', () => i.removeGroup({ user: 'bob', group_id: S })],
      ['user', () => i.purgeUser({ user: S })],
      ['user', () => i.exportUser({ user: S })],
      ['user', () => i.checkDynamicUi({ user: S })],
      ['user', () => i.rebuildDynamicUi({ user: S })],
      ['user', () => i.renameUser({ user: S, newUser: 'robert' })],
      ['newUser', () => i.renameUser({ user: 'bob', newUser: S })],
      ['user', () => i.restoreUser({ user: S, archive: { files: [] } })],
      ['user', () => a.listLinks({ user: S })],
      ['reseller', () => a.listLinkedAccounts({ reseller: S })],
      ['subject_unique_identifier', () => a.linkOwnAccount({ user: 'bob', provider: 'google', subject: S } as never)],
      ['appname', () => a.listConfiguredModules({ appname: S })],
      ['appname', () => a.checkModulesConfigured({ appname: S })],
      ['user', () => a.purgeUser({ user: S })],
      ['user', () => a.renameUser({ user: S, newUser: 'robert' })],
      ['newUser', () => a.renameUser({ user: 'bob', newUser: S })],
      ['domains', () => a.renameEmailDomains({ user: 'bob', domains: { 'bob.example': `x${S}.example` } })],
      ['domains', () => a.renameEmailDomains({ user: 'bob', domains: { [S]: 'new.example' } })],
      ['user', () => a.exportUser({ user: S })],
      ['user', () => a.restoreUser({ user: S, archive: [] } as never)],
      ['provider', () => a.rebuildLinkDb({ provider: S })],
      ['provider', () => a.checkDrift({ provider: S })],
      ['service_name', () => a.listEnabledProviders({ service: S as never })],
      ['provider_id', () => a.enableProvider({ service: 'cpaneld', provider: S })],
      ['provider_id', () => a.disableProvider({ service: 'cpaneld', provider: S })],
      ['provider_id', () => a.getClientConfig({ service: 'cpaneld', provider: S })],
      ['provider_id', () => a.setClientConfig({ service: 'cpaneld', provider: S, configurations: { client_id: 'i', client_secret: 's' } })],
      ['provider_id', () => a.listConfigurationFields({ service: 'cpaneld', provider: S })],
      ['provider_id', () => a.listDisplayConfigs({ provider: S })],
      ['provider_id', () => a.setDisplayConfig({ service: 'cpaneld', provider: S, configurations: { label: 'x' } })],
      ['service_name', () => a.enableProvider({ service: S as never, provider: 'google' })],
    ];
    for (const [param, run] of calls) {
      const e = await refusal(run);
      expect([e.code, e.param], e.message).toEqual(['E_INVALID_PARAM', param]);
      expect(e.message).toContain('unpaired UTF-16 surrogate');
    }
    // The WHM facade: every corpus case that carries a lone surrogate (as text or as a JSON escape).
    const lone = (v: string) => !v.isWellFormed() || /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i.test(v);
    const whmCases = buildCorpus().filter((c) => c.whm && Object.values(c.whm.params).some(lone));
    expect(whmCases.length).toBeGreaterThan(60);
    for (const c of whmCases) {
      const env = await callWhm(makeLinkstore(ctx), c.whm!.fn, c.whm!.params);
      expect([env.metadata.result, env.metadata.error_code], `${c.id}: ${env.metadata.reason}`).toEqual([0, 'E_INVALID_PARAM']);
    }
    expect(snapshotTree(ctx)).toEqual(before);
  });

  it('NUL is refused in every value (names with cPanel’s node-name code); nothing written', async () => {
    const before = await seeded(ctx);
    for (const [param, call] of PARAMS) {
      const e = await refusal(() => call(makeLinkstore(ctx), 'a\0b'));
      expect(['E_INVALID_PARAM', 'E_INVALID_NAME', 'E_NO_SUCH_USER'], `${param}: ${e.message}`).toContain(e.code);
    }
    expect(snapshotTree(ctx)).toEqual(before);
  });

  it('every value over its documented cap is E_INVALID_PARAM naming the parameter and the cap; nothing written', async () => {
    const before = await seeded(ctx);
    const ls = makeLinkstore(ctx);
    const i = await integ(ls);
    const a = await authn(ls);
    const capped: [string, number, () => Promise<unknown>][] = [
      ['label', VALUE_LIMITS.label, () => i.createLink({ user: 'bob', app: 'app', url: 'https://x.example/', label: 'é'.repeat(VALUE_LIMITS.label / 2 + 1) })],
      ['url', VALUE_LIMITS.url, () => i.createLink({ user: 'bob', app: 'app', url: 'https://x.example/' + 'a'.repeat(VALUE_LIMITS.url) })],
      ['token', VALUE_LIMITS.token, () => i.setLinkToken({ user: 'bob', app: 'existing', token: 't'.repeat(VALUE_LIMITS.token + 1) })],
      [
        'subscriber_unique_id',
        VALUE_LIMITS.subscriber_unique_id,
        () => i.createLink({ user: 'bob', app: 'app', url: 'https://x.example/', subscriber_unique_id: 'x'.repeat(1025) }),
      ],
      [
        'base64_png_image',
        VALUE_LIMITS.base64_png_image,
        () => i.createLink({ user: 'bob', app: 'app', url: 'https://x.example/', base64_png_image: TINY_PNG.slice(0, -4) + 'A'.repeat(1 << 20) }),
      ],
      ['label', VALUE_LIMITS.label, () => i.createGroup({ user: 'bob', group_id: 'g', label: 'x'.repeat(VALUE_LIMITS.label + 1) })],
      // The attack of the issue: a 10 MB label once made a 20 MB DynamicUI file.
      ['label', VALUE_LIMITS.label, () => i.createLink({ user: 'bob', app: 'app', url: 'https://x.example/', label: 'x'.repeat(10_000_000) })],
      [
        'subject_unique_identifier',
        VALUE_LIMITS.subject_unique_identifier,
        () => a.linkAccount({ user: 'bob', provider: 'google', subject: 's'.repeat(4097) }),
      ],
      [
        'configurations',
        VALUE_LIMITS.configurations,
        () => a.setDisplayConfig({ service: 'cpaneld', provider: 'google', configurations: { label: 'x'.repeat(1025) } }),
      ],
    ];
    for (const [param, cap, run] of capped) {
      const e = await refusal(run);
      expect([e.code, e.param], e.message).toEqual(['E_INVALID_PARAM', param]);
      expect(e.message).toContain(`the limit is ${cap} bytes`);
    }
    const many = Object.fromEntries(Array.from({ length: VALUE_LIMITS.user_info_keys + 1 }, (_, n) => [`k${n}`, 'v']));
    const e = await refusal(() => a.linkAccount({ user: 'bob', provider: 'google', subject: 's', userInfo: many }));
    expect([e.code, e.param]).toEqual(['E_INVALID_PARAM', 'user_info']);
    expect(e.message).toContain(`the limit is ${VALUE_LIMITS.user_info_keys}`);
    expect(snapshotTree(ctx)).toEqual(before);
    // At the cap exactly, values are accepted.
    await i.createLink({ user: 'bob', app: 'atcap', url: 'https://x.example/', label: 'x'.repeat(VALUE_LIMITS.label), token: 't'.repeat(VALUE_LIMITS.token) });
    expect(peek(ctx, '/var/cpanel/integration/links/bob/atcap.userconfig')).toContain('x'.repeat(VALUE_LIMITS.label));
  });

  it('import names a line that is not UTF-8 and applies the others', async () => {
    await seeded(ctx);
    const ls = makeLinkstore(ctx);
    const good = (app: string) =>
      Buffer.from(JSON.stringify({ type: 'integration_link', user: 'bob', app, userconfig: { url: 'https://x.example/' }, token: null }));
    const bad = Buffer.concat([
      Buffer.from('{"type":"integration_link","user":"bob","app":"bad","userconfig":{"url":"https://x.example/'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"},"token":null}'),
    ]);
    const text = Buffer.concat([good('one'), Buffer.from('\n'), bad, Buffer.from('\n'), good('two'), Buffer.from('\n')]);
    const s = await importRecords(ls, splitLineBytes(text));
    expect(s.created).toBe(2);
    expect(s.results.filter((r) => r.status === 'failed')).toEqual([{ line: 2, status: 'failed', reason: 'not valid UTF-8' }]);
    expect((await (await integ(ls)).listLinks({ user: 'bob' })).sort()).toEqual(['existing', 'one', 'two']);
  });

  it('import reports a broken line by position, never by its content', async () => {
    await seeded(ctx);
    const line = '{"type":"integration_link","user":"bob","app":"x","userconfig":{"url":"https://x.example/"},"token":SECRETMARKER}';
    const s = await importRecords(makeLinkstore(ctx), [line]);
    expect(s.results).toEqual([{ line: 1, status: 'failed', reason: 'not valid JSON: an unexpected character where a value should be at column 101' }]);
  });
});

it('README’s “Size limits” table documents every cap the door enforces, with its number', () => {
  const readme = readFileSync(join(here, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Size limits and text rules'));
  const rows = new Map<string, string>();
  for (const m of section.matchAll(/^\| (.+?) \| (.+?) \|$/gm)) {
    for (const name of (m[1] as string).matchAll(/`([a-z0-9_]+)`/g)) rows.set(name[1] as string, m[2] as string);
  }
  const shown = (n: number) => (n >= 1 << 20 ? `${n / (1 << 20)} MiB` : String(n));
  for (const [param, cap] of Object.entries(VALUE_LIMITS)) {
    if (param === 'default') expect(section).toContain(`| any other text parameter | ${cap} bytes |`);
    else if (param === 'user_info_keys') expect(rows.get('user_info')).toContain(`${cap} keys`);
    else expect(rows.get(param), param).toContain(shown(cap));
  }
});

it('invalidUtf8Argument names the parameter of the first argument whose bytes are not UTF-8', () => {
  const raw = [Buffer.from('create_integration_link'), Buffer.concat([Buffer.from('label=a'), Buffer.from([0xc3]), Buffer.from('b')])];
  const argv = raw.map((b) => b.toString('utf8'));
  expect(invalidUtf8Argument(argv, raw)).toBe('The value of the parameter “label” is not valid UTF-8; pass text in UTF-8.');
  expect(invalidUtf8Argument(['--root', 'x\uFFFD'], [Buffer.from('--root'), Buffer.from([0x78, 0x80])])).toBe(
    'The value of argument 2 is not valid UTF-8; pass text in UTF-8.',
  );
  // A real U+FFFD (valid UTF-8) is text like any other.
  expect(invalidUtf8Argument(['label=\uFFFD'], [Buffer.from('label=\uFFFD')])).toBeUndefined();
  expect(invalidUtf8Argument(['a'], undefined)).toBeUndefined();
});

function sh(script: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script, 'sh', ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, out: stdout, err: stderr }),
    );
  });
}

it('the CLI binary refuses argument bytes that are not UTF-8, naming the parameter; nothing written [tmpdir]', async () => {
  const ctx = tmpdirCtx();
  try {
    seedServer(ctx);
    const before = snapshotTree(ctx);
    const run = (label: string) =>
      sh(`exec "$1" "$2" --root "$3" --output json create_integration_link user=bob app=newapp url=https://x.example/ "label=$(printf '${label}')"`, [
        process.execPath,
        BIN,
        ctx.root,
      ]);
    const bad = await run('a\\377b');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('The value of the parameter “label” is not valid UTF-8');
    expect(snapshotTree(ctx)).toEqual(before);
    const ok = await run('a\\357\\277\\275b'); // U+FFFD itself, well-formed
    expect(ok.code, ok.err + ok.out).toBe(0);
    expect(peek(ctx, '/var/cpanel/integration/links/bob/newapp.userconfig')).toContain('a\uFFFDb');
    // import FILE: the bad line is named.
    const file = join(ctx.root, 'in.ndjson');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('{"type":"integration_group","user":"bob","group_id":"g'), Buffer.from([0xe2, 0x28]), Buffer.from('","userconfig":{}}\n')]),
    );
    const imp = await sh('exec "$1" "$2" --root "$3" import "$4"', [process.execPath, BIN, ctx.root, file]);
    expect(imp.code).toBe(1);
    expect(imp.out).toContain('line 1: failed: not valid UTF-8');
  } finally {
    ctx.cleanup();
  }
}, 60_000);
