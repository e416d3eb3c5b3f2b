/**
 * Type tests of the public API (vitest typecheck): they pin the exported types, and each
 * `@ts-expect-error` is a mistake that must not compile (the run fails if it ever does).
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  callUapi,
  callWhm,
  openLinkstore,
  type FsPort,
  type UapiEnvelope,
  type UapiFunctionName,
  type AuthnStore,
  type CreateLinkParams,
  type IntegrationStore,
  type LinkTarget,
  type Linkstore,
  type MutationOptions,
  type MutationResult,
  type ProviderServiceTarget,
  type Users,
  type UsernameTarget,
  type WhmEnvelope,
  type WhmFunctionName,
} from '../../src/index.js';
import type { LinkstoreOptions } from '../../src/index.js';

declare const ls: Linkstore;
declare const integration: IntegrationStore;
declare const authn: AuthnStore;
declare const users: Users;

describe('typed API', () => {
  it('link parameters are exact: a misspelled key or a non-string value does not compile', () => {
    void integration.createLink({ user: 'bob', app: 'app', url: 'https://x', order: '5', hide: '1' });
    // @ts-expect-error misspelled key
    void integration.createLink({ user: 'bob', app: 'app', urll: 'typo' });
    // @ts-expect-error order is a string, as cPanel stores it
    void integration.createLink({ user: 'bob', app: 'app', url: 'https://x', order: 5 });
    // @ts-expect-error hide is "0" or "1"
    void integration.createLink({ user: 'bob', app: 'app', url: 'https://x', hide: true });
    // @ts-expect-error misspelled group key
    void integration.createGroup({ user: 'bob', group_id: 'g', lable: 'x' });
  });

  it('a service is one of the three services: a misspelled one does not compile', () => {
    void authn.enableProvider({ service: 'cpaneld', provider: 'google' });
    // @ts-expect-error 'cpanel' is not a service (cpaneld, webmaild, whostmgrd)
    void authn.enableProvider({ service: 'cpanel', provider: 'google' });
  });

  it('a batch item of the old shape ({ user, app, params }) does not compile, even from a variable', () => {
    const old = { user: 'bob', app: 'app', params: { url: 'https://x' } };
    // @ts-expect-error the link's data goes beside user and app, not under params
    void integration.createLinks([old]);
    const item = { user: 'bob', app: 'app', url: 'https://x' };
    void integration.createLinks([item]);
  });

  it('every store method takes one params object, then the options', () => {
    expectTypeOf(integration.createLink).parameters.toEqualTypeOf<[params: CreateLinkParams, options?: MutationOptions]>();
    expectTypeOf(integration.removeLink).parameters.toEqualTypeOf<[params: LinkTarget, options?: MutationOptions]>();
    expectTypeOf(integration.getLinkToken).toEqualTypeOf<(params: LinkTarget) => Promise<string | null>>();
    expectTypeOf(authn.enableProvider).parameters.toEqualTypeOf<[params: ProviderServiceTarget, options?: MutationOptions]>();
    expectTypeOf(authn.linkAccount).returns.toEqualTypeOf<Promise<MutationResult>>();
    expectTypeOf(users.verifyNewUsername).parameter(0).toEqualTypeOf<UsernameTarget>();
    expectTypeOf(users.validateSystemUser).parameter(0).toEqualTypeOf<UsernameTarget>();
  });

  it('the old positional shapes do not compile', () => {
    // @ts-expect-error positional (user, app, params)
    void integration.createLink('bob', 'app', { url: 'https://x' });
    // @ts-expect-error positional (user, app)
    void integration.removeLink('bob', 'app');
    // @ts-expect-error positional (service, provider)
    void authn.enableProvider('cpaneld', 'google');
    // @ts-expect-error positional (service, provider, configurations)
    void authn.setClientConfig('cpaneld', 'google', { client_id: 'x' });
    // @ts-expect-error a bare name
    void users.validateSystemUser('bob');
    // @ts-expect-error a bare name
    void authn.listLinks('bob');
  });

  it('a misspelled key in any store’s params does not compile', () => {
    void authn.linkAccount({ user: 'bob', provider: 'google', subject: 's', userInfo: { preferred_username: 'b' } });
    // @ts-expect-error misspelled key in an authn link
    void authn.linkAccount({ user: 'bob', provider: 'google', subjet: 's' });
    // @ts-expect-error WHM's key is not the typed API's (provider, not provider_id)
    void authn.unlinkAccount({ user: 'bob', provider_id: 'google', subject: 's' });
    // @ts-expect-error misspelled target key
    void integration.removeGroup({ user: 'bob', groupid: 'g' });
    // @ts-expect-error misspelled key in a provider target
    void authn.getClientConfig({ service: 'cpaneld', providr: 'google' });
    // @ts-expect-error misspelled key in a username target
    void users.verifyNewUsername({ usr: 'bob' });
  });

  it('the old names and the internal helpers are not public', () => {
    expectTypeOf<IntegrationStore>().not.toHaveProperty('readToken');
    expectTypeOf<IntegrationStore>().not.toHaveProperty('updateLinkToken');
    expectTypeOf<IntegrationStore>().not.toHaveProperty('expectedDynamicUi');
    expectTypeOf<IntegrationStore>().not.toHaveProperty('loadArchiveDir');
    expectTypeOf<AuthnStore>().not.toHaveProperty('linkUserAuthnProvider');
    expectTypeOf<AuthnStore>().not.toHaveProperty('getDisplayConfigs');
    expectTypeOf<AuthnStore>().not.toHaveProperty('storedLinksOf');
    expectTypeOf<AuthnStore>().not.toHaveProperty('enabledIn');
    expectTypeOf<AuthnStore>().not.toHaveProperty('linkUsersOf');
    expectTypeOf<Users>().not.toHaveProperty('passwdEntry');
    expectTypeOf<Users>().not.toHaveProperty('usernameProblem');
  });

  it('openLinkstore takes the fs port, not anything', () => {
    expectTypeOf<LinkstoreOptions['fs']>().toEqualTypeOf<FsPort | undefined>();
    expectTypeOf(openLinkstore).returns.toEqualTypeOf<Linkstore>();
    // @ts-expect-error a number is not a filesystem
    openLinkstore({ fs: 42 });
    // @ts-expect-error an empty object is not a filesystem
    openLinkstore({ fs: {} });
  });
});

describe('callWhm', () => {
  it('takes only known function names', () => {
    expectTypeOf<'list_integration_links'>().toMatchTypeOf<WhmFunctionName>();
    // @ts-expect-error misspelled function name
    void callWhm(ls, 'list_integraton_links', { user: 'bob' });
  });

  it('types each function’s parameters: required ones required, unknown ones refused', () => {
    void callWhm(ls, 'create_integration_link', { user: 'bob', app: 'a', url: 'https://x' });
    void callWhm(ls, 'get_users_authn_linked_accounts');
    // @ts-expect-error misspelled parameter
    void callWhm(ls, 'create_integration_link', { user: 'bob', app: 'a', url: 'https://x', lable: 'x' });
    // @ts-expect-error user is required
    void callWhm(ls, 'list_integration_links', {});
    // @ts-expect-error parameters are strings, as WHM receives them
    void callWhm(ls, 'create_integration_group', { user: 'bob', group_id: 'g', order: 1 });
  });

  it('types each function’s data', () => {
    expectTypeOf(callWhm(ls, 'list_integration_links', { user: 'bob' })).resolves.toEqualTypeOf<WhmEnvelope<{ links: { app: string }[] }>>();
    expectTypeOf(callWhm(ls, 'list_integration_groups', { user: 'bob' })).resolves.toEqualTypeOf<WhmEnvelope<{ links: { group: string }[] }>>();
  });
});

describe('callUapi', () => {
  it('takes only the UAPI functions of the table, with their parameters', () => {
    expectTypeOf<'add_authn_link'>().toMatchTypeOf<UapiFunctionName>();
    void callUapi(ls, 'get_authn_links', { username: 'bob' });
    void callUapi(ls, 'configured_modules');
    // @ts-expect-error a WHM API 1 function is not a UAPI function
    void callUapi(ls, 'list_integration_links', { user: 'bob' });
    // @ts-expect-error misspelled parameter
    void callUapi(ls, 'get_authn_links', { usrname: 'bob' });
    expectTypeOf(callUapi(ls, 'get_authn_links', { username: 'bob' })).resolves.toMatchTypeOf<UapiEnvelope>();
  });
});
