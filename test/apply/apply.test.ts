/** `applyState`: idempotent on both backends, --check, --diff with masked secrets, --prune, invalid states, failures. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyState, ApplyError, loadState, parseStateText, validateState, type LinkstoreState } from '../../src/apply/index.js';
import { MASK } from '../../src/apply/diff.js';
import { LinkstoreError } from '../../src/io/errors.js';
import { describeOnDisks, hostPath, peek, settle, snapshotTree, type DiskCtx } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { EXAMPLE_STATE_YAML, exampleState, linkstoreOn, seedSandbox } from './setup.js';

/** Every file and directory under the managed trees with its mtime, mode and content. */
function managedSnapshot(ctx: DiskCtx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tree of ['/var/cpanel/integration', '/var/cpanel/authn']) {
    for (const [p, v] of Object.entries(snapshotTree(ctx, tree))) out[p] = `${v} mtime=${ctx.fs.lstatSync(hostPath(ctx, p)).mtimeMs}`;
  }
  return out;
}

async function rejection(p: Promise<unknown>): Promise<LinkstoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LinkstoreError);
    return e as LinkstoreError;
  }
  throw new Error('expected a rejection');
}

const EXAMPLE_KEYS = [
  'providers.google.enabled',
  'providers.google.enabled',
  'providers.google.client',
  'providers.google.display.cpaneld',
  'accounts.bob.groups.WHMCS',
  'accounts.bob.links.WHMCS_billing',
  'accounts.bob.authn_links.0',
];

