import { describe, expect, it } from 'vitest';
import { Users } from '../../src/users/index.js';
import { describeOnDisks, seed } from '../helpers/disks.js';
import { seedUsersFixture } from './fixture-tree.js';

describeOnDisks('Users look-ups on the sample tree', (ctx) => {
  it('reads passwd entries (first match, exact case)', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await users.passwdEntry('bob')).toEqual({ name: 'bob', uid: 1001, gid: 1001, gecos: '', home: '/home/bob', shell: '/bin/bash' });
    expect(await users.passwdEntry('alice')).toMatchObject({ uid: 1002, gecos: 'Alice Example' });
    expect(await users.passwdEntry('Bob')).toBeUndefined();
    expect(await users.passwdEntry('brokenuid')).toBeUndefined();
    expect(await users.passwdEntry('nobody-here')).toBeUndefined();
  });

  it('reads group gids', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await users.groupGid('wheel')).toBe(10);
    expect(await users.groupGid('developers')).toBe(2000);
    expect(await users.groupGid('nope')).toBeUndefined();
  });

  it('lists cPanel accounts and reads their cpuser files', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await users.cpanelAccounts()).toEqual(['acmewidgets', 'alice', 'bob']);
    expect(await users.isCpanelAccount('bob')).toBe(true);
    expect(await users.isCpanelAccount('carol')).toBe(false);
    expect(await users.isCpanelAccount('../../etc/passwd')).toBe(false);
    expect(await users.themeOf('bob')).toBe('jupiter');
    expect(await users.themeOf('carol')).toBeUndefined();
    expect((await users.cpanelUserFile('alice'))?.DNS).toBe('alice.example');
    expect(await users.cpanelUserFile('carol')).toBeUndefined();
  });

  it('answers domain owners from /etc/userdomains', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await users.domainOwner('bob.example')).toBe('bob');
    expect(await users.domainOwner('shop.alice.example')).toBe('alice');
    expect(await users.domainOwner('*')).toBe('nobody');
    expect(await users.domainOwner('unknown.example')).toBeUndefined();
  });

  it('treats missing files as absent for look-ups', async () => {
    const users = new Users(ctx.disk);
    expect(await users.passwdEntry('bob')).toBeUndefined();
    expect(await users.groupGid('bob')).toBeUndefined();
    expect(await users.cpanelAccounts()).toEqual([]);
    expect(await users.domainOwner('bob.example')).toBeUndefined();
  });

  it('sees changes after refresh()', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk, { checkIntervalMs: 60_000 });
    expect(await users.passwdEntry('dave')).toBeUndefined();
    seed(ctx, '/etc/passwd', 'dave:x:1010:1010::/home/dave:/bin/bash\n');
    expect(await users.passwdEntry('dave')).toBeUndefined(); // still within the interval
    users.refresh();
    expect(await users.passwdEntry('dave')).toMatchObject({ uid: 1010 });
  });

  it('answers validate_system_user and verify_new_username on the sample tree', async () => {
    seedUsersFixture(ctx);
    const users = new Users(ctx.disk);
    expect(await users.validateSystemUser('bob')).toEqual({ valid_for_transfer: true, reserved: false, exists: true, valid_for_new: true });
    await expect(users.verifyNewUsername('bob')).rejects.toMatchObject({ code: 'E_USERNAME', message: 'This system already has an account named “bob”.' });
    await expect(users.verifyNewUsername('wheel')).rejects.toMatchObject({ message: 'This system already has a group named “wheel”.' });
    await expect(users.verifyNewUsername('newbie')).resolves.toBeUndefined();
  });
});

describe('Users options', () => {
  it('rejects a negative interval', async () => {
    const { Disk } = await import('../../src/io/index.js');
    expect(() => new Users(new Disk({ root: '/nonexistent' }), { checkIntervalMs: -1 })).toThrow(/checkIntervalMs/);
  });
});
