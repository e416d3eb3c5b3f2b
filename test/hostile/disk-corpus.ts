/**
 * Hostile files on disk: malformed and truncated JSON, wrong-typed values cPanel (or a damaged
 * backup) could have left, 0-byte files. Each case seeds one bad file over the sample server and
 * names the calls that must now fail with a typed error without writing anything.
 */
import type { Linkstore } from '../../src/services.js';

export interface DiskCase {
  id: string;
  /** cPanel path → content seeded before the snapshot. */
  files: Record<string, string | Uint8Array>;
  mode?: number;
  /** `maySucceed`: a reporting call (it skips what it cannot read); it must still not throw untyped or write. */
  calls: { name: string; run: (ls: Linkstore) => Promise<unknown>; maySucceed?: boolean }[];
}

const L = '/var/cpanel/integration/links/bob';
const USER_DB = '/var/cpanel/authn/links/users/bob/bob.db';
const LINK_DB = '/var/cpanel/authn/links/openid_connect/login/google.db';
const SERVICE = '/var/cpanel/authn/openid_connect/cpaneld';
const CLIENT = '/var/cpanel/authn/client_config/openid_connect/google';

/** Broken JSON texts (both styles) and wrong top-level shapes. */
const BROKEN_JSON: [string, string | Uint8Array][] = [
  ['0-byte', ''],
  ['truncated object', '{"a" : "b"'],
  ['truncated string', '{"url" : "https://exa'],
  ['trailing garbage', '{}x'],
  ['two documents', '{}{}'],
  ['NUL byte', '{"a":"\0"}'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ['UTF-8 BOM', '\uFEFF{}'],
  ['lone surrogate escape', '{"a":"\\ud800"}'],
  ['only whitespace', '   \n'],
  ['bare string', '"text"'],
  ['array', '[]'],
  ['number', '42'],
  ['null', 'null'],
  ['deep nesting', '['.repeat(20_000) + ']'.repeat(20_000)],
];

const integration = (ls: Linkstore) => ls.integration();
const authn = (ls: Linkstore) => ls.authn();

export function buildDiskCorpus(): DiskCase[] {
  const out: DiskCase[] = [];
  const userconfigCalls: DiskCase['calls'] = [
    { name: 'getLinkUserConfig', run: async (ls) => (await integration(ls)).getLinkUserConfig({ user: 'bob', app: 'bad' }) },
    { name: 'rebuildDynamicUi', run: async (ls) => (await integration(ls)).rebuildDynamicUi({ user: 'bob' }), maySucceed: true },
    { name: 'checkDynamicUi', run: async (ls) => (await integration(ls)).checkDynamicUi({ user: 'bob' }), maySucceed: true },
  ];
  for (const [what, text] of BROKEN_JSON) {
    // cPanel's authn readers take a missing, 0-byte or `null` file as empty, and a service file
    // that is not an object as "nothing enabled"; the library reads them the same way.
    const emptyForAuthn = what === '0-byte' || what === 'null';
    const notObject = emptyForAuthn || ['only whitespace', 'bare string', 'array', 'number', 'deep nesting'].includes(what);
    out.push({ id: `userconfig ${what}`, files: { [`${L}/bad.userconfig`]: text }, calls: userconfigCalls });
    out.push({
      id: `adminconfig ${what}`,
      files: { [`${L}/bad.userconfig`]: '{\n   "url" : "https://x/"\n}\n', [`${L}/bad.adminconfig`]: text },
      mode: 0o600,
      calls: [
        { name: 'getLinkAdminConfig', run: async (ls) => (await integration(ls)).getLinkAdminConfig({ user: 'bob', app: 'bad' }) },
        { name: 'getLinkToken', run: async (ls) => (await integration(ls)).getLinkToken({ user: 'bob', app: 'bad' }) },
      ],
    });
    if (!emptyForAuthn)
      out.push({
        id: `per-user DB ${what}`,
        files: { [USER_DB]: text },
        mode: 0o640,
        calls: [
          { name: 'listAuthnLinks', run: async (ls) => (await authn(ls)).listLinks({ user: 'bob' }) },
          { name: 'link', run: async (ls) => (await authn(ls)).linkAccount({ user: 'bob', provider: 'google', subject: 'new' }) },
          { name: 'unlink', run: async (ls) => (await authn(ls)).unlinkAccount({ user: 'bob', provider: 'google', subject: 'sub-existing' }) },
        ],
      });
    if (!emptyForAuthn)
      out.push({
        id: `LinkDB ${what}`,
        files: { [LINK_DB]: text },
        mode: 0o600,
        calls: [
          { name: 'linkedAccounts', run: async (ls) => (await authn(ls)).listLinkedAccounts() },
          { name: 'link', run: async (ls) => (await authn(ls)).linkAccount({ user: 'alice', provider: 'google', subject: 'new' }) },
          { name: 'checkDrift', run: async (ls) => (await authn(ls)).checkDrift({ provider: 'google' }) },
        ],
      });
    if (!notObject) {
      out.push({
        id: `service file ${what}`,
        files: { [SERVICE]: text },
        calls: [
          { name: 'link', run: async (ls) => (await authn(ls)).linkAccount({ user: 'bob', provider: 'cpanelid', subject: 'new' }) },
          { name: 'enable', run: async (ls) => (await authn(ls)).enableProvider({ service: 'cpaneld', provider: 'facebook' }) },
        ],
      });
    }
    if (!emptyForAuthn)
      out.push({
        id: `client config ${what}`,
        files: { [CLIENT]: text },
        mode: 0o600,
        calls: [{ name: 'getClientConfig', run: async (ls) => (await authn(ls)).getClientConfig({ service: 'cpaneld', provider: 'google' }) }],
      });
  }
  // Wrong-typed values cPanel's writers (or a hand edit) could leave.
  const userconfigWrong: [string, string][] = [
    ['url is a number', '{"url":5}'],
    ['url is an object', '{"url":{"a":1}}'],
    ['hide is a boolean', '{"url":"https://x/","hide":true}'],
    ['label is an array', '{"url":"https://x/","label":["a"]}'],
    ['order is null', '{"url":"https://x/","order":null,"label":{}}'],
  ];
  for (const [what, text] of userconfigWrong) out.push({ id: `userconfig ${what}`, files: { [`${L}/bad.userconfig`]: text }, calls: userconfigCalls });
  const adminWrong: [string, string][] = [
    ['token is a number', '{"token":5}'],
    ['token is an object', '{"token":{"a":"b"}}'],
    ['token is an array', '{"token":["a"]}'],
  ];
  for (const [what, text] of adminWrong) {
    out.push({
      id: `adminconfig ${what}`,
      files: { [`${L}/bad.userconfig`]: '{"url":"https://x/"}', [`${L}/bad.adminconfig`]: text },
      mode: 0o600,
      calls: [{ name: 'getLinkToken', run: async (ls) => (await integration(ls)).getLinkToken({ user: 'bob', app: 'bad' }) }],
    });
  }
  const userDbWrong: [string, string][] = [
    ['openid_connect is an array', '{"__VERSION":"1.0","openid_connect":[]}'],
    ['provider map is a string', '{"__VERSION":"1.0","openid_connect":{"google":"x"}}'],
    ['subject entry is a number', '{"__VERSION":"1.0","openid_connect":{"google":{"s":5}}}'],
    ['link_time is an object', '{"__VERSION":"1.0","openid_connect":{"google":{"s":{"link_time":{}}}}}'],
  ];
  for (const [what, text] of userDbWrong) {
    out.push({
      id: `per-user DB ${what}`,
      files: { [USER_DB]: text },
      mode: 0o640,
      calls: [
        { name: 'listAuthnLinks', run: async (ls) => (await authn(ls)).listLinks({ user: 'bob' }) },
        { name: 'link', run: async (ls) => (await authn(ls)).linkAccount({ user: 'bob', provider: 'google', subject: 'new' }) },
      ],
    });
  }
  const linkDbWrong: [string, string][] = [
    ['user is an array', '{"user":[],"subject_unique_identifier":{}}'],
    ['subject map is a string', '{"user":{},"subject_unique_identifier":"x"}'],
    ['user entry is a number', '{"user":{"bob":5},"subject_unique_identifier":{}}'],
    ['subject entry is an array', '{"user":{"bob":{"s":1}},"subject_unique_identifier":{"s":[]}}'],
    ['subject entry user info is a string', '{"user":{"bob":{"s":1}},"subject_unique_identifier":{"s":{"bob":"x"}}}'],
  ];
  for (const [what, text] of linkDbWrong) {
    out.push({
      id: `LinkDB ${what}`,
      files: { [LINK_DB]: text },
      mode: 0o600,
      calls: [
        { name: 'linkedAccounts', run: async (ls) => (await authn(ls)).listLinkedAccounts() },
        { name: 'link', run: async (ls) => (await authn(ls)).linkAccount({ user: 'alice', provider: 'google', subject: 'new' }) },
      ],
    });
  }
  return out;
}