describeOnDisks('linkstore apply', (ctx) => {
  it('makes the tree match the example state, then a second run changes nothing and moves no mtime', async () => {
    seedSandbox(ctx);
    const ls = linkstoreOn(ctx);
    const first = await applyState(ls, exampleState());
    expect(first.changed).toBe(true);
    expect(first.changes.map((c) => c.key)).toEqual(EXAMPLE_KEYS);
    expect(first.changes.map((c) => c.action)).toContain('disable_authentication_provider');
    expect(JSON.parse(peek(ctx, '/var/cpanel/integration/links/bob/WHMCS_billing.adminconfig') ?? '')).toEqual({ token: 'subway' });
    expect(JSON.parse(peek(ctx, '/var/cpanel/authn/openid_connect/cpaneld') ?? '')).toHaveProperty('google');
    expect(JSON.parse(peek(ctx, '/var/cpanel/authn/openid_connect/webmaild') ?? '')).not.toHaveProperty('google');
    expect(JSON.parse(peek(ctx, '/var/cpanel/authn/client_config/openid_connect/google') ?? '')).toMatchObject({ client_secret: 's3cr3t' });
    await settle();
    const before = managedSnapshot(ctx);
    // Far enough apart that a rewrite would show in memfs's millisecond mtimes.
    await new Promise((r) => setTimeout(r, 20));
    const second = await applyState(linkstoreOn(ctx), exampleState());
    await settle();
    expect(second).toEqual({ changed: false, check: false, changes: [] });
    expect(managedSnapshot(ctx)).toEqual(before);
  });

  it('--check reports the same changes and writes nothing; after applying, --check is clean', async () => {
    seedSandbox(ctx);
    const before = snapshotTree(ctx);
    const planned = await applyState(linkstoreOn(ctx), exampleState(), { check: true });
    expect(planned.check).toBe(true);
    expect(planned.changed).toBe(true);
    expect(planned.changes.map((c) => c.key)).toEqual(EXAMPLE_KEYS);
    expect(snapshotTree(ctx)).toEqual(before);
    await applyState(linkstoreOn(ctx), exampleState());
    expect(await applyState(linkstoreOn(ctx), exampleState(), { check: true })).toEqual({ changed: false, check: true, changes: [] });
  });

  it('--diff shows each file before and after with secrets masked', async () => {
    seedSandbox(ctx);
    const r = await applyState(linkstoreOn(ctx), exampleState(), { diff: true });
    const text = JSON.stringify(r);
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('subway');
    const link = r.changes.find((c) => c.key === 'accounts.bob.links.WHMCS_billing');
    const admin = link?.diff?.find((d) => d.path.endsWith('WHMCS_billing.adminconfig'));
    expect(admin).toMatchObject({ op: 'write', before: null, mode: '0600' });
    expect(JSON.parse(admin?.after ?? '')).toEqual({ token: MASK });
    const user = link?.diff?.find((d) => d.path.endsWith('WHMCS_billing.userconfig'));
    expect(JSON.parse(user?.after ?? '')).toEqual({
      group_id: 'WHMCS',
      implements: 'billing',
      label: 'WHMCS Billing',
      order: '5',
      url: 'https://billing.example.com/cp',
    });
    const webmaild = r.changes.flatMap((c) => c.diff ?? []).find((d) => d.path === '/var/cpanel/authn/openid_connect/webmaild');
    expect(JSON.parse(webmaild?.before ?? '')).toHaveProperty('google');
    expect(JSON.parse(webmaild?.after ?? '')).toEqual({});
    // A changed value: only its own files, before and after.
    const state = exampleState();
    (state.accounts!.bob!.links!.WHMCS_billing as { label: string }).label = 'Billing';
    const again = await applyState(linkstoreOn(ctx), state, { diff: true, check: true });
    expect(again.changes.map((c) => c.key)).toEqual(['accounts.bob.links.WHMCS_billing']);
    const changed = again.changes[0]?.diff?.map((d) => d.path);
    expect(changed).toEqual([
      '/var/cpanel/integration/links/bob/WHMCS_billing.userconfig',
      '/var/cpanel/integration/dynamicui/bob/dynamicui_WHMCS_billing.conf',
    ]);
  });

  it('an authn link for a provider the same run enables is planned after the enable', async () => {
    seedSandbox(ctx);
    await applyState(linkstoreOn(ctx), { providers: { google: { enabled: [] } } });
    const planned = await applyState(linkstoreOn(ctx), exampleState(), { check: true });
    expect(planned.changes.find((c) => c.key === 'accounts.bob.authn_links.0')).toMatchObject({ action: 'link_user_authn_provider', files: [] });
    const applied = await applyState(linkstoreOn(ctx), exampleState());
    expect(applied.changes.find((c) => c.key === 'accounts.bob.authn_links.0')?.files).toContain('/var/cpanel/authn/links/users/bob/bob.db');
    expect((await applyState(linkstoreOn(ctx), exampleState())).changed).toBe(false);
  });

  it('a new token rewrites only the adminconfig', async () => {
    seedSandbox(ctx);
    await applyState(linkstoreOn(ctx), exampleState());
    const state = exampleState();
    (state.accounts!.bob!.links!.WHMCS_billing as { token: string }).token = 'metro';
    const r = await applyState(linkstoreOn(ctx), state);
    expect(r.changes).toEqual([
      {
        action: 'create_integration_link',
        key: 'accounts.bob.links.WHMCS_billing',
        target: { user: 'bob', app: 'WHMCS_billing' },
        files: ['/var/cpanel/integration/links/bob/WHMCS_billing.adminconfig'],
      },
    ]);
    expect(JSON.parse(peek(ctx, '/var/cpanel/integration/links/bob/WHMCS_billing.adminconfig') ?? '')).toEqual({ token: 'metro' });
  });

  it('--prune removes the links, groups and authn links a listed section does not name; without it they stay', async () => {
    seedSandbox(ctx);
    const more = exampleState();
    const bob = more.accounts!.bob!;
    bob.links!.support = { url: 'https://support.example.com' };
    bob.groups!.Extra = { label: 'Extra' };
    bob.authn_links!.push({ provider: 'google', subject: '555', preferred_username: 'other@gmail.com' });
    await applyState(linkstoreOn(ctx), more);
    expect((await applyState(linkstoreOn(ctx), exampleState())).changed).toBe(false);
    const pruned = await applyState(linkstoreOn(ctx), exampleState(), { prune: true });
    expect(pruned.changes.map((c) => [c.action, c.target])).toEqual([
      ['remove_integration_link', { user: 'bob', app: 'support' }],
      ['remove_integration_group', { user: 'bob', group_id: 'Extra' }],
      ['unlink_user_authn_provider', { username: 'bob', provider_id: 'google', subject_unique_identifier: '555' }],
    ]);
    expect(peek(ctx, '/var/cpanel/integration/links/bob/support.userconfig')).toBeUndefined();
    expect(peek(ctx, '/var/cpanel/integration/links/bob/WHMCS_billing.userconfig')).toBeDefined();
    expect((await applyState(linkstoreOn(ctx), exampleState(), { prune: true })).changed).toBe(false);
    // A section the state leaves out is not managed, even with --prune.
    const linksOnly: LinkstoreState = { accounts: { bob: { links: exampleState().accounts!.bob!.links } } };
    expect((await applyState(linkstoreOn(ctx), linksOnly, { prune: true })).changed).toBe(false);
  });

  it('invalid states name the key and write nothing', async () => {
    seedSandbox(ctx);
    const before = snapshotTree(ctx);
    const cases: Array<[unknown, string]> = [
      [{ accounts: { bob: { links: { WHMCS_billing: { url: 'https://x', lable: 'typo' } } } } }, 'accounts.bob.links.WHMCS_billing.lable'],
      [{ accounts: { bob: { links: { a: { url: 'https://x', order: 5 } } } } }, 'accounts.bob.links.a.order'],
      [{ provider: {} }, 'provider'],
      [{ providers: { google: { enabled: ['cpanel'] } } }, 'providers.google.enabled.0'],
      [{ accounts: { bob: { authn_links: [{ provider: 'google', subject: '1' }] } } }, 'accounts.bob.authn_links.0.preferred_username'],
      [{ accounts: { bob: { links: { 'bad app': { url: 'https://x' } } } } }, 'accounts.bob.links."bad app"'],
    ];
    for (const [value, key] of cases) {
      const e = await rejection(Promise.resolve().then(() => validateState(value, 'state.yaml')));
      expect({ code: e.code, param: e.param }).toEqual({ code: 'E_INVALID_STATE', param: key });
      expect(e.message).toContain(key);
    }
    // Names and values checked against the server, before the first write (the provider step comes first).
    const server: Array<[LinkstoreState, string]> = [
      [{ ...exampleState(), accounts: { ghost: { links: {} } } }, 'accounts.ghost'],
      [{ providers: { nosuch: { enabled: ['cpaneld'] } } }, 'providers.nosuch'],
      [{ ...exampleState(), accounts: { bob: { links: { a: { url: 'https://x', label: "Bob's" } } } } }, 'accounts.bob.links.a'],
    ];
    for (const [state, key] of server) {
      const e = await rejection(applyState(linkstoreOn(ctx), state, { file: 'state.yaml' }));
      expect({ code: e.code, param: e.param }).toEqual({ code: 'E_INVALID_STATE', param: key });
    }
    expect(snapshotTree(ctx)).toEqual(before);
  });

  it('a write failure is an ApplyError carrying the changes made before it', async () => {
    seedSandbox(ctx);
    const { fs } = faultyFs(ctx.fs, [{ op: 'open', path: 'integration/links/bob/', code: 'ENOSPC' }]);
    const e = await rejection(applyState(linkstoreOn(ctx, ctx.make({ fs })), exampleState()));
    expect(e).toBeInstanceOf(ApplyError);
    expect(e.code).not.toBe('E_INVALID_STATE');
    expect((e as ApplyError).result.changes.length).toBeGreaterThan(0);
    expect(peek(ctx, '/var/cpanel/integration/links/bob/WHMCS_billing.userconfig')).toBeUndefined();
  });
});

