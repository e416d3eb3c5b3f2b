import { describe, expect, it } from 'vitest';
import { Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks, seed } from '../helpers/disks.js';
import { seedUsersFixture } from './fixture-tree.js';

describeOnDisks('Users look-ups on the sample tree', (ctx) => {
  it('reads passwd entries (first match, exact case)', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await userLookup(users).passwdEntry('bob')).toEqual({ name: 'bob', uid: 1001, gid: 1001, gecos: '', home: '/home/bob', shell: '/bin/bash' });
    expect(await userLookup(users).passwdEntry('alice')).toMatchObject({ uid: 1002, gecos: 'Alice Example' });
    expect(await userLookup(users).passwdEntry('Bob')).toBeUndefined();
    expect(await userLookup(users).passwdEntry('brokenuid')).toBeUndefined();
    expect(await userLookup(users).passwdEntry('nobody-here')).toBeUndefined();
  });

  it('reads group gids', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await userLookup(users).groupGid('wheel')).toBe(10);
    expect(await userLookup(users).groupGid('developers')).toBe(2000);
    expect(await userLookup(users).groupGid('nope')).toBeUndefined();
  });

  it('lists cPanel accounts and reads their cpuser files', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await userLookup(users).cpanelAccounts()).toEqual(['acmewidgets', 'alice', 'bob']);
    expect(await userLookup(users).isCpanelAccount('bob')).toBe(true);
    expect(await userLookup(users).isCpanelAccount('carol')).toBe(false);
    expect(await userLookup(users).isCpanelAccount('../../etc/passwd')).toBe(false);
    expect(await userLookup(users).themeOf('bob')).toBe('jupiter');
    expect(await userLookup(users).themeOf('carol')).toBeUndefined();
    expect((await userLookup(users).cpanelUserFile('alice'))?.DNS).toBe('alice.example');
    expect(await userLookup(users).cpanelUserFile('carol')).toBeUndefined();
  });

  it('answers domain owners from /etc/userdomains', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await userLookup(users).domainOwner('bob.example')).toBe('bob');
    expect(await userLookup(users).domainOwner('shop.alice.example')).toBe('alice');
    expect(await userLookup(users).domainOwner('*')).toBe('nobody');
    expect(await userLookup(users).domainOwner('unknown.example')).toBeUndefined();
  });

  it('treats missing files as absent for look-ups', async () => {
    const users = new Users(ctx.disk);
    expect(await userLookup(users).passwdEntry('bob')).toBeUndefined();
    expect(await userLookup(users).groupGid('bob')).toBeUndefined();
    expect(await userLookup(users).cpanelAccounts()).toEqual([]);
    expect(await userLookup(users).domainOwner('bob.example')).toBeUndefined();
  });

  it('sees changes after refresh()', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk, { checkIntervalMs: 60_000 });
    expect(await userLookup(users).passwdEntry('dave')).toBeUndefined();
    seed(ctx, '/etc/passwd', 'dave:x:1010:1010::/home/dave:/bin/bash\n');
    expect(await userLookup(users).passwdEntry('dave')).toBeUndefined(); // still within the interval
    users.refresh();
    expect(await userLookup(users).passwdEntry('dave')).toMatchObject({ uid: 1010 });
  });

  it('answers validate_system_user and verify_new_username on the sample tree', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await users.validateSystemUser({ user: 'bob' })).toEqual({ valid_for_transfer: true, reserved: false, exists: true, valid_for_new: true });
    await expect(users.verifyNewUsername({ user: 'bob' })).rejects.toMatchObject({
      code: 'E_USERNAME',
      message: 'This system already has an account named “bob”.',
    });
    await expect(users.verifyNewUsername({ user: 'wheel' })).rejects.toMatchObject({ message: 'This system already has a group named “wheel”.' });
    await expect(users.verifyNewUsername({ user: 'newbie' })).resolves.toBeUndefined();
  });
});

describe('Users options', () => {
  it('rejects a negative interval', async () => {
    const { Disk } = await import('../../src/io/index.js');
    expect(() => new Users(new Disk({ root: '/nonexistent' }), { checkIntervalMs: -1 })).toThrow(/checkIntervalMs/);
  });
});
