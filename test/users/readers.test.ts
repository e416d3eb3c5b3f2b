/**
 * The readers one by one (issue #3 §1-2): pure parsers on text, then the look-ups other modules
 * use (uid/gid, cPanel accounts, cpuser files and themes, domain owners) on memfs and a temp dir.
 */
import { describe, expect, it } from 'vitest';
import { parseAliasNames } from '../../src/users/aliases.js';
import { parseColonFile } from '../../src/users/colon-file.js';
import { parseCpanelConfig } from '../../src/users/cpanel-config.js';
import { parseCpuser } from '../../src/users/cpuser.js';
import { dbownerForm, parseDbowners } from '../../src/users/dbowners.js';
import { groupGidOf } from '../../src/users/group.js';
import { parseKeyValue } from '../../src/users/key-value.js';
import { passwdEntryOf, passwdExists } from '../../src/users/passwd.js';
import { parseUserdomains } from '../../src/users/userdomains.js';
import { Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks, hostPath } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { seedFiles } from './helpers.js';

describe('passwd and group parsing', () => {
  it('hands out the first entry with decimal ids; non-numeric ids are not 0', () => {
    const p = parseColonFile('bob:x:1001:100:Bob B:/home/bob:/bin/bash\nbob:x:2:2::/:/bin/sh\nweird:x:abc:1::/:\nbig:x:99999999999:1::/:\nnoshell:x:5:5\n');
    expect(passwdEntryOf(p, 'bob')).toEqual({ name: 'bob', uid: 1001, gid: 100, gecos: 'Bob B', home: '/home/bob', shell: '/bin/bash' });
    expect(passwdEntryOf(p, 'weird')).toBeUndefined();
    expect(passwdEntryOf(p, 'big')).toBeUndefined();
    expect(passwdEntryOf(p, 'noshell')).toEqual({ name: 'noshell', uid: 5, gid: 5, gecos: '', home: '', shell: '' });
  });

  it('keeps CRLF in the last field only', () => {
    const p = parseColonFile('bob:x:1:1::/home/bob:/bin/bash\r\n');
    expect(passwdEntryOf(p, 'bob')?.shell).toBe('/bin/bash\r');
    expect(passwdExists(p, 'bob')).toBe(true);
  });

  it('decodes UTF-8 text fields for callers', () => {
    const text = Buffer.from('bob:x:1:1:Zoë:/home/bob:/bin/sh\n', 'utf8').toString('latin1');
    expect(passwdEntryOf(parseColonFile(text), 'bob')?.gecos).toBe('Zoë');
  });

  it('group gid: first line, decimal third field', () => {
    const g = parseColonFile('wheel:x:10:root\nwheel:x:11:\nodd:x::\n');
    expect(groupGidOf(g, 'wheel')).toBe(10);
    expect(groupGidOf(g, 'odd')).toBeUndefined();
    expect(groupGidOf(g, 'none')).toBeUndefined();
  });

  it('answers the same before and after building its index', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `u${i}:x:${i}:${i}`);
    const p = parseColonFile(['u3:x::9', ...lines, ' lead:x:1:1', 'u7:x:99:99'].join('\n'));
    const ask = () => ['u3', 'u7', 'u49', 'lead', ' lead', 'u50', 'a:b'].map((n) => [passwdExists(p, n), passwdEntryOf(p, n)?.uid]);
    const first = ask(); // fewer questions than the index threshold
    for (let i = 0; i < 20; i++) ask();
    expect(ask()).toEqual(first);
    expect(first).toEqual([
      [false, undefined],
      [true, 7],
      [true, 49],
      [false, undefined],
      [false, 1],
      [false, undefined],
      [false, undefined],
    ]);
  });
});

describe('alias names', () => {
  it('splits on runs of \\n, keeps \\r, takes text before the first colon', () => {
    expect(parseAliasNames('\n\na: b\n\n\nc\r\nd:e:f\n')).toEqual(['a', 'c\r', 'd']);
  });
  it('drops empty candidates and ones with space, colon, # or TAB', () => {
    expect(parseAliasNames(':x\n#c: d\na b: c\na\tb: c\n x: y\nok\n')).toEqual(['ok']);
  });
});

