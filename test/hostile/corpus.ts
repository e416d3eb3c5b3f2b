/**
 * The hostile-input corpus: bad parameters for every function that takes a name or a value, as
 * WHM flat parameters (`whm`) and as the equivalent typed call (`api`), plus typed-only cases with
 * wrong JSON types. Every case must fail with a typed error and write nothing.
 */
import type { Linkstore } from '../../src/services.js';
import type { Service } from '../../src/authn/constants.js';
import { TINY_PNG } from './server.js';

export interface CorpusCase {
  id: string;
  /** WHM function and flat parameters; absent for typed-only cases. */
  whm?: { fn: string; params: Record<string, string> };
  api: (ls: Linkstore) => Promise<unknown>;
}

/** Values that are never a usable path component. */
export const PATHLIKE = [
  '..',
  '.',
  '../../../../etc/passwd',
  '../bob',
  'bob/../alice',
  'a/b',
  '/etc/passwd',
  'bob/',
  './bob',
  '',
  'a\0b',
  '\0',
  'bob\0',
  'x'.repeat(256),
  'é'.repeat(128),
  'x'.repeat(100_000),
];

/** Values that are valid node names but not valid ids, users or providers. */
export const ODD = [
  'a\nb',
  'a\rb',
  'a\tb',
  'a\x01b',
  'a\x1bb',
  'a\x7fb',
  'a\u2028b',
  '\uD800',
  'a\uDC00b',
  '\uDBFF\uDBFF',
  '\uFEFFbob',
  'bo\u0301b',
  'a b',
  'a\\b',
  '%2e%2e',
  '~root',
  '*',
  '-r f',
];

/** Strings WHM params cannot hold in a real HTTP/CLI request but the facade must still refuse. */
const ALL_BAD = [...PATHLIKE, ...ODD];

/** Subject/username values that are refused (line terminators, NUL, surrogates are refused when written). */
const BAD_SUBJECTS = ['a\nb', 'a\rb', 'a\vb', 'a\fb', 'a\u0085b', 'a\u2028b', 'a\u2029b', 'a\0b', '', '0'];

type Typed = (ls: Linkstore, p: Record<string, string>) => Promise<unknown>;

/** How each WHM function maps to the typed API, with a valid base parameter set. */
const FUNCS: Record<string, { base: Record<string, string>; typed: Typed }> = {
  create_integration_link: {
    base: { user: 'bob', app: 'newapp', url: 'https://example.com/' },
    typed: async (ls, { user, app, ...rest }) => (await ls.integration()).createLink({ user: user!, app: app!, ...rest }),
  },
  remove_integration_link: {
    base: { user: 'bob', app: 'existing' },
    typed: async (ls, p) => (await ls.integration()).removeLink({ user: p.user!, app: p.app! }),
  },
  list_integration_links: {
    base: { user: 'bob' },
    typed: async (ls, p) => (await ls.integration()).listLinks({ user: p.user! }),
  },
  get_integration_link_user_config: {
    base: { user: 'bob', app: 'existing' },
    typed: async (ls, p) => (await ls.integration()).getLinkUserConfig({ user: p.user!, app: p.app! }),
  },
  update_integration_link_token: {
    base: { user: 'bob', app: 'existing', token: 'new-token' },
    typed: async (ls, p) => (await ls.integration()).setLinkToken({ user: p.user!, app: p.app!, token: p.token! }),
  },
  create_integration_group: {
    base: { user: 'bob', group_id: 'newgroup', label: 'New' },
    typed: async (ls, { user, group_id, ...rest }) => (await ls.integration()).createGroup({ user: user!, group_id: group_id!, ...rest }),
  },
  remove_integration_group: {
    base: { user: 'bob', group_id: 'grp' },
    typed: async (ls, p) => (await ls.integration()).removeGroup({ user: p.user!, group_id: p.group_id! }),
  },
  list_integration_groups: {
    base: { user: 'bob' },
    typed: async (ls, p) => (await ls.integration()).listGroups({ user: p.user! }),
  },
  link_user_authn_provider: {
    base: { username: 'bob', provider_id: 'google', subject_unique_identifier: 'sub-new', preferred_username: 'bobby' },
    typed: async (ls, p) =>
      (await ls.authn()).linkAccount({
        user: p.username!,
        provider: p.provider_id!,
        subject: p.subject_unique_identifier!,
        userInfo: { preferred_username: p.preferred_username! },
      }),
  },
  unlink_user_authn_provider: {
    base: { username: 'bob', provider_id: 'google', subject_unique_identifier: 'sub-existing' },
    typed: async (ls, p) => (await ls.authn()).unlinkAccount({ user: p.username!, provider: p.provider_id!, subject: p.subject_unique_identifier! }),
  },
  get_authn_links: {
    base: { username: 'bob' },
    typed: async (ls, p) => (await ls.authn()).listLinks({ user: p.username! }),
  },
  enable_authentication_provider: {
    base: { service_name: 'webmaild', provider_id: 'google' },
    typed: async (ls, p) => (await ls.authn()).enableProvider({ service: p.service_name! as Service, provider: p.provider_id! }),
  },
  disable_authentication_provider: {
    base: { service_name: 'cpaneld', provider_id: 'google' },
    typed: async (ls, p) => (await ls.authn()).disableProvider({ service: p.service_name! as Service, provider: p.provider_id! }),
  },
  set_provider_client_configurations: {
    base: { service_name: 'cpaneld', provider_id: 'google', configurations: '{"client_id":"cid","client_secret":"csecret"}' },
    typed: async (ls, p) =>
      (await ls.authn()).setClientConfig({ service: p.service_name! as Service, provider: p.provider_id!, configurations: p.configurations! }),
  },
  set_provider_display_configurations: {
    base: { service_name: 'cpaneld', provider_id: 'google', configurations: '{"color":"336699"}' },
    typed: async (ls, p) =>
      (await ls.authn()).setDisplayConfig({ service: p.service_name! as Service, provider: p.provider_id!, configurations: p.configurations! }),
  },
};