describe('linkstore apply: state files', () => {
  it('the shipped example YAML is the issue’s example', async () => {
    expect(await loadState(readFileSync(EXAMPLE_STATE_YAML, 'utf8'), 'linkstore-state.yaml')).toEqual(exampleState());
    expect(await loadState(JSON.stringify(exampleState()), 'state.json')).toEqual(exampleState());
  });

  it('refuses text that is not JSON or YAML, and duplicate YAML keys', async () => {
    for (const [text, file] of [
      ['{"accounts":', 'state.json'],
      ['accounts: [unclosed', 'state.yaml'],
      ['accounts: {}\naccounts: {}\n', 'state.yaml'],
    ] as const) {
      const e = await rejection(parseStateText(text, file));
      expect(e.code).toBe('E_INVALID_STATE');
      expect(e.message).toContain(file);
    }
  });

  it('a JSON syntax error says where, never quotes the text (a state file holds tokens)', async () => {
    const text = '{"accounts":{"bob":{"links":{"A":{"url":"https://x/","token":Zq9Xw2Lm}}}}}';
    const e = await rejection(parseStateText(text, 'state.json'));
    expect(e.code).toBe('E_INVALID_STATE');
    expect(e.message).toMatch(/at line 1, column \d+/);
    expect(e.message).not.toContain('Zq9Xw2Lm');
  });

  it('any parsed value either validates or is E_INVALID_STATE (never another error)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ accounts: fc.dictionary(fc.string(), fc.anything()) })), (value) => {
        try {
          validateState(value, 'f');
        } catch (e) {
          expect(e).toBeInstanceOf(LinkstoreError);
          expect((e as LinkstoreError).code).toBe('E_INVALID_STATE');
        }
      }),
    );
  });
});