describe('key=value files', () => {
  it('split at the first separator; drop one \\r; skip # and separator-less lines; last wins', () => {
    const kv = parseKeyValue('#a=1\na=2=3\r\nb\nc=\n a=4\na=5\r\r\n', '=');
    expect([...kv]).toEqual([
      ['a', '5\r'],
      ['c', ''],
      [' a', '4'],
    ]);
  });

  it('cpanel.config flags: defaults, Perl-false values', () => {
    expect(parseCpanelConfig('')).toEqual({ databasePrefix: true, forceShortPrefix: false });
    expect(parseCpanelConfig('database_prefix=0\nforce_short_prefix=1\n')).toEqual({ databasePrefix: false, forceShortPrefix: true });
    expect(parseCpanelConfig('database_prefix=\nforce_short_prefix=0\n')).toEqual({ databasePrefix: false, forceShortPrefix: false });
    expect(parseCpanelConfig('force_short_prefix=00\r\n')).toEqual({ databasePrefix: true, forceShortPrefix: true });
  });

  it('dbowners: `user: dbowner` as dbowner → user; the dbowner form drops _ and .', () => {
    expect([...parseDbowners('bob: bob\nweb_user: webuser\nbad:nospace\n')]).toEqual([
      ['bob', 'bob'],
      ['webuser', 'web_user'],
    ]);
    expect(dbownerForm('a_b.c_')).toBe('abc');
  });

  it('cpuser: a plain record; __proto__ is only a key', () => {
    const r = parseCpuser('# cPanel\nRS=jupiter\r\nDNS=example.com\nCONTACTEMAIL=a=b@example.com\n__proto__=x\n');
    expect(r.RS).toBe('jupiter');
    expect(r.CONTACTEMAIL).toBe('a=b@example.com');
    expect(Object.getPrototypeOf(r)).toBeNull();
    expect(r['__proto__']).toBe('x');
  });

  it('userdomains: cPanel’s loader rules (\\s*:\\s* split, # and ; comments, last wins)', () => {
    const text = 'a.example: bob\r\n*: nobody\nb.example:carol\nc.example  :\tdave\n# x: y\n  ;z: w\nnocolon\n\na.example: erin\nd.example: f: g\n';
    expect([...parseUserdomains(text)]).toEqual([
      ['a.example', 'erin'],
      ['*', 'nobody'],
      ['b.example', 'carol'],
      ['c.example', 'dave'],
      ['d.example', 'f: g'],
    ]);
    expect(parseUserdomains('e.example: x\r').get('e.example')).toBe('x\r'); // only \r\n is a line end
  });
});

describeOnDisks('look-ups for other modules', (ctx) => {
  it('accounts are regular files in /var/cpanel/users (symlinks followed inside the root), sorted', async () => {
    seedFiles(ctx, { '/var/cpanel/users/zed': 'RS=jupiter\n', '/var/cpanel/users/amy': 'RS=jupiter\n', '/var/cpanel/real/lnk': 'RS=x3\n' });
    ctx.fs.mkdirSync(hostPath(ctx, '/var/cpanel/users/cache'));
    ctx.fs.symlinkSync(hostPath(ctx, '/var/cpanel/real/lnk'), hostPath(ctx, '/var/cpanel/users/lnk'));
    ctx.fs.symlinkSync(hostPath(ctx, '/var/cpanel/nothing'), hostPath(ctx, '/var/cpanel/users/dangling'));
    ctx.fs.symlinkSync('/', hostPath(ctx, '/var/cpanel/users/outside'));
    const users = new Users(ctx.disk);
    expect(await userLookup(users).cpanelAccounts()).toEqual(['amy', 'lnk', 'zed']);
    expect(await userLookup(users).isCpanelAccount('cache')).toBe(false);
    expect(await userLookup(users).themeOf('lnk')).toBe('x3');
    expect(await userLookup(users).themeOf('dangling')).toBeUndefined();
    for (const bad of ['', '.', '..', 'a/b', '../users/amy']) expect(await userLookup(users).isCpanelAccount(bad), bad).toBe(false);
  });

  it('cpanelUserFile returns a copy: mutating it does not change the cache', async () => {
    seedFiles(ctx, { '/var/cpanel/users/amy': 'RS=jupiter\nDNS=amy.example\n' });
    const users = new Users(ctx.disk);
    const r = await userLookup(users).cpanelUserFile('amy');
    expect(r).toEqual(Object.assign(Object.create(null), { RS: 'jupiter', DNS: 'amy.example' }));
    (r as Record<string, string>).RS = 'changed';
    expect(await userLookup(users).themeOf('amy')).toBe('jupiter');
  });

  it('an unreadable cpuser file or userdomains is an error, not “absent”', async () => {
    seedFiles(ctx, { '/var/cpanel/users/amy': 'RS=jupiter\n', '/etc/userdomains': 'a.example: amy\n', '/etc/passwd': '', '/etc/group': '' });
    const { fs } = faultyFs(ctx.fs, [
      { op: 'open', path: (p) => p.endsWith('/users/amy') || p.endsWith('/userdomains') || p.endsWith('/group'), code: 'EACCES' },
    ]);
    const users = new Users(ctx.make({ fs }));
    await expect(userLookup(users).themeOf('amy')).rejects.toMatchObject({ code: 'E_IO' });
    await expect(userLookup(users).domainOwner('a.example')).rejects.toMatchObject({ code: 'E_IO' });
    await expect(userLookup(users).groupGid('amy')).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('uid/gid and primary group for chown', async () => {
    seedFiles(ctx, { '/etc/passwd': 'amy:x:1500:1600::/home/amy:/bin/bash\n', '/etc/group': 'amygrp:x:1600:\n' });
    const users = new Users(ctx.disk);
    const e = await userLookup(users).passwdEntry('amy');
    expect(e).toMatchObject({ uid: 1500, gid: 1600 });
    expect(await userLookup(users).groupGid('amygrp')).toBe(1600);
  });
});
