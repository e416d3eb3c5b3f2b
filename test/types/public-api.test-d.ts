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
  type IntegrationStore,
  type Linkstore,
  type WhmEnvelope,
  type WhmFunctionName,
} from '../../src/index.js';
import type { LinkstoreOptions } from '../../src/index.js';

declare const ls: Linkstore;
declare const integration: IntegrationStore;

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
