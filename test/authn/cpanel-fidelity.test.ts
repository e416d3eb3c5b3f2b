/**
 * Golden tests for what running cPanel's own code showed (verified-against-cpanel.md §1, §3–§5,
 * authn-links.md §8–§9), on the tree cPanel leaves (test/fixtures/cpanel-tree): restored
 * `link_time` strings, the mail-directory rule, exact message texts through the WHM facade,
 * provider display defaults from the installed module files, and the UAPI calls.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { exportAccountArchive, restoreAccountArchive } from '../../src/archive/index.js';
import { Linkstore } from '../../src/services.js';
import { exportRecords, importRecords, recordLine } from '../../src/transfer/index.js';
import { callUapi, callWhm } from '../../src/whm/index.js';
import { describeOnDisks, hostPath, peek, seed } from '../helpers/disks.js';
import { CPANEL_TREE_DIR, STANDIN_IMAGE_SHA256, seedCpanelTree } from '../doctor/cpanel-tree.js';
import { CUSTOM_DIR, SHIPPED_DIR, constantModule, fakeIcon, installShippedModules } from './provider-modules.js';

const USERS = '/var/cpanel/authn/links/users/bob';
const LOGIN = '/var/cpanel/authn/links/openid_connect/login';
const CC = '/var/cpanel/authn/client_config/openid_connect';
const NOW_MS = 1_800_000_000_000;
const readCpanelTreeFile = (p: string) => readFileSync(`${CPANEL_TREE_DIR}${p}`, 'utf8');

describeOnDisks('cPanel fidelity', (ctx) => {
  const ls = () =>
    new Linkstore({
      disk: ctx.disk,
      now: () => NOW_MS,
      hostname: 'host.example.com',
      users: { checkIntervalMs: 0 },
      cpanelDefaultImageSha256: [STANDIN_IMAGE_SHA256],
    });
  const whm = (name: string, params: Record<string, string> = {}) => callWhm(ls(), name, params);

  // ------------------------------------------------------------ §1 link_time strings
  it('reads restored link_time strings as found, next to integers', async () => {
    seedCpanelTree(ctx);
    expect((await whm('get_authn_links', { username: 'bob' })).data).toEqual([
      {
        provider_protocol: 'openid_connect',
        provider_id: 'cpanelid',
        subject_unique_identifier: '123456789012345678901',
        link_time: 1796115300,
        preferred_username: 'bob@example.com',
      },
      {
        provider_protocol: 'openid_connect',
        provider_id: 'google',
        subject_unique_identifier: '1098',
        link_time: '1796115188',
        preferred_username: 'bob@gmail.com',
      },
    ]);
    const accounts = (await whm('get_users_authn_linked_accounts')).data as { username_linked_accounts: Array<{ username: string; link_time: unknown }> };
    const byKey = (a: [string, unknown], b: [string, unknown]) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
    expect(accounts.username_linked_accounts.map((a): [string, unknown] => [a.username, a.link_time]).sort(byKey)).toEqual([
      ['bob', '1796115188'],
      ['bob', 1796115300],
      ['dironly@bob.example', '1796115190'],
    ]);
  });

  it('a new link on that provider is written with an integer; the restored entries keep their strings', async () => {
    seedCpanelTree(ctx);
    const r = await whm('link_user_authn_provider', {
      username: 'bob',
      provider_id: 'google',
      subject_unique_identifier: '2000',
      preferred_username: 'bob2@gmail.com',
    });
    expect(r.metadata.result).toBe(1);
    expect(peek(ctx, `${USERS}/bob.db`)).toBe(
      '{"__VERSION":"1.0","openid_connect":{"cpanelid":{"123456789012345678901":{"link_time":1796115300,"preferred_username":"bob@example.com"}},' +
        '"google":{"1098":{"link_time":"1796115188","preferred_username":"bob@gmail.com"},"2000":{"link_time":1800000000,"preferred_username":"bob2@gmail.com"}}}}',
    );
    expect(peek(ctx, `${LOGIN}/google.db`)).toBe(
      '{"subject_unique_identifier":{"1098":{"bob":{"link_time":"1796115188","preferred_username":"bob@gmail.com","version":"1.1"}},' +
        '"2000":{"bob":{"link_time":1800000000,"preferred_username":"bob2@gmail.com","version":"1.1"}},' +
        '"77":{"dironly@bob.example":{"link_time":"1796115190","preferred_username":"dironly","version":"1.1"}}},' +
        '"user":{"bob":{"1098":1,"2000":1},"dironly@bob.example":{"77":1}}}',
    );
    expect((await whm('unlink_user_authn_provider', { username: 'bob', provider_id: 'google', subject_unique_identifier: '1098' })).metadata.result).toBe(1);
    expect(peek(ctx, `${USERS}/bob.db`)).not.toContain('1098');
  });

  it('a link_time given as a digit string is stored as given, as cPanel’s add keeps it', async () => {
    seedCpanelTree(ctx);
    await (
      await ls().authn()
    ).linkAccount({ user: 'bob', provider: 'google', subject: '3000', userInfo: { preferred_username: 'r', link_time: '1796115400' } });
    expect(JSON.parse(peek(ctx, `${USERS}/bob.db`) as string).openid_connect.google['3000']).toEqual({ link_time: '1796115400', preferred_username: 'r' });
    expect(JSON.parse(peek(ctx, `${LOGIN}/google.db`) as string).subject_unique_identifier['3000']).toEqual({
      bob: { link_time: '1796115400', preferred_username: 'r', version: '1.1' },
    });
  });

  /** The decoded per-user DBs and LinkDBs of the tree (values with their JSON types). */
  const authnValues = () =>
    Object.fromEntries(
      [`${USERS}/bob.db`, `${USERS}/dironly@bob.example.db`, `${LOGIN}/google.db`, `${LOGIN}/cpanelid.db`].map((p) => [p, JSON.parse(peek(ctx, p) as string)]),
    );
  const dropAuthnLinks = () => ctx.fs.rmSync(hostPath(ctx, '/var/cpanel/authn/links'), { recursive: true, force: true });

  it('an export imported where the links are gone gives back the restored strings', async () => {
    seedCpanelTree(ctx);
    const before = authnValues();
    const lines = (await exportRecords(ls())).map((r) => recordLine(r));
    dropAuthnLinks();
    const summary = await importRecords(ls(), lines);
    expect(summary.failed).toBe(0);
    expect(authnValues()).toEqual(before);
    // Importing the same lines again changes no per-user DB.
    const again = await importRecords(ls(), lines);
    expect(again.results.filter((r) => r.type === 'authn_link').map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    // The record schema says what link_time may be: an integer or a string of digits.
    const bad = await importRecords(ls(), [
      '{"type":"authn_link","user":"bob","provider":"google","subject":"s-1","user_info":{"link_time":"soon"}}',
      '{"type":"authn_link","user":"bob","provider":"google","subject":"s-2","user_info":{"link_time":-1}}',
    ]);
    expect(bad.results.map((r) => [r.status, r.reason?.includes('/user_info/link_time')])).toEqual([
      ['failed', true],
      ['failed', true],
    ]);
  });

  it('an account archive of a restored account restores its strings', async () => {
    seedCpanelTree(ctx);
    const before = authnValues();
    const dir = `${ctx.root}.backups/cpmove-bob`;
    ctx.fs.mkdirSync(`${ctx.root}.backups`, { recursive: true });
    try {
      await exportAccountArchive(ls(), 'bob', dir);
      dropAuthnLinks();
      await restoreAccountArchive(ls(), dir);
      expect(authnValues()).toEqual(before);
    } finally {
      ctx.fs.rmSync(`${ctx.root}.backups`, { recursive: true, force: true });
    }
  });

  // ------------------------------------------------------------ §3 the mail-directory rule
  it('an email account exists exactly when its mail directory does', async () => {
    seedCpanelTree(ctx);
    const link = (username: string) =>
      whm('link_user_authn_provider', { username, provider_id: 'google', subject_unique_identifier: '55', preferred_username: 'p' });
    // A mail directory without a passwd line: linked and unlinked.
    expect((await link('dironly@bob.example')).metadata.result).toBe(1);
    expect(
      (await whm('unlink_user_authn_provider', { username: 'dironly@bob.example', provider_id: 'google', subject_unique_identifier: '55' })).metadata.result,
    ).toBe(1);
    // A passwd line without the mail directory, other case, unknown domain: cPanel's text.
    for (const u of ['ghost@bob.example', 'Info@bob.example', 'info@BOB.example', 'info@nowhere.example']) {
      expect((await link(u)).metadata.reason, u).toBe(`You do not have a user named “${u}”.`);
    }
    expect((await link('in/fo@bob.example')).metadata.reason).toBe('“in/fo@bob.example” is not a valid account name.');
    expect((await link('nosuch')).metadata.reason).toBe('You do not have a user named “nosuch”.');
    expect(peek(ctx, `${USERS}/ghost@bob.example.db`)).toBeUndefined();
  });

  it('the mail path is only stat-ed: a FIFO there counts as existing and is never opened', async () => {
    seedCpanelTree(ctx);
    const fifo = '/home/bob/mail/bob.example/pipe';
    if (ctx.kind === 'tmpdir') execFileSync('mkfifo', [hostPath(ctx, fifo)]);
    else seed(ctx, fifo, ''); // memfs has no FIFOs: any file type counts
    const r = await whm('link_user_authn_provider', {
      username: 'pipe@bob.example',
      provider_id: 'google',
      subject_unique_identifier: '56',
      preferred_username: 'p',
    });
    expect(r.metadata.result).toBe(1);
  });

  it('the mail path is stat-ed as `-e` does: through a symlink to an existing entry, not through a dangling one', async () => {
    seedCpanelTree(ctx);
    ctx.fs.symlinkSync('info', hostPath(ctx, '/home/bob/mail/bob.example/alias'));
    ctx.fs.symlinkSync('gone', hostPath(ctx, '/home/bob/mail/bob.example/dangling'));
    const link = (username: string) =>
      whm('link_user_authn_provider', { username, provider_id: 'google', subject_unique_identifier: '57', preferred_username: 'p' });
    expect((await link('alias@bob.example')).metadata.result).toBe(1);
    expect((await link('dangling@bob.example')).metadata.reason).toBe('You do not have a user named “dangling@bob.example”.');
  });

  // ------------------------------------------------------------ §4 message texts
  it('gives cPanel’s exact reasons through the facade', async () => {
    seedCpanelTree(ctx);
    const reason = async (name: string, params: Record<string, string>) => (await whm(name, params)).metadata.reason;
    const base = { username: 'bob', provider_id: 'google', subject_unique_identifier: '9', preferred_username: 'x' };
    const without = (k: string) => Object.fromEntries(Object.entries(base).filter(([key]) => key !== k));
    expect(await reason('link_user_authn_provider', without('username'))).toBe(
      'Provide the “username” parameter for the “Whostmgr::API::1::Accounts::link_user_authn_provider” function.',
    );
    expect(await reason('link_user_authn_provider', without('preferred_username'))).toBe(
      'Provide the “preferred_username” parameter for the “Whostmgr::API::1::Accounts::link_user_authn_provider” function.',
    );
    expect(await reason('unlink_user_authn_provider', { provider_id: 'google', subject_unique_identifier: '9' })).toBe(
      'Provide the “username” parameter for the “Whostmgr::API::1::Accounts::unlink_user_authn_provider” function.',
    );
    expect(await reason('link_user_authn_provider', { ...base, provider_id: '' })).toBe(
      'Provide the “provider” parameter for the “Cpanel::Validate::AuthProvider::check_provider_name_or_die” function.',
    );
    for (const subject of ['', '0']) {
      expect(await reason('link_user_authn_provider', { ...base, subject_unique_identifier: subject })).toBe(
        'Provide the “subject_unique_identifier” parameter for the “Cpanel::Validate::OpenIdConnect::check_subject_unique_identifier_or_die” function.',
      );
    }
    expect(await reason('link_user_authn_provider', { ...base, username: '' })).toBe(
      'Provide the “user” parameter for the “Cpanel::Security::Authn::User::Modify::add_authn_link_for_user” function.',
    );
    expect(await reason('link_user_authn_provider', { ...base, subject_unique_identifier: 'a\nb' })).toBe('This value may not contain a line feed.');
    expect(await reason('link_user_authn_provider', { ...base, preferred_username: 'a\nb' })).toBe('This value may not contain a line feed.');
    const long = 'x'.repeat(256);
    expect(await reason('link_user_authn_provider', { ...base, preferred_username: long })).toBe(
      `The “${long}” value exceeds the maximum length by 1 byte. The maximum allowed length is 255 bytes.`,
    );
    expect(await reason('link_user_authn_provider', { ...base, preferred_username: long + 'x' })).toBe(
      `The “${long}x” value exceeds the maximum length by 2 bytes. The maximum allowed length is 255 bytes.`,
    );
    expect(await reason('link_user_authn_provider', { ...base, preferred_username: 'y'.repeat(1025) })).toBe(
      `The user_info element “${'y'.repeat(1025)}” is larger than the allowed size of 1024.`,
    );
    expect(await reason('get_integration_link_user_config', { user: 'bob' })).toBe(
      'Provide the “app” parameter for the “Whostmgr::API::1::Integration::get_integration_link_user_config” function.',
    );
    expect(await reason('update_integration_link_token', { user: 'bob', app: 'support', token: '' })).toBe(
      'Provide the “token” parameter for the “Whostmgr::API::1::Integration::update_integration_link_token” function.',
    );
    expect(await reason('create_integration_group', { user: 'bob', group_id: '' })).toBe(
      'Provide the “group_id” parameter for the “Whostmgr::API::1::Integration::create_integration_group” function.',
    );
    // The typed API keeps the code and the parameter.
    const err = await (await ls().authn()).linkAccount({ user: 'ghost@bob.example', provider: 'google', subject: '9' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'E_NO_SUCH_USER', param: 'user', message: 'You do not have a user named “ghost@bob.example”.' });
  });

  // ------------------------------------------------------------ §5 provider display configuration
  it('display defaults per provider, the icon from the installed module in each of the three shapes', async () => {
    seedCpanelTree(ctx);
    installShippedModules(ctx);
    const providers = ((await whm('get_available_authentication_providers')).data as { providers: Array<Record<string, unknown>> }).providers;
    const byId = new Map(providers.map((p) => [p.id, p]));
    expect(byId.get('google')).toMatchObject({
      color: 'dd4b39',
      textcolor: 'FFFFFF',
      icon: fakeIcon('google'),
      provider_name: 'google',
      display_name: 'Google',
    });
    expect(byId.get('paypal')).toMatchObject({
      color: 'ffffff',
      textcolor: '000000',
      icon: fakeIcon('paypal'),
      provider_name: 'paypal',
      documentation_url: 'https://go.cpanel.net/paypaldocs',
    });
    expect(byId.get('slack')).toMatchObject({
      label: 'Log in via Slack',
      icon: fakeIcon('slack'),
      provider_name: 'slack',
      documentation_url: 'https://api.slack.com/apps',
    });
    expect(byId.get('amazon')).toMatchObject({ color: '232f3e', textcolor: 'FFFFFF', icon_type: 'image/png', provider_name: 'amazon' });
    expect(byId.get('whmcs')).toMatchObject({ color: '00455e', documentation_url: 'http://docs.whmcs.com/WHMCS_OpenID_and_cPanel_Setup_Guide' });
    expect(byId.get('facebook')).toMatchObject({ color: '3B5998', documentation_url: 'https://developers.facebook.com/docs/facebook-login/' });
    expect(byId.get('amazon')).not.toHaveProperty('icon'); // no module file under this root
  });

  it('all seven shipped providers: the verified defaults, in both listing functions', async () => {
    seedCpanelTree(ctx);
    // verified-against-cpanel.md §5, typed here from the table (not taken from the library).
    const table: Array<[string, string, string, string, string, string]> = [
      ['cpanelid', 'cPanelID', 'FF6C2C', 'FFFFFF', 'image/svg+xml', 'https://go.cpanel.net/cpanelidmanage'],
      ['google', 'Google', 'dd4b39', 'FFFFFF', 'image/svg+xml', 'https://developers.google.com/identity/protocols/OpenIDConnect'],
      ['facebook', 'Facebook', '3B5998', 'FFFFFF', 'image/svg+xml', 'https://developers.facebook.com/docs/facebook-login/'],
      ['amazon', 'Amazon', '232f3e', 'FFFFFF', 'image/png', 'https://login.amazon.com/documentation'],
      ['paypal', 'PayPal', 'ffffff', '000000', 'image/svg+xml', 'https://go.cpanel.net/paypaldocs'],
      ['whmcs', 'WHMCS', '00455e', 'FFFFFF', 'image/svg+xml', 'http://docs.whmcs.com/WHMCS_OpenID_and_cPanel_Setup_Guide'],
      ['slack', 'Slack', 'ffffff', '000000', 'image/svg+xml', 'https://api.slack.com/apps'],
    ];
    const providers = ((await whm('get_available_authentication_providers')).data as { providers: Array<Record<string, unknown>> }).providers;
    for (const [id, display_name, color, textcolor, icon_type, documentation_url] of table) {
      const expected = { label: `Log in via ${display_name}`, color, textcolor, icon_type, display_name, provider_name: id, documentation_url };
      const link = `/openid_connect/${id}`;
      expect(providers.find((p) => p.id === id)).toEqual({
        id,
        configured: id === 'google' ? 1 : 0,
        cpaneld_enabled: id === 'google' || id === 'cpanelid' ? 1 : 0,
        webmaild_enabled: id === 'google' || id === 'cpanelid' ? 1 : 0,
        whostmgrd_enabled: id === 'google' || id === 'cpanelid' ? 1 : 0,
        cpaneld_link: link,
        webmaild_link: link,
        whostmgrd_link: link,
        ...expected, // no module files under this root: no icon
      });
      const configs = ((await whm('get_provider_display_configurations', { provider_id: id })).data as { configurations: unknown[] }).configurations;
      expect(configs, id).toEqual(['cpaneld', 'webmaild', 'whostmgrd'].map((service) => ({ ...expected, link, service })));
    }
  });

  it('set_provider_display_configurations writes the full object, icon included', async () => {
    seedCpanelTree(ctx);
    installShippedModules(ctx);
    const r = await whm('set_provider_display_configurations', { service_name: 'cpaneld', provider_id: 'google', configurations: '{"color":"336699"}' });
    expect(r.metadata.result).toBe(1);
    expect(peek(ctx, `${CC}/.google.cpaneld.display_configurations`)).toBe(
      JSON.stringify({
        color: '336699',
        display_name: 'Google',
        documentation_url: 'https://developers.google.com/identity/protocols/OpenIDConnect',
        icon: fakeIcon('google'),
        icon_type: 'image/svg+xml',
        label: 'Log in via Google',
        link: '/openid_connect/google',
        provider_name: 'google',
        textcolor: 'FFFFFF',
      }),
    );
  });

  it('refuses, naming the key, when a default cannot be determined; keeps an existing custom file’s keys', async () => {
    seedCpanelTree(ctx);
    const set = (configurations: string, provider = 'google') =>
      whm('set_provider_display_configurations', { service_name: 'cpaneld', provider_id: provider, configurations });
    const refused = await set('{"color":"336699"}');
    expect(refused.metadata.result).toBe(0);
    expect(refused.metadata.error_code).toBe('E_PROVIDER_MODULE');
    expect(refused.metadata.reason).toContain('“icon”');
    expect(peek(ctx, `${CC}/.google.cpaneld.display_configurations`)).toBeUndefined();
    // Given explicitly, the icon is no longer unknown.
    expect((await set(`{"color":"336699","icon":"${fakeIcon('mine')}"}`)).metadata.result).toBe(1);
    // An existing custom file is the current configuration: its keys are kept, nothing is re-derived.
    seed(ctx, `${CC}/.google.webmaild.display_configurations`, '{"label":"Mine","color":"111111","link":"/openid_connect/google"}');
    const kept = await whm('set_provider_display_configurations', { service_name: 'webmaild', provider_id: 'google', configurations: '{"color":"222222"}' });
    expect(kept.metadata.result).toBe(1);
    expect(peek(ctx, `${CC}/.google.webmaild.display_configurations`)).toBe('{"color":"222222","label":"Mine","link":"/openid_connect/google"}');
  });

  it('display and client configuration refusals in cPanel’s words', async () => {
    seedCpanelTree(ctx);
    installShippedModules(ctx);
    const reason = async (name: string, configurations: string, provider = 'google') =>
      (await whm(name, { service_name: 'cpaneld', provider_id: provider, configurations })).metadata.reason;
    const display = 'set_provider_display_configurations';
    expect(await reason(display, '{"colour":"fff"}')).toBe(
      'You can only update display configurations that already exist in the provider module, and the “google” provider does not contain the “colour” display configuration parameter.',
    );
    expect(await reason(display, '{"textcolor":"#fff"}')).toBe(
      'The display configuration parameter “textcolor” requires a hex color code without a Number symbol (#). For example, FF0000 represents red.',
    );
    const client = 'set_provider_client_configurations';
    expect(await reason(client, '{"client_id":"a"}')).toBe('The configuration is missing the required parameter key “client_secret”.');
    expect(await reason(client, '{"client_id":"","client_secret":"b"}')).toBe('The configuration is missing the required parameter key “client_id”.');
    expect(await reason(client, '{"client_id":{"a":1},"client_secret":"b"}')).toBe(
      'The value of “client_id” is not valid. Configuration field values are limited to strings.',
    );
    expect(await reason(client, '{"client_id":"a","client_secret":"b","redirect_uris":["x"]}')).toBe(
      'The configuration key “redirect_uris” is not a valid configuration field for the provider “Google”.',
    );
    expect(await reason(client, '{"client_id":"a","client_secret":"b","extra":"x"}', 'whmcs')).toBe(
      'The configuration is missing the required parameter key “well_known_config_uri”.',
    );
    expect(peek(ctx, `${CC}/.google.cpaneld.display_configurations`)).toBeUndefined();
    expect(peek(ctx, `${CC}/google`)).toBe(readCpanelTreeFile(`${CC}/google`));
  });

  it('a custom provider’s values come from its module under /var/cpanel/perl; an undeterminable one is refused', async () => {
    seedCpanelTree(ctx);
    seed(
      ctx,
      `${CUSTOM_DIR}/Acme.pm`,
      constantModule('Acme', 'acme', { display: 'Acme ID', color: 'abcdef', text: '123456', docs: 'https://acme.example/docs', label: 'Sign in with Acme' }),
    );
    const configs = ((await whm('get_provider_display_configurations', { provider_id: 'acme' })).data as { configurations: unknown[] }).configurations;
    expect(configs[0]).toEqual({
      label: 'Sign in with Acme',
      link: '/openid_connect/acme',
      color: 'abcdef',
      textcolor: '123456',
      icon: fakeIcon('acme'),
      icon_type: 'image/svg+xml',
      display_name: 'Acme ID',
      provider_name: 'acme',
      documentation_url: 'https://acme.example/docs',
      service: 'cpaneld',
    });
    seed(
      ctx,
      `${CUSTOM_DIR}/Computed.pm`,
      "package Cpanel::Security::Authn::Provider::Computed;\nsub _DISPLAY_NAME { return 'Computed'; }\nsub _BUTTON_COLOR { return $ENV{COLOR}; }\n1;\n",
    );
    const r = await whm('set_provider_display_configurations', { service_name: 'cpaneld', provider_id: 'computed', configurations: '{"label":"x"}' });
    expect(r.metadata.error_code).toBe('E_PROVIDER_MODULE');
    expect(r.metadata.reason).toContain('“color”');
    expect(r.metadata.reason).not.toContain('“icon”'); // not defined: inherited (none)
  });

  it('the service links are the default link: `/openid_connect/` and `_PROVIDER_NAME` with only A–Z lower-cased', async () => {
    seedCpanelTree(ctx);
    seed(
      ctx,
      `${CUSTOM_DIR}/Widget.pm`,
      "package Cpanel::Security::Authn::Provider::Widget;\nsub _DISPLAY_NAME { return 'Widget'; }\nsub _PROVIDER_NAME { return 'ÄWidgetID'; }\n1;\n",
    );
    const providers = ((await whm('get_available_authentication_providers')).data as { providers: Array<Record<string, unknown>> }).providers;
    expect(providers.find((p) => p.id === 'widget')).toMatchObject({
      provider_name: 'Äwidgetid',
      cpaneld_link: '/openid_connect/Äwidgetid',
      webmaild_link: '/openid_connect/Äwidgetid',
      whostmgrd_link: '/openid_connect/Äwidgetid',
      color: 'cccccc',
      textcolor: '000000',
      documentation_url: 'http://openid.net/developers/specs/',
      label: 'Log in via Widget',
    });
    expect(providers.find((p) => p.id === 'widget')).not.toHaveProperty('link');
  });

  it('a module file larger than the bound is not read', async () => {
    seedCpanelTree(ctx);
    seed(ctx, `${SHIPPED_DIR}/Google.pm`, Buffer.alloc(4 * 1024 * 1024 + 1, 0x23));
    const r = await whm('get_provider_display_configurations', { provider_id: 'google' });
    expect(r.metadata.error_code).toBe('E_PROVIDER_MODULE');
  });

  // ------------------------------------------------------------ §8–§9 new functions
  it('get_provider_configuration_fields: the fields with their stored values, secret included', async () => {
    seedCpanelTree(ctx);
    expect((await whm('get_provider_configuration_fields', { service_name: 'cpaneld', provider_id: 'google' })).data).toEqual({
      configuration_fields: [
        { field_id: 'client_id', label: 'Client ID', description: 'The ID of the Client', value: 'made-up-id', display_order: 0 },
        { field_id: 'client_secret', label: 'Client Secret', description: 'The Secret of the Client', value: 'made-up-secret', display_order: 1 },
      ],
    });
    const whmcs = (await whm('get_provider_configuration_fields', { service_name: 'webmaild', provider_id: 'whmcs' })).data as {
      configuration_fields: Array<{ field_id: string; value: unknown }>;
    };
    expect(whmcs.configuration_fields.map((f) => [f.field_id, f.value])).toEqual([
      ['client_id', null],
      ['client_secret', null],
      ['well_known_config_uri', null],
    ]);
    expect((await whm('get_provider_configuration_fields', { service_name: 'ftpd', provider_id: 'google' })).metadata.reason).toBe(
      'Currently, only “cpaneld”, “webmaild”, and “whostmgrd” can use External Authentication.',
    );
  });

  it('UAPI add_authn_link / remove_authn_link in UAPI’s envelope', async () => {
    seedCpanelTree(ctx);
    const add = await callUapi(ls(), 'add_authn_link', {
      username: 'dironly@bob.example',
      provider_id: 'google',
      subject_unique_identifier: '88',
      preferred_username: 'd',
      service: 'webmaild',
    });
    expect(add).toEqual({
      apiversion: 3,
      func: 'add_authn_link',
      module: 'ExternalAuthentication',
      result: { data: null, errors: null, messages: null, metadata: {}, status: 1, warnings: null },
    });
    expect(peek(ctx, `${USERS}/dironly@bob.example.db`)).toContain('"88":{"link_time":1800000000,"preferred_username":"d"}');
    const bad = async (params: Record<string, string>) => (await callUapi(ls(), 'add_authn_link', params)).result.errors;
    const base = { username: 'bob', provider_id: 'google', subject_unique_identifier: '89', preferred_username: 'b' };
    expect(await bad({ ...base, service: 'whostmgrd' })).toEqual(['The service “whostmgrd” is not valid.']);
    expect(await bad({ ...base, provider_id: 'nosuch' })).toEqual(['The requested provider “nosuch” is not valid.']);
    expect(await bad({ ...base, preferred_username: '' })).toEqual([
      'Provide the “preferred_username” parameter for the “Cpanel::API::ExternalAuthentication::add_authn_link” function.',
    ]);
    expect(await bad({ ...base, username: 'ghost@bob.example' })).toEqual(['You do not have a user named “ghost@bob.example”.']);
    const rm = await callUapi(ls(), 'remove_authn_link', { username: 'dironly@bob.example', provider_id: 'google', subject_unique_identifier: '88' });
    expect(rm.result.status).toBe(1);
    expect(rm.result.data).toBeNull();
    expect(peek(ctx, `${USERS}/dironly@bob.example.db`)).not.toContain('"88"');
    expect((await callUapi(ls(), 'remove_authn_link', { username: 'bob', provider_id: 'google', subject_unique_identifier: '88' })).result.errors).toEqual([
      'The value of the parameter “subject_unique_identifier” is not valid for this user.',
    ]);
  });

  it('UAPI configured_modules and has_external_auth_modules_configured', async () => {
    seedCpanelTree(ctx);
    installShippedModules(ctx);
    // google is enabled and configured; cpanelid is enabled but not configured.
    const modules = (await callUapi(ls(), 'configured_modules', {})).result.data as Array<Record<string, unknown>>;
    expect(modules).toEqual([
      {
        label: 'Log in via Google',
        link: '/openid_connect/google',
        color: 'dd4b39',
        textcolor: 'FFFFFF',
        icon: fakeIcon('google'),
        icon_type: 'image/svg+xml',
        display_name: 'Google',
        documentation_url: 'https://developers.google.com/identity/protocols/OpenIDConnect',
        provider_id: 'google',
        provider_protocol: 'openid_connect',
      },
    ]);
    seed(ctx, `${CC}/paypal`, '{"client_id":"a","client_secret":"b"}', 0o600);
    seed(
      ctx,
      '/var/cpanel/authn/openid_connect/webmaild',
      '{"paypal":"Cpanel::Security::Authn::Provider::PayPal","google":"Cpanel::Security::Authn::Provider::Google"}',
    );
    const webmail = (await callUapi(ls(), 'configured_modules', { appname: 'webmaild' })).result.data as Array<{ provider_id: string }>;
    expect(webmail.map((m) => m.provider_id)).toEqual(['google', 'paypal']); // by display name, ignoring case
    expect((await callUapi(ls(), 'configured_modules', { appname: 'cpanel' })).result.errors).toEqual(['The “appname” argument must be set to “webmaild”.']);
    expect((await callUapi(ls(), 'has_external_auth_modules_configured', {})).result.data).toBe(1);
    seed(ctx, '/var/cpanel/authn/openid_connect/webmaild', '{}');
    expect((await callUapi(ls(), 'has_external_auth_modules_configured', { appname: 'webmaild' })).result.data).toBe(0);
    // The same functions through the WHM-shaped facade (and so the CLI).
    expect((await whm('has_external_auth_modules_configured', {})).data).toBe(1);
  });
});
