/**
 * Every validation rule of create_integration_link / create_integration_group (§4), in cPanel's
 * order, with cPanel's messages — and nothing on disk after a refusal (not even directories).
 */
import { beforeEach, expect, it } from 'vitest';
import type { IntegrationStore, Params } from '../../src/integration/index.js';
import { isPngBase64, isValidBase64 } from '../../src/integration/index.js';
import { expectedDynamicUi } from '../../src/integration/lifecycle.js';
import { integrationContext } from '../../src/integration/store.js';
import type { ErrorCode } from '../../src/io/errors.js';
import { describeOnDisks, snapshotTree } from '../helpers/disks.js';
import { TINY_PNG, expectError, makeStore, seedServer } from './setup.js';

type Case = [title: string, user: unknown, app: unknown, params: Params, code: ErrorCode, message: string];

const U = { url: 'https://x.example/' };
const NOT_PNG = Buffer.from('GIF89a-not-a-png').toString('base64');

const linkCases: Case[] = [
  ['missing user', undefined, 'a', U, 'E_MISSING_PARAM', 'Provide the “user” parameter.'],
  ['missing app', 'alice', undefined, U, 'E_MISSING_PARAM', 'Provide the “app” parameter.'],
  ['empty user', '', 'a', U, 'E_INVALID_PARAM', 'The value of “user” may not be empty.'],
  ['empty app', 'alice', '', U, 'E_INVALID_PARAM', 'The value of “app” may not be empty.'],
  ['user before app', '', '', U, 'E_INVALID_PARAM', 'The value of “user” may not be empty.'],
  ['unknown user', 'nobody', 'a', U, 'E_NO_SUCH_USER', 'You do not have a user named “nobody”.'],
  ['system user without cpuser file', 'sysuser', 'a', U, 'E_NOT_CPANEL_USER', 'You do not have a user named “sysuser”.'],
  ['root', 'root', 'a', U, 'E_NOT_CPANEL_USER', 'You do not have a user named “root”.'],
  ['user with slash', 'a/b', 'a', U, 'E_NO_SUCH_USER', 'You do not have a user named “a/b”.'],
  ['account check before app checks', 'nobody', 'group_x', U, 'E_NO_SUCH_USER', 'You do not have a user named “nobody”.'],
  ['app .', 'alice', '.', U, 'E_INVALID_NAME', '“.” is a reserved value.'],
  ['app ..', 'alice', '..', U, 'E_INVALID_NAME', '“..” is a reserved value.'],
  ['app with slash', 'alice', 'a/b', U, 'E_INVALID_NAME', 'This value may not contain the character “/”.'],
  ['app with NUL', 'alice', 'a\0b', U, 'E_INVALID_NAME', 'This value may not contain a NUL byte.'],
  [
    'app too long',
    'alice',
    'x'.repeat(258),
    U,
    'E_INVALID_NAME',
    `The “${'x'.repeat(258)}” value exceeds the maximum length by 3 bytes. The maximum allowed length is 255 bytes.`,
  ],
  ['app group_ prefix', 'alice', 'group_x', U, 'E_INVALID_PARAM', 'The “app” argument cannot begin with “group_”.'],
  ['reference value (object)', 'alice', 'a', { ...U, label: { a: 1 } }, 'E_INVALID_PARAM', '“label” (HASH) must not be a reference!'],
  ['reference value (array)', 'alice', 'a', { ...U, order: ['1'] }, 'E_INVALID_PARAM', '“order” (ARRAY) must not be a reference!'],
  ['reference value (boolean)', 'alice', 'a', { ...U, hide: true }, 'E_INVALID_PARAM', '“hide” (JSON::PP::Boolean) must not be a reference!'],
  ['reference check before url check', 'alice', 'a', { label: [] }, 'E_INVALID_PARAM', '“label” (ARRAY) must not be a reference!'],
  ['label with single quote', 'alice', 'a', { ...U, label: "Bob's" }, 'E_INVALID_PARAM', "The parameter “label” may not contain single-quote characters (')."],
  ['label check before url check', 'alice', 'a', { label: "'" }, 'E_INVALID_PARAM', "The parameter “label” may not contain single-quote characters (')."],
  ['no url', 'alice', 'a', {}, 'E_MISSING_PARAM', 'You must supply one of the following parameters: autologin_token_url, url'],
  [
    'empty url and autologin url',
    'alice',
    'a',
    { url: '', autologin_token_url: '' },
    'E_MISSING_PARAM',
    'You must supply one of the following parameters: autologin_token_url, url',
  ],
  ['hide empty', 'alice', 'a', { ...U, hide: '' }, 'E_INVALID_PARAM', 'This value may not be empty.'],
  ['hide 2', 'alice', 'a', { ...U, hide: '2' }, 'E_INVALID_PARAM', '“2” is not a valid Boolean. It must be one of: 0 or 1.'],
  ['hide with newline', 'alice', 'a', { ...U, hide: '1\n' }, 'E_INVALID_PARAM', '“1\n” is not a valid Boolean. It must be one of: 0 or 1.'],
  [
    'hide before image',
    'alice',
    'a',
    { ...U, hide: 'yes', base64_png_image: '!!' },
    'E_INVALID_PARAM',
    '“yes” is not a valid Boolean. It must be one of: 0 or 1.',
  ],
  ['image bad characters', 'alice', 'a', { ...U, base64_png_image: 'abc!' }, 'E_INVALID_PARAM', '“base64_png_image” is not valid Base64.'],
  ['image only whitespace', 'alice', 'a', { ...U, base64_png_image: '  \n ' }, 'E_INVALID_PARAM', '“base64_png_image” is not valid Base64.'],
  ['image = in the middle', 'alice', 'a', { ...U, base64_png_image: 'ab=c' }, 'E_INVALID_PARAM', '“base64_png_image” is not valid Base64.'],
  ['image leading =', 'alice', 'a', { ...U, base64_png_image: '=abc' }, 'E_INVALID_PARAM', '“base64_png_image” is not valid Base64.'],
  ['image ====', 'alice', 'a', { ...U, base64_png_image: 'abcd====' }, 'E_INVALID_PARAM', '“base64_png_image” is not valid Base64.'],
  ['image padding with bad length', 'alice', 'a', { ...U, base64_png_image: 'abcde=' }, 'E_INVALID_PARAM', '“base64_png_image” is not valid Base64.'],
  ['image not a PNG', 'alice', 'a', { ...U, base64_png_image: NOT_PNG }, 'E_INVALID_PARAM', '“base64_png_image” is not a valid PNG image.'],
  ['image before asset checks', 'alice', 'a-b c', { ...U, base64_png_image: NOT_PNG }, 'E_INVALID_PARAM', '“base64_png_image” is not a valid PNG image.'],
  ['app not a Link id', 'alice', 'a b', U, 'E_INVALID_PARAM', "The configuration entry with “name” of “$LANG{'a b'}” has an invalid value for “id”: “a b”."],
  [
    'app with trailing newline (cPanel accepts)',
    'alice',
    'ab\n',
    U,
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'ab\n'}” has an invalid value for “id”: “ab\n”.",
  ],
  [
    'implements invalid',
    'alice',
    'a',
    { ...U, label: 'L', implements: 'bill ing' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'L'}” has an invalid value for “implements”: “bill ing”.",
  ],
  [
    'implements trailing newline',
    'alice',
    'a',
    { ...U, implements: 'billing\n' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'a'}” has an invalid value for “implements”: “billing\n”.",
  ],
  [
    'group_id invalid',
    'alice',
    'a',
    { ...U, group_id: 'x.y' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'a'}” has an invalid value for “group_id”: “x.y”.",
  ],
  [
    'order invalid',
    'alice',
    'a',
    { ...U, order: '1.5' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'a'}” has an invalid value for “order”: “1.5”.",
  ],
  [
    'order with dash inside',
    'alice',
    'a',
    { ...U, order: '1-2' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'a'}” has an invalid value for “order”: “1-2”.",
  ],
  [
    'fixed order: implements before group_id and order',
    'alice',
    'a',
    { ...U, implements: '!', group_id: '!', order: '!' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'a'}” has an invalid value for “implements”: “!”.",
  ],
  [
    'fixed order: group_id before order',
    'alice',
    'a',
    { ...U, group_id: '!', order: '!' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'a'}” has an invalid value for “group_id”: “!”.",
  ],
  [
    'lone surrogate',
    'alice',
    'a',
    { ...U, label: 'x\ud800' },
    'E_INVALID_PARAM',
    'The value of “label” contains an unpaired UTF-16 surrogate, which cannot be stored.',
  ],
];

