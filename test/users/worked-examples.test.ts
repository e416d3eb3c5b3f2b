/**
 * usernames.md §9: the twelve worked examples, both the four flags and both verify calls, on
 * memfs and a real temp dir. Default config; only the named entries exist.
 */
import { expect, it } from 'vitest';
import { describeOnDisks } from '../helpers/disks.js';
import { tren, usersWith, verdict } from './helpers.js';

const BOB = { '/etc/passwd': 'bob:x:1001:1001::/home/bob:/bin/bash\n' };
const SUPPORT = { '/etc/aliases': 'Support: postmaster\n' };
const prefixMsg = (name: string) =>
  `The name of another account on this server has the same initial 8 characters as the given username (${name}). Each username’s first 8 characters must be unique.`;

interface Example {
  n: number;
  input: string;
  files: Record<string, string>;
  T: number;
  R: number;
  E: number;
  N: number;
  create: string;
  restore: string;
}

const examples: Example[] = [
  {
    n: 1,
    input: 'bob',
    files: BOB,
    T: 1,
    R: 0,
    E: 1,
    N: 1,
    create: 'This system already has an account named “bob”.',
    restore: 'This system already has an account named “bob”.',
  },
  {
    n: 2,
    input: 'root',
    files: {},
    T: 1,
    R: 1,
    E: 1,
    N: 1,
    create: '“root” is a reserved username on this system.',
    restore: '“root” is a reserved username on this system.',
  },
  {
    n: 3,
    input: 'test',
    files: {},
    T: 1,
    R: 1,
    E: 0,
    N: 1,
    create: '“test” is a reserved username on this system.',
    restore: '“test” is a reserved username on this system.',
  },
  {
    n: 4,
    input: 'Support',
    files: SUPPORT,
    T: 0,
    R: 1,
    E: 0,
    N: 0,
    create: '“Support” is not a valid username on this system.',
    restore: '“Support” is not a valid username on this system.',
  },
  { n: 5, input: 'support', files: SUPPORT, T: 1, R: 0, E: 0, N: 1, create: 'OK', restore: 'OK' },
  { n: 6, input: 'web_user', files: {}, T: 1, R: 0, E: 0, N: 0, create: '“web_user” is not a valid username on this system.', restore: 'OK' },
  {
    n: 7,
    input: '0',
    files: {},
    T: 0,
    R: 0,
    E: 0,
    N: 0,
    create: '“0” is not a valid username on this system.',
    restore: '“0” is not a valid username on this system.',
  },
  {
    n: 8,
    input: '123',
    files: {},
    T: 0,
    R: 1,
    E: 0,
    N: 0,
    create: '“123” is not a valid username on this system.',
    restore: '“123” is not a valid username on this system.',
  },
  { n: 9, input: 'bob\n', files: BOB, T: 0, R: 0, E: 0, N: 1, create: 'OK', restore: '“bob\n” is not a valid username on this system.' },
  {
    n: 10,
    input: 'brokenuid',
    files: { '/etc/passwd': 'brokenuid:x\n' },
    T: 1,
    R: 0,
    E: 0,
    N: 1,
    create: 'This system already has an account named “brokenuid”.',
    restore: 'This system already has an account named “brokenuid”.',
  },
  {
    n: 11,
    input: 'newsletter',
    files: { '/etc/aliases': 'newsletter\n' },
    T: 1,
    R: 1,
    E: 0,
    N: 1,
    create: '“newsletter” is a reserved username on this system.',
    restore: '“newsletter” is a reserved username on this system.',
  },
  {
    n: 12,
    input: 'acmewidg2',
    files: { '/etc/dbowners': 'acmewidgets: acmewidgets\n' },
    T: 1,
    R: 0,
    E: 0,
    N: 1,
    create: prefixMsg('acmewidg2'),
    restore: prefixMsg('acmewidg2'),
  },
];

describeOnDisks('usernames.md §9 worked examples', (ctx) => {
  for (const ex of examples) {
    it(`#${ex.n} ${JSON.stringify(ex.input)}`, async () => {
      const users = usersWith(ctx, ex.files);
      expect(await tren(users, ex.input)).toEqual([ex.T, ex.R, ex.E, ex.N]);
      expect(await verdict(users.verifyNewUsername({ user: ex.input }))).toBe(ex.create);
      expect(await verdict(users.verifyNewUsernameForRestore({ user: ex.input }))).toBe(ex.restore);
    });
  }

  it('#6 with database_prefix=0: valid for new, verify_new_username passes', async () => {
    const users = usersWith(ctx, { '/var/cpanel/cpanel.config': 'database_prefix=0\n' });
    expect(await tren(users, 'web_user')).toEqual([1, 0, 0, 1]);
    expect(await verdict(users.verifyNewUsername({ user: 'web_user' }))).toBe('OK');
  });

  it('#7 with /etc/allowstupidstuff: T=1, N=1, R=0, both verify calls OK', async () => {
    const users = usersWith(ctx, { '/etc/allowstupidstuff': '' });
    expect(await tren(users, '0')).toEqual([1, 0, 0, 1]);
    expect(await verdict(users.verifyNewUsername({ user: '0' }))).toBe('OK');
    expect(await verdict(users.verifyNewUsernameForRestore({ user: '0' }))).toBe('OK');
  });

  it('failures are E_USERNAME errors about the “user” parameter', async () => {
    const users = usersWith(ctx, BOB);
    await expect(users.verifyNewUsername({ user: 'bob' })).rejects.toMatchObject({ name: 'LinkstoreError', code: 'E_USERNAME', param: 'user' });
  });
});
