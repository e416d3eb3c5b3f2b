/**
 * usernames.md §2 (each flag's algorithm), §4 (reserved lists) and §8 (edge cases) through
 * `Users.validateSystemUser`, on memfs and a real temp dir.
 */
import { describe, expect, it } from 'vitest';
import { flagsToInts, RESERVED_NAMES, RESERVED_PREFIXES, RESERVED_SUFFIXES, reservedUsernamePatterns } from '../../src/users/index.js';
import { describeOnDisks } from '../helpers/disks.js';
import { tren, usersWith } from './helpers.js';
import type { UsernameTarget } from '../../src/users/index.js';

describeOnDisks('validate_system_user: input handling (§2)', (ctx) => {
  it('a missing name is E_MISSING_PARAM with cPanel’s reason', async () => {
    const users = usersWith(ctx);
    await expect(users.validateSystemUser({} as UsernameTarget)).rejects.toMatchObject({
      code: 'E_MISSING_PARAM',
      param: 'user',
      message: 'No user name supplied: “user” is a required argument.',
    });
  });

  it('the empty name succeeds with all four flags 0', async () => {
    expect(await tren(usersWith(ctx), '')).toEqual([0, 0, 0, 0]);
  });

  it('root is 1/1/1/1 even without any file', async () => {
    const users = new (await import('../../src/users/index.js')).Users(ctx.disk, { checkIntervalMs: 0 });
    expect(await tren(users, 'root')).toEqual([1, 1, 1, 1]);
  });

  it('uses the name exactly as given: no trimming, no lower-casing', async () => {
    const users = usersWith(ctx, { '/etc/passwd': 'bob:x:1:1::/:/bin/sh\nBob:x:2:2::/:/bin/sh\n' });
    expect(await tren(users, 'bob')).toEqual([1, 0, 1, 1]);
    expect(await tren(users, ' bob')).toEqual([0, 0, 0, 0]);
    expect(await tren(users, 'bob ')).toEqual([0, 0, 0, 0]);
    expect(await tren(users, 'Bob')).toEqual([0, 0, 1, 0]);
    expect(await tren(users, 'BOB')).toEqual([0, 0, 0, 0]);
  });

  it('accepts raw bytes; a JS string is compared as UTF-8', async () => {
    const users = usersWith(ctx, {
      '/etc/passwd': Buffer.from('josé:x:5:5::/:/bin/sh\n', 'utf8'),
      '/etc/aliases': Buffer.from([0xff, 0x41, 0x3a, 0x20, 0x78, 0x0a]),
    });
    expect((await users.validateSystemUser({ user: 'josé' })).exists).toBe(true);
    expect((await users.validateSystemUser({ user: Buffer.from('josé', 'utf8') })).exists).toBe(true);
    expect((await users.validateSystemUser({ user: Buffer.from('josé', 'latin1') })).exists).toBe(false);
    expect((await users.validateSystemUser({ user: Buffer.from([0xff, 0x41]) })).reserved).toBe(true);
    expect((await users.validateSystemUser({ user: '\u00ffA' })).reserved).toBe(false); // UTF-8 c3 bf 41, not ff 41
  });

  it('flagsToInts gives the API’s 0/1 data in cPanel’s key order', async () => {
    const data = flagsToInts(await usersWith(ctx).validateSystemUser({ user: 'root' }));
    expect(JSON.stringify(data)).toBe('{"exists":1,"reserved":1,"valid_for_new":1,"valid_for_transfer":1}');
  });
});

