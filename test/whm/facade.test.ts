import { describe, expect, it } from 'vitest';
import { createTestServer } from '../../src/testing/index.js';
import { WHM_FUNCTIONS } from '../../src/whm/index.js';

const now = () => 1_700_000_000_000;

describe('WHM API 1 facade', () => {
  it('create/list/get/update/remove an integration link with cPanel envelopes', async () => {
    const s = await createTestServer({ users: ['bob'] });
    const created = await s.whm('create_integration_link', {
      user: 'bob',
      app: 'WHMCS_billing',
      url: 'https://billing.example.com/cp',
      label: 'WHMCS Billing',
      token: 'subway',
    });
    expect(created).toEqual({ metadata: { command: 'create_integration_link', reason: 'OK', result: 1, version: 1, changed: 1 } });
    expect(s.read('/var/cpanel/integration/links/bob/WHMCS_billing.adminconfig')).toBe('{\n   "token" : "subway"\n}\n');
    expect(s.mode('/var/cpanel/integration/links/bob/WHMCS_billing.adminconfig')).toBe(0o600);
    expect(await s.whm('list_integration_links', { user: 'bob' })).toEqual({
      data: { links: [{ app: 'WHMCS_billing' }] },
      metadata: { command: 'list_integration_links', reason: 'OK', result: 1, version: 1 },
    });
    expect((await s.whm('get_integration_link_user_config', { user: 'bob', app: 'WHMCS_billing' })).data).toEqual({
      userconfig: { label: 'WHMCS Billing', url: 'https://billing.example.com/cp' },
    });
    expect((await s.whm('update_integration_link_token', { user: 'bob', app: 'WHMCS_billing', token: 'metro' })).metadata.result).toBe(1);
    expect(s.readJson('/var/cpanel/integration/links/bob/WHMCS_billing.adminconfig')).toEqual({ token: 'metro' });
    expect((await s.whm('remove_integration_link', { user: 'bob', app: 'WHMCS_billing' })).metadata.result).toBe(1);
    expect(s.list('/var/cpanel/integration/links/bob')).toEqual([]);
  });

  it('groups: list key is “links”', async () => {
    const s = await createTestServer({ users: ['bob'] });
    expect((await s.whm('create_integration_group', { user: 'bob', group_id: 'whmcs', label: 'WHMCS Control', order: '1' })).metadata.result).toBe(1);
    expect((await s.whm('list_integration_groups', { user: 'bob' })).data).toEqual({ links: [{ group: 'whmcs' }] });
    expect((await s.whm('remove_integration_group', { user: 'bob', group_id: 'whmcs' })).metadata.result).toBe(1);
  });

  it('failures: result 0, cPanel’s reason with nothing added (no “API failure: ” prefix), a stable error code, no stack', async () => {
    const s = await createTestServer({ users: ['bob'] });
    const bad = await s.whm('create_integration_link', { user: 'bob', app: 'group_x', url: 'u' });
    expect(bad.metadata).toEqual({
      command: 'create_integration_link',
      reason: 'The “app” argument cannot begin with “group_”.',
      result: 0,
      version: 1,
      error_code: 'E_INVALID_PARAM',
    });
    expect(bad.data).toBeUndefined();
    expect((await s.whm('create_integration_link', { user: 'bob', url: 'u' })).metadata.reason).toBe(
      'Provide the “app” parameter for the “Whostmgr::API::1::Integration::create_integration_link” function.',
    );
    expect((await s.whm('create_integration_link', { user: 'bob', app: '', url: 'u' })).metadata.reason).toBe(
      'Provide the “app” parameter for the “Whostmgr::API::1::Integration::create_integration_link” function.',
    );
    expect((await s.whm('list_integration_links', { user: 'nobody' })).metadata.reason).toBe('You do not have a user named “nobody”.');
    const unknown = await s.whm('no_such_function', {});
    expect(unknown.metadata.result).toBe(0);
    expect(unknown.metadata.error_code).toBe('E_UNKNOWN_FUNCTION');
    expect(s.tree('/var/cpanel/integration')).toEqual({});
  });

  it('dry run returns planned operations (mode, owner, digest) and writes nothing', async () => {
    const s = await createTestServer({ users: ['bob'] });
    const env = await s.whm('create_integration_link', { user: 'bob', app: 'x', url: 'https://x', token: 't' }, { dryRun: true });
    expect(env.metadata.result).toBe(1);
    const data = env.data as { dry_run: number; operations: Array<{ op: string; path: string; mode?: string; sha256?: string }> };
    expect(data.dry_run).toBe(1);
    const writes = data.operations.filter((o) => o.op === 'write');
    expect(writes.map((o) => [o.path, o.mode])).toEqual([
      ['/var/cpanel/integration/links/bob/x.userconfig', '0644'],
      ['/var/cpanel/integration/links/bob/x.adminconfig', '0600'],
      ['/var/cpanel/integration/dynamicui/bob/dynamicui_x.conf', '0644'],
    ]);
    expect(writes.every((o) => /^[0-9a-f]{64}$/.test(o.sha256 ?? ''))).toBe(true);
    expect(JSON.stringify(env)).not.toContain('"t"');
    expect(s.tree('/var/cpanel')).toEqual({ '/var/cpanel/cpanel.config': 'database_prefix=1\n', '/var/cpanel/users/bob': s.read('/var/cpanel/users/bob') });
  });

  it('authn: link, linked accounts from the LinkDB, UAPI links, unlink', async () => {
    const s = await createTestServer({ users: [{ name: 'bob', emails: ['info@bob.example'] }], providers: ['google'], linkstore: { now } });
    const linked = await s.whm('link_user_authn_provider', {
      username: 'bob',
      provider_id: 'google',
      subject_unique_identifier: '1098',
      preferred_username: 'bob@gmail.com',
    });
    expect(linked.metadata.result).toBe(1);
    expect(s.read('/var/cpanel/authn/links/users/bob/bob.db')).toBe(
      '{"__VERSION":"1.0","openid_connect":{"google":{"1098":{"link_time":1700000000,"preferred_username":"bob@gmail.com"}}}}',
    );
    expect(s.mode('/var/cpanel/authn/links/users/bob/bob.db')).toBe(0o640);
    if (s.disk.owners) expect(s.owner('/var/cpanel/authn/links/users/bob/bob.db')).toBe('0:1000');
    expect(
      (
        await s.whm('link_user_authn_provider', {
          username: 'info@bob.example',
          provider_id: 'google',
          subject_unique_identifier: '77',
          preferred_username: 'info',
        })
      ).metadata.result,
    ).toBe(1);
    const accounts = (await s.whm('get_users_authn_linked_accounts')).data as { username_linked_accounts: Array<{ username: string }> };
    expect(accounts.username_linked_accounts.map((a) => a.username).sort()).toEqual(['bob', 'info@bob.example']);
    expect((await s.whm('get_authn_links', { username: 'bob' })).data).toEqual([
      {
        provider_protocol: 'openid_connect',
        provider_id: 'google',
        subject_unique_identifier: '1098',
        link_time: 1700000000,
        preferred_username: 'bob@gmail.com',
      },
    ]);
    expect((await s.whm('unlink_user_authn_provider', { username: 'bob', provider_id: 'google', subject_unique_identifier: '1098' })).metadata.result).toBe(1);
    expect(s.read('/var/cpanel/authn/links/users/bob/bob.db')).toBe('{"__VERSION":"1.0"}');
    const notEnabled = await s.whm('link_user_authn_provider', {
      username: 'bob',
      provider_id: 'slack',
      subject_unique_identifier: '1',
      preferred_username: 'x',
    });
    expect(notEnabled.metadata.reason).toBe('The provider “slack” is not enabled for any services with OpenID Connect authentication.');
  });

  it('providers: enable, list, client configuration (0600) and display configuration', async () => {
    const s = await createTestServer({ users: ['bob'], linkstore: { hostname: 'host.example.com' } });
    expect((await s.whm('enable_authentication_provider', { service_name: 'cpaneld', provider_id: 'Google' })).metadata.result).toBe(1);
    expect(s.readJson('/var/cpanel/authn/openid_connect/cpaneld')).toEqual({ google: 'Cpanel::Security::Authn::Provider::Google' });
    const list = (await s.whm('get_available_authentication_providers')).data as { providers: Array<{ id: string; cpaneld_enabled: number }> };
    expect(list.providers.find((p) => p.id === 'google')?.cpaneld_enabled).toBe(1);
    const set = await s.whm('set_provider_client_configurations', {
      service_name: 'cpaneld',
      provider_id: 'google',
      configurations: '{"client_id":"id","client_secret":"s3cret"}',
    });
    expect(set).toEqual({ data: {}, metadata: { command: 'set_provider_client_configurations', reason: 'OK', result: 1, version: 1, changed: 1 } });
    expect(s.mode('/var/cpanel/authn/client_config/openid_connect/google')).toBe(0o600);
    const got = (await s.whm('get_provider_client_configurations', { service_name: 'cpaneld', provider_id: 'google' })).data as {
      client_configurations: { redirect_uris: string[] };
    };
    expect(got.client_configurations.redirect_uris[0]).toBe('https://host.example.com:2083/openid_connect_callback/google');
    const bad = await s.whm('enable_authentication_provider', { service_name: 'ftpd', provider_id: 'google' });
    expect(bad.metadata.reason).toBe('Currently, only “cpaneld”, “webmaild”, and “whostmgrd” can use External Authentication.');
  });

  it('usernames: validate_system_user ints and verify_new_username messages', async () => {
    const s = await createTestServer({ users: ['bob'] });
    expect((await s.whm('validate_system_user', { user: 'bob' })).data).toEqual({ exists: 1, reserved: 0, valid_for_new: 1, valid_for_transfer: 1 });
    expect((await s.whm('validate_system_user', { user: '' })).data).toEqual({ exists: 0, reserved: 0, valid_for_new: 0, valid_for_transfer: 0 });
    expect((await s.whm('validate_system_user', {})).metadata.reason).toBe('No user name supplied: “user” is a required argument.');
    expect(await s.whm('verify_new_username', { user: 'newguy' })).toEqual({
      metadata: { command: 'verify_new_username', reason: 'OK', result: 1, version: 1 },
    });
    expect((await s.whm('verify_new_username', { user: 'bob' })).metadata.reason).toBe('This system already has an account named “bob”.');
    expect((await s.whm('verify_new_username', { user: 'wheel' })).metadata.reason).toBe('This system already has a group named “wheel”.');
    expect((await s.whm('verify_new_username_for_restore', { user: 'root' })).metadata.result).toBe(0);
  });

  it('every function in the table is documented and reachable', async () => {
    const s = await createTestServer({ users: ['bob'] });
    for (const fn of WHM_FUNCTIONS) {
      expect(fn.summary.length).toBeGreaterThan(10);
      const env = await s.whm(fn.name, {});
      expect(env.metadata.command).toBe(fn.name);
      expect(env.metadata.error_code).not.toBe('E_INTERNAL');
    }
  });
});