function whmCase(id: string, fn: string, override: Record<string, string | undefined>): CorpusCase {
  const f = FUNCS[fn]!;
  const params: Record<string, string> = { ...f.base };
  for (const [k, v] of Object.entries(override)) {
    if (v === undefined) delete params[k];
    else params[k] = v;
  }
  return { id, whm: { fn, params }, api: (ls) => f.typed(ls, params) };
}

const show = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 20)}…(${v.length})` : v);

/** A huge string of `n` Base64 characters that is not a PNG. */
const hugeB64 = (n: number) =>
  Buffer.alloc(Math.ceil((n * 3) / 4), 0x41)
    .toString('base64')
    .slice(0, n - (n % 4));

export function buildCorpus(): CorpusCase[] {
  const out: CorpusCase[] = [];
  const each = (fn: string, param: string, values: readonly string[]) => {
    for (const v of values) out.push(whmCase(`${fn} ${param}=${show(v)}`, fn, { [param]: v }));
  };
  // -- names that become path components: every bad value must fail.
  for (const fn of [
    'create_integration_link',
    'remove_integration_link',
    'list_integration_links',
    'get_integration_link_user_config',
    'update_integration_link_token',
    'create_integration_group',
    'remove_integration_group',
    'list_integration_groups',
  ]) {
    each(fn, 'user', ALL_BAD);
  }
  each('create_integration_link', 'app', ALL_BAD);
  each('create_integration_group', 'group_id', ALL_BAD);
  each('get_integration_link_user_config', 'app', ALL_BAD);
  each('update_integration_link_token', 'app', ALL_BAD);
  // Remove is idempotent (cPanel): only names that are not node names fail there.
  each('remove_integration_link', 'app', PATHLIKE);
  each('remove_integration_group', 'group_id', PATHLIKE);
  each('create_integration_link', 'group_id', ['../x', 'a/b', 'a\nb', 'é', '\uD800']);
  each('create_integration_link', 'implements', ['../x', 'a/b', 'a b', 'é']);
  each('create_integration_link', 'app', ['group_x', 'group_']);
  each('create_integration_group', 'group_id', ['group_x']);
  for (const fn of ['link_user_authn_provider', 'unlink_user_authn_provider']) each(fn, 'username', ALL_BAD);
  // A read of a name that is a node name but no link user is an empty list (cPanel); only
  // non-node names fail. Disabling a provider that is not enabled is a no-op, as in cPanel.
  each('get_authn_links', 'username', PATHLIKE);
  for (const fn of [
    'link_user_authn_provider',
    'unlink_user_authn_provider',
    'enable_authentication_provider',
    'set_provider_client_configurations',
    'set_provider_display_configurations',
  ]) {
    each(fn, 'provider_id', ALL_BAD);
  }
  for (const fn of ['enable_authentication_provider', 'set_provider_client_configurations', 'set_provider_display_configurations']) {
    each(fn, 'service_name', ['../cpaneld', 'cpaneld/', 'cpaneld\0', 'CPANELD', '', 'x'.repeat(300), '\uD800']);
  }
  each('link_user_authn_provider', 'subject_unique_identifier', BAD_SUBJECTS);
  each('unlink_user_authn_provider', 'subject_unique_identifier', [...BAD_SUBJECTS, 'not-linked', '../sub-existing']);
  each('link_user_authn_provider', 'preferred_username', ['../x', 'a/b', '..', 'a\0b', 'a\nb', 'x'.repeat(256), 'x'.repeat(2000)]);
  // -- values: over-long, control bytes, lone surrogates, wrong forms.
  each('create_integration_link', 'label', ["it's", '\uD800', 'ok\uDFFF']);
  each('create_integration_link', 'url', ['\uD800']);
  each('create_integration_link', 'token', ['\uDC00', 'x\uD800y']);
  each('create_integration_link', 'order', ['abc', '1.5', '1e3', ' 1', '1\n', '--1']);
  each('create_integration_link', 'hide', ['2', 'yes', 'true', '', ' 1']);
  each('create_integration_group', 'order', ['abc', '1.5', '+1']);
  each('create_integration_group', 'label', ["a'b", '\uD800']);
  // -- every value: NUL refused, and a documented size cap (README “Size limits”).
  each('create_integration_link', 'label', ['a\0b', 'x'.repeat(4097), 'é'.repeat(2049)]);
  each('create_integration_link', 'url', ['https://example.com/\0', 'https://example.com/' + 'a'.repeat(8200)]);
  each('create_integration_link', 'autologin_token_url', ['https://example.com/\0', 'https://example.com/' + 'a'.repeat(8200), '\uD800']);
  each('create_integration_link', 'token', ['a\0b', 'x'.repeat(4097)]);
  each('create_integration_link', 'subscriber_unique_id', ['a\0b', 'x'.repeat(1025), '\uDBFF']);
  each('create_integration_link', 'implements', ['x'.repeat(256)]);
  each('create_integration_group', 'label', ['a\0b', 'x'.repeat(4097)]);
  each('update_integration_link_token', 'token', ['a\0b', 'x'.repeat(4097)]);
  each('link_user_authn_provider', 'subject_unique_identifier', ['\uD800', 'a\uDC00', 'x'.repeat(4097)]);
  each('link_user_authn_provider', 'provider_id', ['x'.repeat(5000)]);
  each('unlink_user_authn_provider', 'subject_unique_identifier', ['\uD800']);
  out.push(
    whmCase('create_integration_link huge valid PNG over the 1 MiB cap', 'create_integration_link', { base64_png_image: TINY_PNG + 'A'.repeat(1 << 20) }),
  );
  out.push(whmCase('create_integration_link without url', 'create_integration_link', { url: undefined }));
  out.push(whmCase('create_integration_link url=""', 'create_integration_link', { url: '' }));
  out.push(whmCase('update_integration_link_token token=""', 'update_integration_link_token', { token: '' }));
  out.push(whmCase('update_integration_link_token token=lone surrogate', 'update_integration_link_token', { token: '\uD800' }));
  out.push(whmCase('update_integration_link_token missing app', 'update_integration_link_token', { app: 'nosuchapp' }));
  // -- images: invalid Base64, not a PNG, huge.
  for (const img of [
    '!!!!',
    'iVBOR w0K===',
    '=AAA',
    'AAAA====',
    'AA=A',
    'QUJD',
    Buffer.from('GIF89a....').toString('base64'),
    TINY_PNG.slice(0, 8),
    '\uD800',
    'ÿÿÿÿ',
  ]) {
    out.push(whmCase(`create_integration_link base64_png_image=${show(img)}`, 'create_integration_link', { base64_png_image: img }));
  }
  out.push(whmCase('create_integration_link huge non-PNG image (8 MB)', 'create_integration_link', { base64_png_image: hugeB64(8 << 20) }));
  out.push(whmCase('create_integration_link huge image with a bad byte at the end', 'create_integration_link', { base64_png_image: hugeB64(4 << 20) + '*' }));
  out.push(
    whmCase('create_integration_link huge PNG but invalid order', 'create_integration_link', { base64_png_image: TINY_PNG + 'A'.repeat(4 << 20), order: 'x' }),
  );
  // -- provider configurations: not JSON, not objects, over-long or unencodable values.
  for (const cfg of [
    '',
    'not json',
    '[1,2]',
    '"str"',
    '42',
    'null',
    '{"client_id":',
    '{"client_id":"' + 'x'.repeat(2000) + '"}',
    '{"client_secret":"\\ud800"}',
    '{"client_id":{"a":1}}',
  ]) {
    out.push(whmCase(`set_provider_client_configurations configurations=${show(cfg)}`, 'set_provider_client_configurations', { configurations: cfg }));
  }
  for (const cfg of ['', 'not json', '[]', '{"color":"' + 'x'.repeat(5000) + '"}', '{"color":"\\ud800"}']) {
    out.push(whmCase(`set_provider_display_configurations configurations=${show(cfg)}`, 'set_provider_display_configurations', { configurations: cfg }));
  }
  // -- typed-only: wrong JSON types where strings go.
  const wrong: [string, unknown][] = [
    ['number', 42],
    ['object', { a: 1 }],
    ['array', ['bob']],
    ['boolean', true],
    ['null', null],
    ['function', () => 'bob'],
    ['symbol', Symbol('x')],
    ['bigint', 10n],
  ];
  for (const [t, v] of wrong) {
    const s = v as string;
    out.push({ id: `typed createLink user=${t}`, api: async (ls) => (await ls.integration()).createLink({ user: s, app: 'app', url: 'https://x/' }) });
    out.push({ id: `typed createLink app=${t}`, api: async (ls) => (await ls.integration()).createLink({ user: 'bob', app: s, url: 'https://x/' }) });
    out.push({ id: `typed createLink url=${t}`, api: async (ls) => (await ls.integration()).createLink({ user: 'bob', app: 'app', url: s }) });
    // A null token means "no token" (restore replays cPanel files that way).
    if (t !== 'null')
      out.push({
        id: `typed createLink token=${t}`,
        api: async (ls) => (await ls.integration()).createLink({ user: 'bob', app: 'app', url: 'https://x/', token: s }),
      });
    out.push({ id: `typed updateLinkToken token=${t}`, api: async (ls) => (await ls.integration()).setLinkToken({ user: 'bob', app: 'existing', token: s }) });
    out.push({ id: `typed createGroup group=${t}`, api: async (ls) => (await ls.integration()).createGroup({ user: 'bob', group_id: s, label: 'x' }) });
    out.push({ id: `typed link user=${t}`, api: async (ls) => (await ls.authn()).linkAccount({ user: s, provider: 'google', subject: 's' }) });
    out.push({ id: `typed link provider=${t}`, api: async (ls) => (await ls.authn()).linkAccount({ user: 'bob', provider: s, subject: 's' }) });
    if (t !== 'number')
      out.push({ id: `typed link subject=${t}`, api: async (ls) => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: s }) });
    out.push({
      id: `typed unlink user=${t}`,
      api: async (ls) => (await ls.authn()).unlinkAccount({ user: s, provider: 'google', subject: 'sub-existing' }),
    });
  }
  for (const [t, v] of [
    ['array', []],
    ['string', 'x'],
    ['number', 1],
    ['nested object', { a: { b: 1 } }],
    ['huge value', { a: 'x'.repeat(2000) }],
    ['bad key', { '../k': 'v' }],
  ] as [string, unknown][]) {
    out.push({
      id: `typed link userInfo=${t}`,
      api: async (ls) => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 's', userInfo: v as Record<string, string> }),
    });
  }
  out.push({
    id: 'typed link protocol=saml',
    api: async (ls) => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 's', protocol: 'saml' }),
  });
  out.push({
    id: 'typed link link_time=-5',
    api: async (ls) => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 's', userInfo: { link_time: -5 } }),
  });
  out.push({
    id: 'typed link link_time=abc',
    api: async (ls) => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 's', userInfo: { link_time: 'abc' } }),
  });
  out.push({
    id: 'typed setClientConfig object with number',
    api: async (ls) => (await ls.authn()).setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 5 } }),
  });
  out.push({
    id: 'typed setClientConfig service=object',
    api: async (ls) => (await ls.authn()).setClientConfig({ service: {} as Service, provider: 'google', configurations: { client_id: 'x' } }),
  });
  return out;
}
