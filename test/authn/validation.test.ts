import { expect, it } from 'vitest';
import { AUTHN_MESSAGES as MSG, isStrictWebmailUser, type LinkParams } from '../../src/authn/index.js';
import { describeOnDisks, snapshotTree } from '../helpers/disks.js';
import { makeStore, rejectsWith, seedServer } from './setup.js';

const ok: LinkParams = { user: 'bob', provider: 'google', subject: '1098', userInfo: { preferred_username: 'bob@gmail.com' } };
const long = (n: number) => 'x'.repeat(n);
const LT = 'The “%s” value may not contain line terminators (LF, VT, FF, CR, NEL, U+2028, U+2029) or NUL bytes.';
const lt = (p: string) => LT.replace('%s', p);

/** [name, params, code, message] — each row breaks exactly one rule. */
const linkCases: Array<[string, Partial<LinkParams> & Record<string, unknown>, string, string]> = [
  ['protocol', { protocol: 'saml' }, 'E_INVALID_PARAM', MSG.badProtocol('saml')],
  [
    'empty provider',
    { provider: '' },
    'E_MISSING_PARAM',
    'Provide the “provider” parameter for the “Cpanel::Validate::AuthProvider::check_provider_name_or_die” function.',
  ],
  ['provider with /', { provider: 'goo/gle' }, 'E_INVALID_NAME', MSG.badProviderName('goo/gle')],
  ['provider ..', { provider: '..' }, 'E_INVALID_NAME', MSG.badProviderName('..')],
  ['provider > 255 bytes', { provider: long(256) }, 'E_INVALID_NAME', MSG.badProviderName(long(256))],
  ['provider with NUL', { provider: 'a\0b' }, 'E_INVALID_NAME', MSG.badProviderName('a\0b')],
  ['provider with LF', { provider: 'goo\ngle' }, 'E_INVALID_PARAM', 'This value may not contain a line feed.'],
  ['provider with U+2028', { provider: 'goo\u2028gle' }, 'E_INVALID_PARAM', lt('provider')],
  ['provider not enabled', { provider: 'facebook' }, 'E_PROVIDER', MSG.providerNotEnabled('facebook')],
  ['provider not installed', { provider: 'nosuch' }, 'E_PROVIDER', MSG.providerNotEnabled('nosuch')],
  [
    'empty subject',
    { subject: '' },
    'E_MISSING_PARAM',
    'Provide the “subject_unique_identifier” parameter for the “Cpanel::Validate::OpenIdConnect::check_subject_unique_identifier_or_die” function.',
  ],
  [
    'subject "0"',
    { subject: '0' },
    'E_MISSING_PARAM',
    'Provide the “subject_unique_identifier” parameter for the “Cpanel::Validate::OpenIdConnect::check_subject_unique_identifier_or_die” function.',
  ],
  ['subject object', { subject: { a: 1 } as never }, 'E_INVALID_PARAM', MSG.notAString('subject_unique_identifier')],
  ['subject array', { subject: ['a'] as never }, 'E_INVALID_PARAM', MSG.notAString('subject_unique_identifier')],
  ['subject with CR', { subject: 'a\rb' }, 'E_INVALID_PARAM', lt('subject_unique_identifier')],
  ['subject with LF (cPanel’s text)', { subject: 'a\nb' }, 'E_INVALID_PARAM', 'This value may not contain a line feed.'],
  ['preferred_username with LF (cPanel’s text)', { userInfo: { preferred_username: 'a\nb' } }, 'E_INVALID_PARAM', 'This value may not contain a line feed.'],
  ['subject with NEL', { subject: 'a\u0085b' }, 'E_INVALID_PARAM', lt('subject_unique_identifier')],
  ['user_info not an object', { userInfo: 'x' as never }, 'E_INVALID_PARAM', MSG.userInfoNotObject()],
  ['user_info array', { userInfo: [] as never }, 'E_INVALID_PARAM', MSG.userInfoNotObject()],
  ['user_info key > 1024', { userInfo: { [long(1025)]: 'v' } }, 'E_INVALID_PARAM', MSG.userInfoTooLarge(long(1025))],
  ['user_info key with /', { userInfo: { 'a/b': 'v' } }, 'E_INVALID_NAME', MSG.userInfoKeyInvalid('a/b', 'This value may not contain the character “/”.')],
  ['user_info key with VT', { userInfo: { 'a\vb': 'v' } }, 'E_INVALID_PARAM', lt('user_info')],
  ['user_info value > 1024', { userInfo: { note: long(1025) } }, 'E_INVALID_PARAM', MSG.userInfoTooLarge(long(1025))],
  ['user_info value with FF', { userInfo: { note: 'a\fb' } }, 'E_INVALID_PARAM', lt('user_info')],
  ['user_info nested value', { userInfo: { note: { a: 1 } as never } }, 'E_INVALID_PARAM', MSG.userInfoValueType('note')],
  [
    'empty user',
    { user: '' },
    'E_MISSING_PARAM',
    'Provide the “user” parameter for the “Cpanel::Security::Authn::User::Modify::add_authn_link_for_user” function.',
  ],
  ['unknown system user', { user: 'carol' }, 'E_NO_SUCH_USER', MSG.userNotFound('carol')],
  ['no such user', { user: 'nobodyhere' }, 'E_NO_SUCH_USER', MSG.userNotFound('nobodyhere')],
  ['user with /', { user: '../etc' }, 'E_NO_SUCH_USER', MSG.userNotFound('../etc')],
  ['email of an unknown domain', { user: 'info@nowhere.example' }, 'E_NO_SUCH_USER', MSG.userNotFound('info@nowhere.example')],
  ['missing mail account', { user: 'nope@bob.example' }, 'E_NO_SUCH_USER', MSG.userNotFound('nope@bob.example')],
  ['case is not folded (no mail directory “Info”)', { user: 'Info@bob.example' }, 'E_NO_SUCH_USER', MSG.userNotFound('Info@bob.example')],
  ['preferred_username with /', { userInfo: { preferred_username: 'a/b' } }, 'E_INVALID_NAME', 'This value may not contain the character “/”.'],
  [
    'preferred_username > 255 bytes',
    { userInfo: { preferred_username: long(256) } },
    'E_INVALID_NAME',
    `The “${long(256)}” value exceeds the maximum length by 1 byte. The maximum allowed length is 255 bytes.`,
  ],
  ['preferred_username .', { userInfo: { preferred_username: '.' } }, 'E_INVALID_NAME', '“.” is a reserved value.'],
  ['bad link_time', { userInfo: { link_time: 'soon' } }, 'E_INVALID_PARAM', MSG.badLinkTime()],
];