describeOnDisks('exists (§2.1, §7)', (ctx) => {
  it('first line starting with NAME: decides; the UID field must be non-empty', async () => {
    const users = usersWith(ctx, {
      '/etc/passwd':
        [
          'x:x:0:0::/:/bin/sh',
          'emptyuid:x::1::/:/bin/sh',
          'nouid:x',
          'trail:x:',
          'dup:x::1',
          'dup:x:5:5',
          'dup2:x:5:5',
          'dup2:x::5',
          '+nis::::::',
          'ok:x:7',
        ].join('\n') + '\n',
    });
    const exists = async (n: string) => (await users.validateSystemUser({ user: n })).exists;
    expect(await exists('x')).toBe(true);
    expect(await exists('emptyuid')).toBe(false);
    expect(await exists('nouid')).toBe(false);
    expect(await exists('trail')).toBe(false);
    expect(await exists('dup')).toBe(false); // first match wins
    expect(await exists('dup2')).toBe(true);
    expect(await exists('+nis')).toBe(false);
    expect(await exists('ok')).toBe(true); // only uid present: still a non-empty UID
    expect(await exists('o')).toBe(false); // prefix of a name is not the name
  });

  it('rejects names with control bytes, space, DEL, “:”, “/” or “#” without looking', async () => {
    const users = usersWith(ctx, { '/etc/passwd': 'a#b:x:1:1\na/b:x:1:1\na b:x:1:1\na\x7fb:x:1:1\na\tb:x:1:1\n' });
    for (const n of ['a#b', 'a/b', 'a b', 'a\x7fb', 'a\tb', 'a:b', 'a\0b'])
      expect((await users.validateSystemUser({ user: n })).exists, JSON.stringify(n)).toBe(false);
  });

  it('never trims lines: leading spaces, # lines and NIS lines match nothing', async () => {
    const users = usersWith(ctx, { '/etc/passwd': ' bob:x:1:1\n#carol:x:2:2\n+dave:x:3:3\n-erin:x:4:4\n\n\n' });
    for (const n of ['bob', 'carol', 'dave', 'erin']) expect((await users.validateSystemUser({ user: n })).exists).toBe(false);
  });

  it('CRLF line endings do not hide users', async () => {
    const users = usersWith(ctx, { '/etc/passwd': 'bob:x:1001:1001::/home/bob:/bin/bash\r\nalice:x:1002:1002::/home/alice:/bin/bash\r\n' });
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true);
    expect((await users.validateSystemUser({ user: 'alice' })).exists).toBe(true);
  });

  it('a file without a final newline still counts its last line', async () => {
    expect((await usersWith(ctx, { '/etc/passwd': 'a:x:1:1\nbob:x:2:2' }).validateSystemUser({ user: 'bob' })).exists).toBe(true);
  });

  it('ignores /etc/group and /var/cpanel/users', async () => {
    const users = usersWith(ctx, {
      '/etc/passwd': 'carol:x:1003:1003::/:/bin/sh\n',
      '/etc/group': 'grouponly:x:500:\n',
      '/var/cpanel/users/ghost': 'RS=jupiter\n',
    });
    expect((await users.validateSystemUser({ user: 'grouponly' })).exists).toBe(false);
    expect((await users.validateSystemUser({ user: 'ghost' })).exists).toBe(false);
    expect((await users.validateSystemUser({ user: 'carol' })).exists).toBe(true); // no cPanel file needed
  });

  it('a missing /etc/passwd means 0 (root still 1)', async () => {
    const { Users } = await import('../../src/users/index.js');
    const users = new Users(ctx.disk, { checkIntervalMs: 0 });
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(false);
    expect((await users.validateSystemUser({ user: 'root' })).exists).toBe(true);
  });
});

describeOnDisks('reserved (§2.2, §4)', (ctx) => {
  it('ships the lists exactly and read-only', () => {
    expect(RESERVED_NAMES).toHaveLength(43);
    expect(RESERVED_PREFIXES).toEqual(['test', 'passwd.', 'cpmydns', 'cpanel', 'mydns', 'pg_toast', 'pg_temp', 'cpses', 'cptkt', 'cpbackup']);
    expect(RESERVED_SUFFIXES).toEqual(['.lock', '.cache', '.yaml', '.json', '.db', 'assword']);
    expect(Object.isFrozen(RESERVED_NAMES) && Object.isFrozen(RESERVED_PREFIXES) && Object.isFrozen(RESERVED_SUFFIXES)).toBe(true);
  });

  it('every built-in name, prefix and suffix reserves', async () => {
    const users = usersWith(ctx);
    for (const n of RESERVED_NAMES) expect(await users.checkReserved({ user: n }), n).toBe(true);
    for (const p of RESERVED_PREFIXES) expect(await users.checkReserved({ user: p + 'x' }), p).toBe(true);
    for (const s of RESERVED_SUFFIXES) expect(await users.checkReserved({ user: 'x' + s }), s).toBe(true);
  });

  it('is case-sensitive and exact', async () => {
    const users = usersWith(ctx);
    for (const n of ['Root', 'ROOT', 'Test', 'xtest', 'x.DB', 'rootx', 'db', 'ssword']) expect(await users.checkReserved({ user: n }), n).toBe(false);
    expect(await users.checkReserved({ user: 'assword' })).toBe(true); // the suffix is the whole name
    expect(await users.checkReserved({ user: 'mypassword' })).toBe(true);
  });

  it('"" and exactly "0" are never reserved; "00" and other digit/punctuation names are', async () => {
    const users = usersWith(ctx);
    expect(await users.checkReserved({ user: '' })).toBe(false);
    expect(await users.checkReserved({ user: '0' })).toBe(false);
    for (const n of ['00', '1', '123', '-', '.', '_', '1.2-3_4', '0\n', '123\n']) expect(await users.checkReserved({ user: n }), JSON.stringify(n)).toBe(true);
    expect(await users.checkReserved({ user: '\n' })).toBe(false);
    expect(await users.checkReserved({ user: '12a' })).toBe(false);
  });

  it('a trailing newline keeps prefix and regex matches but defeats exact and suffix matches', async () => {
    const users = usersWith(ctx);
    expect(await tren(users, 'test\n')).toEqual([0, 1, 0, 1]);
    expect(await users.checkReserved({ user: '123\n' })).toBe(true);
    expect(await users.checkReserved({ user: 'root\n' })).toBe(false);
    expect(await users.checkReserved({ user: 'x.db\n' })).toBe(false);
  });

  it('does not depend on allowstupidstuff or passwd/group', async () => {
    const users = usersWith(ctx, { '/etc/allowstupidstuff': '', '/etc/passwd': 'newname:x:1:1\n', '/etc/group': 'newname:x:1:\n' });
    expect(await users.checkReserved({ user: '123' })).toBe(true);
    expect(await users.checkReserved({ user: 'newname' })).toBe(false);
  });

  it('lists the combined patterns in cPanel’s order with quotemeta', () => {
    const p = reservedUsernamePatterns();
    expect(p[0]).toBe('^[-._0-9]+$');
    expect(p).toContain('^passwd\\.');
    expect(p).toContain('^pg_toast');
    expect(p).toContain('\\.lock$');
    expect(p[p.length - 1]).toBe('assword$');
    expect(p).toHaveLength(17);
  });
});

