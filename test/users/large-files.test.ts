/**
 * Large files (issue #3 tests): a 20k-line passwd and a 2k-line aliases parse correctly through
 * the cached readers, before and after the per-name index is built.
 */
import { expect, it } from 'vitest';
import { Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks } from '../helpers/disks.js';
import { seedFiles } from './helpers.js';

const PASSWD_LINES = 20_000;
const ALIAS_LINES = 2_000;
const userName = (i: number) => `u${i.toString(36)}z${i % 97}`;

function bigPasswd(): string {
  const lines = ['root:x:0:0:root:/root:/bin/bash'];
  for (let i = 1; i < PASSWD_LINES - 2; i++) lines.push(`${userName(i)}:x:${1000 + i}:${2000 + i}:User ${i}:/home/${userName(i)}:/bin/bash`);
  lines.push(`${userName(5)}:x:9999:9999:duplicate, never seen::/bin/sh`); // first match wins
  lines.push('lastline:x:77:77::/:/bin/sh'); // no trailing newline
  return lines.join('\n');
}

function bigAliases(): string {
  const lines = ['# generated'];
  for (let i = 1; i < ALIAS_LINES; i++)
    lines.push(i % 4 === 0 ? `bare${i}` : i % 4 === 1 ? `al${i}: target${i}` : i % 4 === 2 ? `  continuation ${i}` : `sp${i} : t`);
  return lines.join('\n') + '\n';
}

describeOnDisks('large files', (ctx) => {
  it(`${PASSWD_LINES}-line passwd: every user, first match, last line`, async () => {
    seedFiles(ctx, { '/etc/passwd': bigPasswd(), '/etc/group': '' });
    const users = new Users(ctx.disk);
    expect((await userLookup(users).passwdEntry(userName(5)))?.uid).toBe(1005);
    expect((await userLookup(users).passwdEntry('lastline'))?.gid).toBe(77);
    for (let i = 1; i < PASSWD_LINES - 2; i += 1) {
      const f = await users.validateSystemUser({ user: userName(i) });
      if (!f.exists) throw new Error(`user ${userName(i)} (line ${i}) not found`);
    }
    expect((await userLookup(users).passwdEntry(userName(PASSWD_LINES - 3)))?.uid).toBe(1000 + PASSWD_LINES - 3);
    expect((await userLookup(users).passwdEntry(userName(5)))?.uid).toBe(1005);
    expect((await users.validateSystemUser({ user: 'nosuchuser' })).exists).toBe(false);
    expect(await users.checkUserExists({ user: 'lastline' })).toBe(true);
  });

  it(`${ALIAS_LINES}-line aliases: exactly the left-hand sides`, async () => {
    seedFiles(ctx, { '/etc/passwd': '', '/etc/group': '', '/etc/aliases': bigAliases() });
    const users = new Users(ctx.disk);
    for (let i = 1; i < ALIAS_LINES; i++) {
      const expected = i % 4 === 0 ? `bare${i}` : i % 4 === 1 ? `al${i}` : undefined;
      if (expected !== undefined && !(await users.checkReserved({ user: expected }))) throw new Error(`${expected} not reserved`);
    }
    expect(await users.checkReserved({ user: 'sp3' })).toBe(false);
    expect(await users.checkReserved({ user: 'target1' })).toBe(false);
    expect(await users.checkReserved({ user: 'continuation' })).toBe(false);
  });
});