describeOnDisks('create_integration_link validation', (ctx) => {
  let store: IntegrationStore;
  beforeEach(() => {
    seedServer(ctx);
    store = makeStore(ctx);
  });

  for (const [title, user, app, params, code, message] of linkCases) {
    it(`${title}: ${code}`, async () => {
      const before = snapshotTree(ctx, '/var/cpanel');
      await expectError(store.createLink({ user: user as string, app: app as string, ...params }), code, message);
      // validation runs before any directory is created (library improvement over cPanel)
      expect(snapshotTree(ctx, '/var/cpanel')).toEqual(before);
    });
  }

  it('Perl-falsy values ("0", "") skip the override checks and the image check', async () => {
    const r = await store.createLink({ user: 'alice', app: 'a', ...U, order: '0', group_id: '', implements: '0', base64_png_image: '0', label: '0' });
    expect(r.warnings).toEqual([]);
    const entry = JSON.parse((await expectedDynamicUi(integrationContext(store), 'alice', 'a')).content.toString())[0];
    expect([entry.itemorder, entry.group, entry.implements, entry.itemdesc]).toEqual(['99999', 'preferences', 'a', "$LANG{'a'}"]);
    expect(await store.getLinkUserConfig({ user: 'alice', app: 'a' })).toEqual({
      ...U,
      order: '0',
      group_id: '',
      implements: '0',
      base64_png_image: '0',
      label: '0',
    });
  });

  it('accepts FilesystemNodeName-valid names cPanel accepts, negative order, whitespace in base64, autologin url only', async () => {
    const spaced = TINY_PNG.slice(0, 20) + '\n ' + TINY_PNG.slice(20);
    await store.createLink({ user: 'alice', app: 'A-b_9', autologin_token_url: 'https://t.example/', order: '-6', base64_png_image: spaced, hide: '1' });
    expect(await store.getLinkUserConfig({ user: 'alice', app: 'A-b_9' })).toEqual({
      autologin_token_url: 'https://t.example/',
      order: '-6',
      base64_png_image: spaced,
      hide: '1',
    });
  });

  it('drops unknown keys with cPanel’s warning and never stores token, app or user in userconfig', async () => {
    // An untyped (JavaScript or WHM) caller: the typed API refuses these keys at compile time.
    const untyped: Record<string, string> = { ...U, user: 'alice', app: 'a', token: 't', colour: 'blue', label: 'L' };
    const r = await store.createLink({ user: 'alice', app: 'a', ...untyped });
    expect(r.warnings).toEqual(['Ignoring unrecognized data key “colour” (blue)!']);
    expect(await store.getLinkUserConfig({ user: 'alice', app: 'a' })).toEqual({ ...U, label: 'L' });
    expect(await store.getLinkToken({ user: 'alice', app: 'a' })).toBe('t');
  });

  it('validation helpers: Base64 and PNG signature rules', () => {
    expect([isValidBase64('abcd'), isValidBase64('ab=='), isValidBase64('abc='), isValidBase64('abc'), isValidBase64(' ab\tcd ')]).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect([isValidBase64(''), isValidBase64('a=b='), isValidBase64('a====='), isValidBase64('ab-_'), isValidBase64('abcde=')]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    // cPanel's rules only look at '=' placement and length: 'a===' (length 4) passes
    expect(isValidBase64('a===')).toBe(true);
    expect([isPngBase64(TINY_PNG), isPngBase64(NOT_PNG), isPngBase64('iVBO')]).toEqual([true, false, false]);
  });
});

type GroupCase = [title: string, user: unknown, groupId: unknown, params: Params, code: ErrorCode, message: string];
const groupCases: GroupCase[] = [
  ['missing user', undefined, 'g', {}, 'E_MISSING_PARAM', 'Provide the “user” parameter.'],
  ['missing group_id', 'alice', undefined, {}, 'E_MISSING_PARAM', 'Provide the “group_id” parameter.'],
  ['empty group_id', 'alice', '', {}, 'E_INVALID_PARAM', 'The value of “group_id” may not be empty.'],
  ['unknown user', 'ghost', 'g', {}, 'E_NO_SUCH_USER', 'You do not have a user named “ghost”.'],
  ['group_id with slash', 'alice', 'a/b', {}, 'E_INVALID_NAME', 'This value may not contain the character “/”.'],
  ['group_id group_ prefix', 'alice', 'group_g', {}, 'E_INVALID_PARAM', 'The “group_id” argument cannot begin with “group_”.'],
  ['label quote', 'alice', 'g', { label: "it's" }, 'E_INVALID_PARAM', "The parameter “label” may not contain single-quote characters (')."],
  ['reference', 'alice', 'g', { order: {} }, 'E_INVALID_PARAM', '“order” (HASH) must not be a reference!'],
  [
    'id not an asset id',
    'alice',
    'g g',
    { label: 'G' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'G'}” has an invalid value for “id”: “g g”.",
  ],
  [
    'order invalid',
    'alice',
    'g',
    { order: '1.0' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'g'}” has an invalid value for “order”: “1.0”.",
  ],
  [
    'order trailing newline',
    'alice',
    'g',
    { order: '1\n' },
    'E_INVALID_PARAM',
    "The configuration entry with “name” of “$LANG{'g'}” has an invalid value for “order”: “1\n”.",
  ],
];

describeOnDisks('create_integration_group validation', (ctx) => {
  let store: IntegrationStore;
  beforeEach(() => {
    seedServer(ctx);
    store = makeStore(ctx);
  });

  for (const [title, user, groupId, params, code, message] of groupCases) {
    it(`${title}: ${code}`, async () => {
      const before = snapshotTree(ctx, '/var/cpanel');
      await expectError(store.createGroup({ user: user as string, group_id: groupId as string, ...params }), code, message);
      expect(snapshotTree(ctx, '/var/cpanel')).toEqual(before);
    });
  }

  it('group order is looser than link order (1-2 and -- pass); other keys are dropped with a warning', async () => {
    expect((await store.createGroup({ user: 'alice', group_id: 'g', order: '1-2' })).warnings).toEqual([]);
    const untyped: Record<string, string> = { order: '--', url: 'x', group_id: 'h' };
    expect((await store.createGroup({ user: 'alice', group_id: 'h', ...untyped })).warnings).toEqual(['Ignoring unrecognized data key “url” (x)!']);
    expect(await store.listGroups({ user: 'alice' })).toEqual(['g', 'h']);
    expect(await store.getGroupUserConfig({ user: 'alice', group_id: 'h' })).toEqual({ order: '--' });
  });
});
