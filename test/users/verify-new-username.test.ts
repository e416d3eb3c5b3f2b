/**
 * usernames.md §6 and §7: verify_new_username / verify_new_username_for_restore — the order of
 * the checks, the exact messages, the DB-owner and DB-prefix rules, and what missing or unreadable
 * files mean for them. On memfs and a real temp dir.
 */
import { describe, expect, it } from 'vitest';
import { resolvePrefixLength, Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { usersWith, verdict } from './helpers.js';
import type { NameInput, UsernameTarget } from '../../src/users/index.js';

const prefixMsg = (name: string, n: number) =>
  `The name of another account on this server has the same initial ${n} characters as the given username (${name}). Each username’s first ${n} characters must be unique.`;

describeOnDisks('verify_new_username: parameters', (ctx) => {
  it('a missing name is E_MISSING_PARAM, an empty one E_INVALID_PARAM', async () => {
    const users = usersWith(ctx);
    for (const verify of [users.verifyNewUsername.bind(users), users.verifyNewUsernameForRestore.bind(users)]) {
      const call = (user: NameInput | undefined) => verify({ user } as UsernameTarget);
      await expect(call(undefined)).rejects.toMatchObject({ code: 'E_MISSING_PARAM', param: 'user', message: 'Provide the “user” parameter.' });
      await expect(call('')).rejects.toMatchObject({ code: 'E_INVALID_PARAM', param: 'user', message: 'The value of “user” may not be empty.' });
      await expect(call(Buffer.alloc(0))).rejects.toMatchObject({ code: 'E_INVALID_PARAM' });
    }
  });

  it('rejects a bad prefixLength option', async () => {
    await expect(usersWith(ctx).verifyNewUsername({ user: 'abc' }, { prefixLength: 0 })).rejects.toMatchObject({
      code: 'E_INVALID_PARAM',
      param: 'prefixLength',
    });
    expect(() => new Users(ctx.disk, { prefixLength: 2.5 })).toThrow(/prefixLength/);
  });
});

describeOnDisks('verify_new_username: checks in order, first failure wins (§6)', (ctx) => {
  const everything = {
    '/etc/passwd': 'nobody:x:99:99::/:/sbin/nologin\ntaken:x:1000:1000::/home/taken:/bin/bash\nboth:x:1001:1001::/:/bin/sh\n',
    '/etc/group': 'nobody:x:99:\ntaken:x:1000:\nboth:x:1001:\ngrouponly:x:2000:\ndbtoo:x:2001:\nwheel:x:10:root\n',
    '/etc/dbowners': 'dbtoo: dbtoo\nother: dbownerx\n',
  };

  it('format before reserved before user before group before dbowner', async () => {
    const users = usersWith(ctx, everything);
    expect(await verdict(users.verifyNewUsername({ user: 'Nobody' }))).toBe('“Nobody” is not a valid username on this system.');
    expect(await verdict(users.verifyNewUsername({ user: 'nobody' }))).toBe('“nobody” is a reserved username on this system.');
    expect(await verdict(users.verifyNewUsername({ user: 'both' }))).toBe('This system already has an account named “both”.');
    expect(await verdict(users.verifyNewUsername({ user: 'dbtoo' }))).toBe('This system already has a group named “dbtoo”.');
    expect(await verdict(users.verifyNewUsername({ user: 'grouponly' }))).toBe('This system already has a group named “grouponly”.');
    expect(await verdict(users.verifyNewUsername({ user: 'wheel' }))).toBe('This system already has a group named “wheel”.');
    expect(await verdict(users.verifyNewUsername({ user: 'dbownerx' }))).toBe('This system already has a database owner named “dbownerx”.');
    expect(await verdict(users.verifyNewUsername({ user: 'fresh' }))).toBe('OK');
  });

  it('create: any “.” or an invalid-for-new name fails the format check; restore uses the transfer format', async () => {
    const users = usersWith(ctx);
    for (const n of ['a.b', 'a-b', 'web_user', 'Upper', '1abc', 'a'.repeat(17)]) {
      expect(await verdict(users.verifyNewUsername({ user: n })), n).toBe(`“${n}” is not a valid username on this system.`);
    }
    for (const n of ['a.b', 'a-b', 'web_user', '_x']) expect(await verdict(users.verifyNewUsernameForRestore({ user: n })), n).toBe('OK');
    for (const n of ['Upper', '1abc', '.ab', 'bob\n']) {
      expect(await verdict(users.verifyNewUsernameForRestore({ user: n })), n).toBe(`“${n}” is not a valid username on this system.`);
    }
  });

  it('user_exists has no UID condition and any NAME: line counts (not only the first)', async () => {
    const users = usersWith(ctx, { '/etc/passwd': 'brokenuid:x\nlater:x:1:1\nlater:x::1\n+nisname::::::\n' });
    expect(await verdict(users.verifyNewUsername({ user: 'brokenuid' }))).toBe('This system already has an account named “brokenuid”.');
    expect(await verdict(users.verifyNewUsername({ user: 'later' }))).toBe('This system already has an account named “later”.');
    expect(await users.checkUserExists({ user: '+' })).toBe(false);
    expect(await users.checkUserExists({ user: '+nisname' })).toBe(true);
  });

  it('user_exists/group_exists never find a Perl-false name', async () => {
    const users = usersWith(ctx, { '/etc/passwd': '0:x:1:1\n:x:2:2\n', '/etc/group': '0:x:1:\n' });
    expect(await users.checkUserExists({ user: '0' })).toBe(false);
    expect(await users.checkUserExists({ user: '' })).toBe(false);
    expect(await users.checkGroupExists({ group: '0' })).toBe(false);
  });

  it('user_exists matches a name literally, regex metacharacters and all', async () => {
    const users = usersWith(ctx, { '/etc/passwd': 'a.b:x:1:1\n+::::::\n' });
    expect(await users.checkUserExists({ user: 'a.b' })).toBe(true);
    expect(await users.checkUserExists({ user: 'axb' })).toBe(false);
    expect(await users.checkUserExists({ user: '+' })).toBe(true);
  });

  it('DB owner: the dbowner form drops “_” and “.”; the message names the matched key', async () => {
    const users = usersWith(ctx, { '/etc/dbowners': 'webuser: webuser\n' });
    expect(await verdict(users.verifyNewUsernameForRestore({ user: 'web_user' }))).toBe('This system already has a database owner named “webuser”.');
    expect(await verdict(users.verifyNewUsernameForRestore({ user: 'web.user' }))).toBe('This system already has a database owner named “webuser”.');
    // An existing key shorter than N cannot start with the new name's N-character prefix.
    expect(await verdict(users.verifyNewUsernameForRestore({ user: 'webuser2' }))).toBe('OK');
  });

  it('DB owner map is dbowner → user: the user column does not collide', async () => {
    const users = usersWith(ctx, { '/etc/dbowners': 'olduser: dbo\n' });
    expect(await verdict(users.verifyNewUsername({ user: 'olduser' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'dbo' }))).toBe('This system already has a database owner named “dbo”.');
  });

  it('DB prefix: only for names at least N long; first N of the dbowner form; N from the options', async () => {
    const files = { '/etc/dbowners': 'acmewidgets: acmewidgets\nlongprefixowner1: longprefixowner1\n' };
    const users = usersWith(ctx, files);
    expect(await verdict(users.verifyNewUsername({ user: 'acmewid' }))).toBe('OK'); // 7 < 8
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidg' }))).toBe(prefixMsg('acmewidg', 8));
    expect(await verdict(users.verifyNewUsernameForRestore({ user: 'acme_widg' }))).toBe(prefixMsg('acme_widg', 8));
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidg2' }, { prefixLength: 16 }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'longprefixowner2' }, { prefixLength: 16 }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'longprefixowner1x' }, { prefixLength: 16 }))).toBe(
      '“longprefixowner1x” is not a valid username on this system.',
    );
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidg2' }, { mysqlVersion: '8.0.36' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidg2' }, { mysqlVersion: '10.6.16-MariaDB' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidg2' }, { mysqlVersion: '5.6.51' }))).toBe(prefixMsg('acmewidg2', 8));
    const sixteen = usersWith(ctx, files, { prefixLength: 16 });
    expect(await verdict(sixteen.verifyNewUsername({ user: 'acmewidg2' }))).toBe('OK');
  });

  it('force_short_prefix=1 forces 8 whatever the options say', async () => {
    const users = usersWith(
      ctx,
      { '/etc/dbowners': 'acmewidgets: acmewidgets\n', '/var/cpanel/cpanel.config': 'force_short_prefix=1\n' },
      { prefixLength: 16 },
    );
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidg2' }, { prefixLength: 16, mysqlVersion: '8.0' }))).toBe(prefixMsg('acmewidg2', 8));
  });

  it('the DB prefix check runs whatever database_prefix is', async () => {
    const users = usersWith(ctx, { '/etc/dbowners': 'acmewidgets: acmewidgets\n', '/var/cpanel/cpanel.config': 'database_prefix=0\n' });
    expect(await verdict(users.verifyNewUsername({ user: 'acme_widg2' }))).toBe(prefixMsg('acme_widg2', 8));
  });

  it('rename: the old name’s own dbowner entry does not collide', async () => {
    const users = usersWith(ctx, { '/etc/dbowners': 'acmewidgets: acmewidgets\n' });
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidgets2' }, { oldName: 'acmewidgets' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidgets' }, { oldName: 'acmewidgets' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'acmewidgets' }, { oldName: 'someoneelse' }))).toBe(
      'This system already has a database owner named “acmewidgets”.',
    );
  });

  it('the trailing-newline name passes create and the later look-ups find nothing', async () => {
    const users = usersWith(ctx, { '/etc/passwd': 'bob:x:1:1\n', '/etc/group': 'bob:x:1:\n' });
    expect(await verdict(users.verifyNewUsername({ user: 'bob\n' }))).toBe('OK');
  });

  it('in allowstupidstuff mode "0" passes both', async () => {
    const users = usersWith(ctx, { '/etc/allowstupidstuff': 'x', '/etc/passwd': '0:x:5:5\n', '/etc/group': '0:x:5:\n' });
    expect(await verdict(users.verifyNewUsername({ user: '0' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsernameForRestore({ user: '0' }))).toBe('OK');
  });

  it('usernameProblem returns which check failed instead of throwing', async () => {
    const users = usersWith(ctx, { '/etc/group': 'wheel:x:10:\n' });
    expect(await users.checkNewUsername({ user: 'wheel' })).toEqual({ check: 'group', message: 'This system already has a group named “wheel”.' });
    expect(await users.checkNewUsername({ user: 'fine' })).toBeUndefined();
    expect(await users.checkNewUsername({ user: 'a.b', forRestore: true }, {})).toBeUndefined();
  });
});

