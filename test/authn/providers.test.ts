import { expect, it } from 'vitest';
import { AUTHN_MESSAGES as MSG } from '../../src/authn/index.js';
import type { Service } from '../../src/authn/constants.js';
import { describeOnDisks, hostPath, peek, seed, snapshotTree } from '../helpers/disks.js';
import { fakeIcon, installShippedModules } from './provider-modules.js';
import { PKG, makeStore, rejectsWith, seedServer } from './setup.js';

const SVC = '/var/cpanel/authn/openid_connect';
const CC = '/var/cpanel/authn/client_config/openid_connect';

describeOnDisks('authn providers', (ctx) => {
  const mode = (p: string) => ctx.fs.lstatSync(hostPath(ctx, p)).mode & 0o7777;

  it('enables and disables per service with the exact package name', async () => {
    seedServer(ctx, {});
    const { store } = makeStore(ctx);
    await store.enableProvider({ service: 'cpaneld', provider: 'cPanelID' });
    await store.enableProvider({ service: 'cpaneld', provider: 'paypal' });
    await store.enableProvider({ service: 'webmaild', provider: 'WHMCS' });
    expect(peek(ctx, `${SVC}/cpaneld`)).toBe(`{"cpanelid":"${PKG}cPanelID","paypal":"${PKG}PayPal"}`);
    expect(peek(ctx, `${SVC}/webmaild`)).toBe(`{"whmcs":"${PKG}WHMCS"}`);
    expect(mode(`${SVC}/cpaneld`)).toBe(0o644);
    expect(mode(SVC)).toBe(0o711);
    await store.disableProvider({ service: 'cpaneld', provider: 'PayPal' });
    expect(peek(ctx, `${SVC}/cpaneld`)).toBe(`{"cpanelid":"${PKG}cPanelID"}`);
    const before = snapshotTree(ctx, '/');
    expect((await store.disableProvider({ service: 'whostmgrd', provider: 'google' })).ops).toEqual([]);
    expect((await store.enableProvider({ service: 'cpaneld', provider: 'cpanelid' })).ops).toEqual([]);
    expect(snapshotTree(ctx, '/')).toEqual(before);
    await rejectsWith(store.enableProvider({ service: 'ftpd' as Service, provider: 'google' }), 'E_INVALID_PARAM', MSG.badService());
    await rejectsWith(store.disableProvider({ service: 'cpanel' as Service, provider: 'google' }), 'E_INVALID_PARAM', MSG.badService());
    await rejectsWith(store.enableProvider({ service: 'cpaneld', provider: 'nosuch' }), 'E_PROVIDER', MSG.providerNotValid('nosuch'));
    // A misspelt provider is not a silent success (cPanel would answer OK and leave google enabled).
    await rejectsWith(store.disableProvider({ service: 'cpaneld', provider: 'googel' }), 'E_PROVIDER', MSG.providerNotValid('googel'));
    expect(snapshotTree(ctx, '/')).toEqual(before);
    // A module file installs a further provider; its package keeps the file's case.
    seed(ctx, '/usr/local/cpanel/Cpanel/Security/Authn/Provider/MyIdP.pm', '1;');
    seed(ctx, '/usr/local/cpanel/Cpanel/Security/Authn/Provider/OpenIdConnectBase.pm', '1;');
    await store.enableProvider({ service: 'whostmgrd', provider: 'myidp' });
    expect(JSON.parse(peek(ctx, `${SVC}/whostmgrd`)!)).toEqual({ myidp: `${PKG}MyIdP` });
    await rejectsWith(store.enableProvider({ service: 'whostmgrd', provider: 'openidconnectbase' }), 'E_PROVIDER');
    // Linking needs the provider enabled somewhere; disabling leaves links alone.
    await store.linkAccount({ user: 'bob', provider: 'myidp', subject: 's' });
    await store.disableProvider({ service: 'whostmgrd', provider: 'myidp' });
    expect(await store.listLinks({ user: 'bob' })).toHaveLength(1);
    await rejectsWith(store.linkAccount({ user: 'bob', provider: 'myidp', subject: 't' }), 'E_PROVIDER', MSG.providerNotEnabled('myidp'));
  });

  it('treats a service file that is not an object as none enabled, and replaces it on enable', async () => {
    seedServer(ctx, {});
    seed(ctx, `${SVC}/cpaneld`, '[]', 0o644);
    const { store } = makeStore(ctx);
    await rejectsWith(store.linkAccount({ user: 'bob', provider: 'google', subject: 's' }), 'E_PROVIDER');
    await store.enableProvider({ service: 'cpaneld', provider: 'google' }, { dryRun: true });
    expect(peek(ctx, `${SVC}/cpaneld`)).toBe('[]');
    await store.enableProvider({ service: 'cpaneld', provider: 'google' });
    expect(peek(ctx, `${SVC}/cpaneld`)).toBe(`{"google":"${PKG}Google"}`);
  });

  it('lists available providers with enabled and configured flags', async () => {
    seedServer(ctx, { cpaneld: ['google'], whostmgrd: ['google'] });
    seed(ctx, `${SVC}/webmaild`, `{"google":"Wrong::Package"}`, 0o644);
    seed(ctx, `${CC}/google`, '{"client_id":"a","client_secret":"b"}', 0o600);
    seed(ctx, '/var/cpanel/perl/Cpanel/Security/Authn/Provider/Extra.pm', '1;');
    installShippedModules(ctx);
    const { store } = makeStore(ctx);
    const list = await store.listAvailableProviders();
    expect(list.map((p) => p.id)).toEqual(['amazon', 'cpanelid', 'extra', 'facebook', 'google', 'paypal', 'slack', 'whmcs']);
    expect(list.find((p) => p.id === 'google')).toEqual({
      id: 'google',
      configured: 1,
      cpaneld_enabled: 1,
      webmaild_enabled: 0,
      whostmgrd_enabled: 1,
      cpaneld_link: '/openid_connect/google',
      webmaild_link: '/openid_connect/google',
      whostmgrd_link: '/openid_connect/google',
      label: 'Log in via Google',
      color: 'dd4b39',
      textcolor: 'FFFFFF',
      icon: fakeIcon('google'),
      icon_type: 'image/svg+xml',
      display_name: 'Google',
      provider_name: 'google',
      documentation_url: 'https://developers.google.com/identity/protocols/OpenIDConnect',
    });
    // No module file under the root: the shipped values (verified-against-cpanel.md §5), no icon.
    expect(list.find((p) => p.id === 'cpanelid')).toMatchObject({
      label: 'Log in via cPanelID',
      color: 'FF6C2C',
      textcolor: 'FFFFFF',
      icon_type: 'image/svg+xml',
      display_name: 'cPanelID',
      provider_name: 'cpanelid',
      documentation_url: 'https://go.cpanel.net/cpanelidmanage',
    });
    expect(list.find((p) => p.id === 'cpanelid')).not.toHaveProperty('icon');
    expect(list.find((p) => p.id === 'extra')?.configured).toBe(0);
  });

  it('sets and gets client configurations (0600, field checks, redirect URIs, well-known cache dropped)', async () => {
    seedServer(ctx);
    seed(ctx, `${CC}/.google.well_known_config`, '{"issuer":"x"}', 0o644);
    const { store } = makeStore(ctx);
    expect(await store.getClientConfig({ service: 'cpaneld', provider: 'google' })).toEqual({
      redirect_uris: [
        'https://host.example.com:2083/openid_connect_callback/google',
        'https://host.example.com:2087/openid_connect_callback/google',
        'https://host.example.com:2096/openid_connect_callback/google',
      ],
    });
    await store.setClientConfig({ service: 'whostmgrd', provider: 'Google', configurations: '{"client_id":"id1","client_secret":"sec"}' });
    expect(peek(ctx, `${CC}/google`)).toBe(
      '{"client_id":"id1","client_secret":"sec","redirect_uris":["https://host.example.com:2083/openid_connect_callback/google","https://host.example.com:2087/openid_connect_callback/google","https://host.example.com:2096/openid_connect_callback/google"]}',
    );
    expect(mode(`${CC}/google`)).toBe(0o600);
    expect(mode(CC)).toBe(0o711);
    expect(ctx.fs.existsSync(hostPath(ctx, `${CC}/.google.well_known_config`))).toBe(false);
    // Stored redirect_uris are always replaced by the current defaults on read.
    seed(ctx, `${CC}/google`, '{"client_id":"id1","client_secret":"sec","redirect_uris":["old"]}', 0o600);
    const { store: other } = makeStore(ctx, { hostname: 'new.example.com' });
    expect((await other.getClientConfig({ service: 'cpaneld', provider: 'google' })).redirect_uris?.[0]).toBe(
      'https://new.example.com:2083/openid_connect_callback/google',
    );
    const set = (c: unknown, p = 'google') => store.setClientConfig({ service: 'cpaneld', provider: p, configurations: c as Record<string, unknown> });
    await rejectsWith(set({ client_id: 'a', client_secret: 'b', redirect_uris: ['x'] }), 'E_INVALID_PARAM', MSG.unknownConfigField('redirect_uris', 'Google'));
    await rejectsWith(set({ client_id: 'a' }), 'E_MISSING_PARAM', MSG.configMissingKey('client_secret'));
    await rejectsWith(set({ client_id: '', client_secret: 'b' }), 'E_INVALID_PARAM', MSG.configMissingKey('client_id'));
    await rejectsWith(set({ client_id: ['a'], client_secret: 'b' }), 'E_INVALID_PARAM', MSG.configNotString('client_id'));
    await rejectsWith(set({ client_id: 'x'.repeat(1025), client_secret: 'b' }), 'E_INVALID_PARAM', MSG.configTooLarge('client_id'));
    await rejectsWith(set({ client_id: 'a\nb', client_secret: 'b' }), 'E_INVALID_PARAM');
    await rejectsWith(set('not json'), 'E_INVALID_PARAM', MSG.configNotObject());
    await rejectsWith(set({ client_id: 'a', client_secret: 'b' }, 'whmcs'), 'E_MISSING_PARAM', MSG.configMissingKey('well_known_config_uri'));
    await set({ client_id: 'a', client_secret: 'b', well_known_config_uri: 'https://w/.well-known' }, 'whmcs');
    expect(JSON.parse(peek(ctx, `${CC}/whmcs`)!).well_known_config_uri).toBe('https://w/.well-known');
    await rejectsWith(store.getClientConfig({ service: 'imapd' as Service, provider: 'google' }), 'E_INVALID_PARAM', MSG.badService());
  });

  it('gets and sets display configurations (merged, 0644, key and colour checks)', async () => {
    seedServer(ctx);
    installShippedModules(ctx);
    const { store } = makeStore(ctx);
    const configs = await store.listDisplayConfigs({ provider: 'google' });
    expect(configs.map((c) => [c.service, c.label, c.color, c.icon])).toEqual([
      ['cpaneld', 'Log in via Google', 'dd4b39', fakeIcon('google')],
      ['webmaild', 'Log in via Google', 'dd4b39', fakeIcon('google')],
      ['whostmgrd', 'Log in via Google', 'dd4b39', fakeIcon('google')],
    ]);
    await store.setDisplayConfig({ service: 'webmaild', provider: 'google', configurations: { color: 'FF0', label: 'Google login' } });
    const p = `${CC}/.google.webmaild.display_configurations`;
    expect(mode(p)).toBe(0o644);
    expect(JSON.parse(peek(ctx, p)!)).toEqual({ ...configs[1], service: undefined, color: 'FF0', label: 'Google login' });
    expect((await store.listDisplayConfigs({ provider: 'google' }))[1]).toMatchObject({
      service: 'webmaild',
      color: 'FF0',
      label: 'Google login',
      link: '/openid_connect/google',
    });
    await rejectsWith(
      store.setDisplayConfig({ service: 'webmaild', provider: 'google', configurations: { colour: 'fff' } }),
      'E_INVALID_PARAM',
      MSG.unknownDisplayKey('google', 'colour'),
    );
    await rejectsWith(
      store.setDisplayConfig({ service: 'webmaild', provider: 'google', configurations: { textcolor: '#fff' } }),
      'E_INVALID_PARAM',
      MSG.badColor('textcolor'),
    );
    await rejectsWith(
      store.setDisplayConfig({ service: 'webmaild', provider: 'google', configurations: { color: 'abcdefa' } }),
      'E_INVALID_PARAM',
      MSG.badColor('color'),
    );
    await rejectsWith(store.listDisplayConfigs({ provider: 'nosuch' }), 'E_PROVIDER', MSG.providerNotValid('nosuch'));
  });

  it('disables failing providers (not installed, or a wrong package) on every service', async () => {
    seedServer(ctx, {});
    seed(ctx, `${SVC}/cpaneld`, `{"google":"${PKG}Google","gone":"${PKG}Gone"}`, 0o644);
    seed(ctx, `${SVC}/whostmgrd`, `{"gone":"${PKG}Gone","slack":"Other::Slack"}`, 0o644);
    const { store } = makeStore(ctx);
    const dry = await store.disableFailingProviders({ dryRun: true });
    expect(peek(ctx, `${SVC}/cpaneld`)).toContain('gone');
    const r = await store.disableFailingProviders();
    expect(r.payload).toEqual(dry.payload);
    expect(r.payload.map((p) => [p.provider_name, p.provider_namespace, p.disabled_services])).toEqual([
      ['gone', `${PKG}Gone`, ['cpaneld', 'whostmgrd']],
      ['slack', 'Other::Slack', ['whostmgrd']],
    ]);
    expect(r.payload[0]?.failures_to_disable).toEqual([]);
    expect(peek(ctx, `${SVC}/cpaneld`)).toBe(`{"google":"${PKG}Google"}`);
    expect(peek(ctx, `${SVC}/whostmgrd`)).toBe('{}');
    expect((await store.disableFailingProviders()).payload).toEqual([]);
  });
});
