/**
 * One code per missing object across the stores and the facade, LinkstoreError for bad options,
 * and cPanel's warning for an unknown parameter returned in `metadata.output.warnings` (or, with
 * `strict`, the call refused).
 */
import { describe, expect, it } from 'vitest';
import { callUapi, callWhm, isLinkstoreError, LinkstoreError, openLinkstore } from '../../src/index.js';
import { createTestServer } from '../../src/testing/index.js';
import { whmFail } from '../../src/whm/envelope.js';

const LINK = { username: 'bob', provider_id: 'google', subject_unique_identifier: 'nope' };

describe('missing objects', () => {
  it('unlinking a subject that is not linked is E_NO_SUCH_LINK (store and facade)', async () => {
    const s = await createTestServer({ users: ['bob'], providers: ['google'] });
    const env = await s.whm('unlink_user_authn_provider', LINK);
    expect(env.metadata).toMatchObject({ result: 0, error_code: 'E_NO_SUCH_LINK' });
    const authn = await s.linkstore.authn();
    await expect(authn.unlinkAccount({ user: 'bob', provider: 'google', subject: 'nope' })).rejects.toMatchObject({ code: 'E_NO_SUCH_LINK' });
  });

  it('the links of a user that does not exist are E_NO_SUCH_USER, not an empty list', async () => {
    const s = await createTestServer({ users: ['bob'] });
    expect((await s.whm('get_authn_links', { username: 'ghost' })).metadata).toMatchObject({ result: 0, error_code: 'E_NO_SUCH_USER' });
    expect((await s.whm('get_authn_links', { username: 'bob' })).data).toEqual([]);
  });

  it('the adminconfig and token of a missing link are E_NO_SUCH_LINK', async () => {
    const s = await createTestServer({ users: ['bob'] });
    const integration = await s.linkstore.integration();
    await expect(integration.getLinkAdminConfig({ user: 'bob', app: 'nolink' })).rejects.toMatchObject({ code: 'E_NO_SUCH_LINK' });
    await expect(integration.getLinkToken({ user: 'bob', app: 'nolink' })).rejects.toMatchObject({ code: 'E_NO_SUCH_LINK' });
  });
});

describe('bad options are LinkstoreErrors', () => {
  it.each([[{}], [42], [{ promises: {} }]])('openLinkstore({ fs: %j })', (fs) => {
    let caught: unknown;
    try {
      openLinkstore({ fs: fs as never });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LinkstoreError);
    expect(isLinkstoreError(caught, 'E_INVALID_PARAM')).toBe(true);
  });

  it('a relative root too', () => {
    expect(() => openLinkstore({ root: 'relative' })).toThrow(LinkstoreError);
  });
});

// What a JavaScript caller without the types can pass.
const untypedWhm = callWhm as unknown as (ls: unknown, name: string, params: unknown) => ReturnType<typeof callWhm>;
const untypedUapi = callUapi as unknown as (ls: unknown, name: string, params: unknown) => ReturnType<typeof callUapi>;