describeOnDisks('alias names (§5)', (ctx) => {
  const ALIASES = [
    '# comment',
    'plain: target',
    'nospace:target',
    'spaced : target',
    '"quoted name": target',
    '"quoted": target',
    ' continuation',
    '\tcontinuation2',
    ':include:/etc/more',
    '  :include:/etc/indented',
    'barename',
    'Name: target',
    'hy-phen: root',
    'with#hash: x',
    '',
    '',
    'crlf:\ttarget\r',
    'barecr\r',
  ].join('\n');

  it('reserves exactly the left-hand sides the spec’s table lists', async () => {
    const users = usersWith(ctx, { '/etc/aliases': ALIASES });
    const reserved = async (n: string) => users.checkReserved({ user: n });
    for (const n of ['plain', 'nospace', '"quoted"', 'barename', 'Name', 'hy-phen', 'crlf', 'barecr\r'])
      expect(await reserved(n), JSON.stringify(n)).toBe(true);
    for (const n of ['spaced', 'spaced ', '"quoted name"', 'continuation', 'continuation2', 'include', 'name', 'barecr', 'with#hash', 'with', 'target', '#']) {
      expect(await reserved(n), JSON.stringify(n)).toBe(false);
    }
  });

  it('reads /etc/localaliases too; targets are never followed', async () => {
    const users = usersWith(ctx, { '/etc/aliases': 'a1: someuser\n', '/etc/localaliases': 'l1: otheruser\n' });
    expect(await users.checkReserved({ user: 'a1' })).toBe(true);
    expect(await users.checkReserved({ user: 'l1' })).toBe(true);
    expect(await users.checkReserved({ user: 'someuser' })).toBe(false);
  });

  it('a hyphenated alias is reserved and valid for transfer only', async () => {
    expect(await tren(usersWith(ctx, { '/etc/aliases': 'mailer-daemon: postmaster\n' }), 'mailer-daemon')).toEqual([1, 1, 0, 0]);
  });

  it('skips alias files that are directories; follows symlinks to regular files', async () => {
    ctx.fs.mkdirSync(`${ctx.root}/etc/aliases`, { recursive: true });
    ctx.fs.mkdirSync(`${ctx.root}/etc/mail`, { recursive: true });
    ctx.fs.writeFileSync(`${ctx.root}/etc/mail/local`, 'vialink: x\n');
    ctx.fs.symlinkSync(`${ctx.root}/etc/mail/local`, `${ctx.root}/etc/localaliases`);
    const users = usersWith(ctx);
    expect(await users.checkReserved({ user: 'vialink' })).toBe(true);
    expect(await users.checkReserved({ user: 'root' })).toBe(true);
  });
});