/** Pairs that break two rules: the earlier rule in cPanel's order wins. */
const orderCases: Array<[string, Partial<LinkParams> & Record<string, unknown>, string]> = [
  ['protocol before provider', { protocol: 'x', provider: '' }, MSG.badProtocol('x')],
  [
    'provider before subject',
    { provider: '', subject: '' },
    'Provide the “provider” parameter for the “Cpanel::Validate::AuthProvider::check_provider_name_or_die” function.',
  ],
  ['enabled before subject', { provider: 'facebook', subject: '' }, MSG.providerNotEnabled('facebook')],
  [
    'subject before user_info',
    { subject: '0', userInfo: 'x' as never },
    'Provide the “subject_unique_identifier” parameter for the “Cpanel::Validate::OpenIdConnect::check_subject_unique_identifier_or_die” function.',
  ],
  ['user_info before user', { userInfo: { note: long(1025) }, user: '' }, MSG.userInfoTooLarge(long(1025))],
  ['user before preferred_username', { user: 'carol', userInfo: { preferred_username: 'a/b' } }, MSG.userNotFound('carol')],
];

describeOnDisks('authn validation', (ctx) => {
  it('rejects every invalid add with cPanel’s message and writes nothing', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    const before = snapshotTree(ctx, '/');
    for (const [name, patch, code, message] of linkCases) {
      const e = await rejectsWith(store.linkAccount({ ...ok, ...patch } as LinkParams), code);
      expect(e.message, name).toBe(message);
    }
    for (const [name, patch, message] of orderCases) {
      await store.linkAccount({ ...ok, ...patch } as LinkParams).then(
        () => expect.fail(name),
        (err: Error) => expect(err.message, name).toBe(message),
      );
    }
    expect(snapshotTree(ctx, '/')).toEqual(before);
  });

  it('accepts the edge values cPanel accepts', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ ...ok, subject: 'a/b' + long(2000) });
    await store.linkAccount({ ...ok, subject: 'x', userInfo: { preferred_username: '' } });
    await store.linkAccount({ ...ok, subject: 'y', userInfo: { preferred_username: long(255), note: long(1024) } });
    await store.linkAccount({ ...ok, user: 'info@bob.example', subject: 'z' });
    await store.linkAccount({ ...ok, user: 'root', subject: 'r' });
    await store.linkAccount({ ...ok, subject: 7 as never });
    expect((await store.listLinks({ user: 'bob' })).map((l) => l.subject_unique_identifier).sort()).toEqual(['7', 'a/b' + long(2000), 'x', 'y']);
  });

  it('checks removal with rules 1, 2, 4 and 6 only', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    const rm = (p: Record<string, unknown>) => store.unlinkAccount({ user: 'bob', provider: 'google', subject: 's', ...p } as never);
    await rejectsWith(rm({ protocol: 'x' }), 'E_INVALID_PARAM', MSG.badProtocol('x'));
    await rejectsWith(
      rm({ provider: '' }),
      'E_MISSING_PARAM',
      'Provide the “provider” parameter for the “Cpanel::Validate::AuthProvider::check_provider_name_or_die” function.',
    );
    await rejectsWith(rm({ provider: 'a/b' }), 'E_INVALID_NAME', MSG.badProviderName('a/b'));
    await rejectsWith(
      rm({ subject: '0' }),
      'E_MISSING_PARAM',
      'Provide the “subject_unique_identifier” parameter for the “Cpanel::Validate::OpenIdConnect::check_subject_unique_identifier_or_die” function.',
    );
    await rejectsWith(
      rm({ user: '' }),
      'E_MISSING_PARAM',
      'Provide the “user” parameter for the “Cpanel::Security::Authn::User::Modify::remove_authn_link_for_user” function.',
    );
    await rejectsWith(rm({ user: 'carol' }), 'E_NO_SUCH_USER', MSG.userNotFound('carol'));
    // A provider that is not enabled (or installed) is no reason to refuse a removal.
    await rejectsWith(rm({ provider: 'nosuch' }), 'E_NO_SUCH_LINK', MSG.subjectNotLinked());
  });

  it('uses an injected mail-account check', async () => {
    seedServer(ctx);
    const asked: unknown[] = [];
    const { store } = makeStore(ctx, {
      mailUserExists: async (q) => {
        asked.push(q);
        return q.local === 'ghost';
      },
    });
    await store.linkAccount({ ...ok, user: 'ghost@alice.example' });
    await rejectsWith(store.linkAccount({ ...ok, user: 'sales@alice.example' }), 'E_NO_SUCH_USER');
    expect(asked).toEqual([
      { local: 'ghost', domain: 'alice.example', owner: 'alice' },
      { local: 'sales', domain: 'alice.example', owner: 'alice' },
    ]);
  });
});

it('is_strict_webmail_user', () => {
  for (const good of ['a@b.c', 'info@bob.example', 'x.y_z-1@sub.example.com']) expect(isStrictWebmailUser(good), good).toBe(true);
  for (const bad of [
    'a@b',
    'Info@bob.example',
    'a@@b.com',
    'a@b@c.com',
    '@bob.example',
    '.a@bob.example',
    'a@bob.example.',
    'a@bob.example_',
    'a@bob.example-',
    'a b@bob.example',
    'bob',
  ])
    expect(isStrictWebmailUser(bad), bad).toBe(false);
});