describe('unknown parameters', () => {
  it('are ignored with cPanel’s warning in metadata.output.warnings; nothing of them is stored', async () => {
    const s = await createTestServer({ users: ['bob'] });
    const env = await s.whm('create_integration_link', { user: 'bob', app: 'a', url: 'https://x', lable: 'Foo', tokn: 'k' });
    expect(env.metadata).toEqual({
      changed: 1,
      command: 'create_integration_link',
      reason: 'OK',
      result: 1,
      version: 1,
      output: { warnings: ['Ignoring unrecognized data key “lable” (Foo)!', 'Ignoring unrecognized data key “tokn” (********)!'] },
    });
    expect(s.readJson('/var/cpanel/integration/links/bob/a.userconfig')).toEqual({ url: 'https://x' });
    expect((await s.whm('validate_system_user', { user: 'bob', usr: 'x' })).metadata.output).toEqual({
      warnings: ['Ignoring unrecognized data key “usr” (x)!'],
    });
    expect((await s.whm('validate_system_user', { user: 'bob' })).metadata.output).toBeUndefined();
  });

  it('are warned about when the call fails too (a misspelt key is most often why it failed)', async () => {
    const s = await createTestServer({ users: ['bob'] });
    const env = await s.whm('list_integration_links', { usr: 'bob' });
    expect(env.metadata).toMatchObject({ result: 0, error_code: 'E_MISSING_PARAM', output: { warnings: ['Ignoring unrecognized data key “usr” (bob)!'] } });
    const uapi = await untypedUapi(s.linkstore, 'get_authn_links', { usrname: 'bob' });
    expect(uapi.result).toMatchObject({ status: 0, warnings: ['Ignoring unrecognized data key “usrname” (bob)!'] });
  });

  it('a JavaScript caller’s null parameters are none, and parameters that are not an object are refused (never a throw)', async () => {
    const s = await createTestServer({ users: ['bob'] });
    expect((await untypedWhm(s.linkstore, 'list_integration_links', null)).metadata).toMatchObject({ result: 0, error_code: 'E_MISSING_PARAM' });
    for (const bad of ['user=bob', 42, ['bob']]) {
      const env = await untypedWhm(s.linkstore, 'list_integration_links', bad);
      expect(env.metadata).toMatchObject({ result: 0, error_code: 'E_INVALID_PARAM' });
      expect((await untypedUapi(s.linkstore, 'get_authn_links', bad)).result.status).toBe(0);
    }
  });

  it('show the value of a dropped key, but never one of a key that names a secret', async () => {
    const s = await createTestServer({ users: ['bob'] });
    const env = await s.whm('create_integration_link', { user: 'bob', app: 'a', url: 'https://x', admin_token: 'S3CR3T', client_secret: 'hush', secret: '' });
    expect(env.metadata.output).toEqual({
      warnings: [
        'Ignoring unrecognized data key “admin_token” (********)!',
        'Ignoring unrecognized data key “client_secret” (********)!',
        'Ignoring unrecognized data key “secret” ()!',
      ],
    });
    expect(JSON.stringify(env)).not.toMatch(/S3CR3T|hush/);
  });

  it('mask a near miss of a secret parameter the call takes, and a value that names a secret', async () => {
    const s = await createTestServer({ users: ['bob'] });
    await s.whm('create_integration_link', { user: 'bob', app: 'a', url: 'https://x' });
    const token = await s.whm('update_integration_link_token', { user: 'bob', app: 'a', token: 't', tkoen: 'TOPSECRET1', tken: 'TOPSECRET2', lable: 'Foo' });
    expect(token.metadata.output).toEqual({
      warnings: [
        'Ignoring unrecognized data key “tkoen” (********)!',
        'Ignoring unrecognized data key “tken” (********)!',
        'Ignoring unrecognized data key “lable” (Foo)!',
      ],
    });
    const config = await s.whm('set_provider_client_configurations', {
      service_name: 'cpaneld',
      provider_id: 'google',
      configuration: '{"client_id":"x","client_secret":"TOPSECRET3"}',
      extra: 'my password is TOPSECRET4',
      client_secert: 'TOPSECRET5',
    });
    expect(config.metadata.output?.warnings).toEqual([
      'Ignoring unrecognized data key “configuration” (********)!',
      'Ignoring unrecognized data key “extra” (********)!',
      'Ignoring unrecognized data key “client_secert” (********)!',
    ]);
    expect(JSON.stringify([token, config])).not.toMatch(/TOPSECRET/);
  });

  it('fail the call with strict, naming the key, and nothing is written', async () => {
    const s = await createTestServer({ users: ['bob'] });
    const env = await s.whm('create_integration_link', { user: 'bob', app: 'a', url: 'https://x', lable: 'Foo' }, { strict: true });
    expect(env.metadata).toMatchObject({ result: 0, error_code: 'E_INVALID_PARAM' });
    expect(env.metadata.reason).toContain('“lable”');
    expect(s.list('/var/cpanel/integration/links')).toEqual([]);
  });

  it('through callUapi are warned in result.warnings, or refused with strict', async () => {
    const s = await createTestServer({ users: ['bob'], providers: ['google'] });
    const params = { username: 'bob', provider_id: 'google', subject_unique_identifier: '88', preferred_username: 'Bob', srvice: 'webmaild' };
    const refused = await callUapi(s.linkstore, 'add_authn_link', params as never, { strict: true });
    expect(refused.result).toMatchObject({ status: 0, data: null });
    expect(refused.result.errors?.[0]).toContain('“srvice”');
    expect(s.list('/var/cpanel/authn/links/users')).toEqual([]);
    const added = await callUapi(s.linkstore, 'add_authn_link', params as never);
    expect(added.result).toMatchObject({ status: 1, errors: null, warnings: ['Ignoring unrecognized data key “srvice” (webmaild)!'] });
    expect((await callUapi(s.linkstore, 'get_authn_links', { username: 'bob' })).result.warnings).toBeNull();
  });
});

describe('failure envelopes', () => {
  it('a failure after some changes were made (E_PARTIAL) lists them in data.done, changed 1; any other failure has no data', () => {
    const done = [{ op: 'remove' as const, path: '/var/cpanel/authn/links/users/bob/bob.db' }];
    const partial = whmFail('x', new LinkstoreError('E_PARTIAL', 'One of 2 changes is in place.', { done }));
    expect(partial).toEqual({
      data: { done },
      metadata: { command: 'x', reason: 'One of 2 changes is in place.', result: 0, version: 1, error_code: 'E_PARTIAL', changed: 1 },
    });
    expect(Object.keys(partial)).toEqual(['data', 'metadata']);
    expect(whmFail('x', new LinkstoreError('E_NO_SUCH_USER', 'nope'))).toEqual({
      metadata: { command: 'x', reason: 'nope', result: 0, version: 1, error_code: 'E_NO_SUCH_USER' },
    });
  });
});