describeOnDisks('valid_for_transfer and valid_for_new (§2.3, §2.4, §3, §8)', (ctx) => {
  it('length: 16 is valid for both, 17 for neither', async () => {
    const users = usersWith(ctx);
    expect(await tren(users, 'a'.repeat(16))).toEqual([1, 0, 0, 1]);
    expect(await tren(users, 'a'.repeat(17))).toEqual([0, 0, 0, 0]);
    expect(await tren(users, 'information_schema')).toEqual([0, 1, 0, 0]); // 18 chars, reserved
  });

  it('dots and hyphens: transfer only; leading ones invalid for both', async () => {
    const users = usersWith(ctx);
    expect(await tren(users, 'a.b')).toEqual([1, 0, 0, 0]);
    expect(await tren(users, 'a-b')).toEqual([1, 0, 0, 0]);
    expect(await tren(users, '.ab')).toEqual([0, 0, 0, 0]);
    expect(await tren(users, '-ab')).toEqual([0, 0, 0, 0]);
    expect(await tren(users, 'site.db')).toEqual([1, 1, 0, 0]);
    expect(await tren(users, 'passwd.x')).toEqual([1, 1, 0, 0]);
  });

  it('underscore: transfer always (leading too); new only with database_prefix false', async () => {
    expect(await tren(usersWith(ctx), '_ab')).toEqual([1, 0, 0, 0]);
    expect(await tren(usersWith(ctx), '_lock')).toEqual([1, 1, 0, 0]);
    for (const cfg of ['database_prefix=0\n', 'database_prefix=\n', 'database_prefix=0\r\n', 'database_prefix=1\ndatabase_prefix=0\n']) {
      const users = usersWith(ctx, { '/var/cpanel/cpanel.config': cfg });
      expect(await tren(users, 'web_user'), JSON.stringify(cfg)).toEqual([1, 0, 0, 1]);
      expect(await tren(users, '_ab')).toEqual([1, 0, 0, 1]);
    }
  });

  it('cpanel.config: "#" lines, keys with spaces and Perl-true values keep the default', async () => {
    for (const cfg of [
      '#database_prefix=0\n',
      'database_prefix =0\n',
      'database_prefix=00\n',
      'database_prefix=0\ndatabase_prefix=1\n',
      'database_prefix\n',
      '',
    ]) {
      expect(await tren(usersWith(ctx, { '/var/cpanel/cpanel.config': cfg }), 'web_user'), JSON.stringify(cfg)).toEqual([1, 0, 0, 0]);
    }
  });

  it('leading digits: invalid for both; with /etc/allowstupidstuff valid (still reserved by the regex)', async () => {
    expect(await tren(usersWith(ctx), '1abc')).toEqual([0, 0, 0, 0]);
    const stupid = usersWith(ctx, { '/etc/allowstupidstuff': '' });
    expect(await tren(stupid, '1abc')).toEqual([1, 0, 0, 1]);
    expect(await tren(stupid, '123')).toEqual([1, 1, 0, 1]);
    expect(await tren(stupid, '1a-b')).toEqual([1, 0, 0, 0]);
    expect(await tren(stupid, '.ab')).toEqual([0, 0, 0, 0]);
    expect(await tren(stupid, '-ab')).toEqual([0, 0, 0, 0]);
  });

  it('/etc/allowstupidstuff: any file type counts; a dangling symlink does not', async () => {
    ctx.fs.mkdirSync(`${ctx.root}/etc/allowstupidstuff`, { recursive: true });
    expect(await tren(usersWith(ctx), '1abc')).toEqual([1, 0, 0, 1]);
    ctx.fs.rmdirSync(`${ctx.root}/etc/allowstupidstuff`);
    ctx.fs.symlinkSync(`${ctx.root}/etc/nothing-here`, `${ctx.root}/etc/allowstupidstuff`);
    expect(await tren(usersWith(ctx), '1abc')).toEqual([0, 0, 0, 0]);
  });

  it('the trailing-newline quirk: valid_for_new 1, valid_for_transfer 0, and only one newline', async () => {
    const users = usersWith(ctx);
    expect(await tren(users, 'bob\n')).toEqual([0, 0, 0, 1]);
    expect(await tren(users, 'bob\n\n')).toEqual([0, 0, 0, 0]);
    expect(await tren(users, 'bob\r\n')).toEqual([0, 0, 0, 0]);
    expect(await tren(users, '\nbob')).toEqual([0, 0, 0, 0]);
    expect(await tren(users, 'a'.repeat(16) + '\n')).toEqual([0, 0, 0, 1]);
  });

  it('upper case, other characters and non-ASCII are invalid for both; reserved only by an exact alias', async () => {
    const users = usersWith(ctx, { '/etc/aliases': 'b+c: x\né: x\n' });
    for (const n of ['Abc', 'a@b', 'a/b', 'ab c', 'josé']) expect(await tren(users, n), n).toEqual([0, 0, 0, 0]);
    expect(await tren(users, 'b+c')).toEqual([0, 1, 0, 0]);
    expect(await tren(users, 'é')).toEqual([0, 1, 0, 0]);
  });
});

describe('validate_system_user flags are independent', () => {
  it('root and a group-only name', async () => {
    // Covered per-flag above; here the spec's "flags independent" sentence as one assertion.
    const { systemUserFlags } = await import('../../src/users/index.js');
    const ctx = { passwd: undefined, reservedNames: new Set<string>(['root']), allowStupidStuff: false, databasePrefix: true };
    expect(systemUserFlags(ctx, 'root')).toEqual({ valid_for_transfer: true, reserved: true, exists: true, valid_for_new: true });
  });
});