describeOnDisks('verify_new_username: missing and unreadable files (§7)', (ctx) => {
  it('missing /etc/passwd or /etc/group means the name is taken; missing dbowners/aliases/config are empty', async () => {
    const users = new Users(ctx.disk, { checkIntervalMs: 0 });
    expect(await verdict(users.verifyNewUsername({ user: 'fresh' }))).toBe('This system already has an account named “fresh”.');
    ctx.fs.mkdirSync(`${ctx.root}/etc`, { recursive: true });
    ctx.fs.writeFileSync(`${ctx.root}/etc/passwd`, '');
    expect(await verdict(users.verifyNewUsername({ user: 'fresh' }))).toBe('This system already has a group named “fresh”.');
    ctx.fs.writeFileSync(`${ctx.root}/etc/group`, '');
    expect(await verdict(users.verifyNewUsername({ user: 'fresh' }))).toBe('OK');
  });

  it('an unreadable passwd: exists 0 but the verify checks say taken', async () => {
    usersWith(ctx); // seeds empty passwd and group
    const { fs } = faultyFs(ctx.fs, [{ op: 'open', path: '/etc/passwd', code: 'EACCES' }]);
    const users = new Users(ctx.make({ fs }), { checkIntervalMs: 0 });
    expect((await users.validateSystemUser({ user: 'fresh' })).exists).toBe(false);
    expect(await verdict(users.verifyNewUsername({ user: 'fresh' }))).toBe('This system already has an account named “fresh”.');
    await expect(userLookup(users).passwdEntry('fresh')).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('strict: an unreadable or missing passwd/group is a typed error instead', async () => {
    usersWith(ctx);
    const { fs } = faultyFs(ctx.fs, [{ op: 'open', path: '/etc/group', code: 'EACCES' }]);
    const strict = new Users(ctx.make({ fs }), { checkIntervalMs: 0, strict: true });
    await expect(strict.verifyNewUsername({ user: 'fresh' })).rejects.toMatchObject({ code: 'E_IO' });
    ctx.fs.unlinkSync(`${ctx.root}/etc/passwd`);
    await expect(new Users(ctx.disk, { strict: true }).verifyNewUsername({ user: 'fresh' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('unreadable aliases, dbowners and cpanel.config fall back to none/empty/defaults', async () => {
    usersWith(ctx, { '/etc/aliases': 'blocked: x\n', '/etc/dbowners': 'blocked2: blocked2\n', '/var/cpanel/cpanel.config': 'database_prefix=0\n' });
    const { fs } = faultyFs(ctx.fs, [{ op: 'open', path: (p) => /aliases|dbowners|cpanel\.config/.test(p), code: 'EACCES' }]);
    const users = new Users(ctx.make({ fs }), { checkIntervalMs: 0 });
    expect(await verdict(users.verifyNewUsername({ user: 'blocked' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'blocked2' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsername({ user: 'web_user' }))).toBe('“web_user” is not a valid username on this system.');
  });
});

describe('resolvePrefixLength', () => {
  it('8 when forced or unknown; the explicit length; else from the version', () => {
    expect(resolvePrefixLength(true, 16, '8.0')).toBe(8);
    expect(resolvePrefixLength(false)).toBe(8);
    expect(resolvePrefixLength(false, 16)).toBe(16);
    expect(resolvePrefixLength(false, undefined, '5.7.44')).toBe(16);
    expect(resolvePrefixLength(false, undefined, '5.6')).toBe(8);
    expect(resolvePrefixLength(false, undefined, '5.5.68-MariaDB')).toBe(8);
    expect(resolvePrefixLength(false, undefined, '11.4.2')).toBe(16);
    expect(resolvePrefixLength(false, undefined, 'unknown')).toBe(8);
  });
});
