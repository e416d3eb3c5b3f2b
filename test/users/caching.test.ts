/**
 * Change detection (issue #3 §5): parsed files are re-read only when size + mtime + inode change,
 * checked at most every `checkIntervalMs` (a manual clock steps it here), or after refresh().
 */
import { expect, it } from 'vitest';
import { Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks, hostPath, seed } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { EMPTY_SYSTEM, manualClock, seedFiles } from './helpers.js';
import type { UsernameTarget } from '../../src/users/index.js';

describeOnDisks('Users caches', (ctx) => {
  const counted = () => {
    const f = faultyFs(ctx.fs, []);
    return {
      disk: ctx.make({ fs: f.fs }),
      opens: (needle: string) => f.calls.filter((c) => c.startsWith('open ') && c.includes(needle)).length,
      calls: f.calls,
    };
  };

  it('serves from memory within the interval, stats after it, re-reads only on change', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/passwd': 'bob:x:1:1\n' });
    const clock = manualClock();
    const c = counted();
    const users = new Users(c.disk, { checkIntervalMs: 1000, clock: clock.now });
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true);
    expect(c.opens('/etc/passwd')).toBe(1);

    seed(ctx, '/etc/passwd', 'alice:x:2:2\n');
    clock.advance(999);
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true); // within the interval: no I/O
    const callsBefore = c.calls.length;
    expect((await users.validateSystemUser({ user: 'alice' })).exists).toBe(false);
    expect(c.calls.length).toBe(callsBefore);

    clock.advance(1);
    expect((await users.validateSystemUser({ user: 'alice' })).exists).toBe(true);
    expect(c.opens('/etc/passwd')).toBe(2);

    clock.advance(5000);
    expect((await users.validateSystemUser({ user: 'alice' })).exists).toBe(true); // unchanged: stat only
    expect(c.opens('/etc/passwd')).toBe(2);
  });

  it('checkIntervalMs 0 stats on every question', async () => {
    seedFiles(ctx, EMPTY_SYSTEM);
    const users = new Users(ctx.disk, { checkIntervalMs: 0 });
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(false);
    seed(ctx, '/etc/passwd', 'bob:x:1:1\n');
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true);
  });

  it('detects a same-size rewrite by its mtime', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/passwd': 'bob:x:1:1\n' });
    const h = hostPath(ctx, '/etc/passwd');
    ctx.fs.utimesSync(h, 1_000_000, 1_000_000);
    const users = new Users(ctx.disk, { checkIntervalMs: 0 });
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true);
    ctx.fs.writeFileSync(h, 'bib:x:1:1\n');
    ctx.fs.utimesSync(h, 2_000_000, 2_000_000);
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(false);
    expect((await users.validateSystemUser({ user: 'bib' })).exists).toBe(true);
  });

  it('detects a same-size, same-mtime replacement by its inode (rename over)', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/passwd': 'bob:x:1:1\n' });
    const h = hostPath(ctx, '/etc/passwd');
    ctx.fs.utimesSync(h, 1_000_000, 1_000_000);
    const users = new Users(ctx.disk, { checkIntervalMs: 0 });
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true);
    ctx.fs.writeFileSync(h + '.new', 'bib:x:1:1\n');
    ctx.fs.utimesSync(h + '.new', 1_000_000, 1_000_000);
    ctx.fs.renameSync(h + '.new', h);
    expect((await users.validateSystemUser({ user: 'bib' })).exists).toBe(true);
  });

  it('refresh() drops every cache at once', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/aliases': 'a1: x\n', '/var/cpanel/users/bob': 'RS=jupiter\n', '/etc/userdomains': 'bob.example: bob\n' });
    const users = new Users(ctx.disk, { checkIntervalMs: 3_600_000 });
    expect(await users.checkReserved({ user: 'a1' })).toBe(true);
    expect(await userLookup(users).themeOf('bob')).toBe('jupiter');
    expect(await userLookup(users).domainOwner('bob.example')).toBe('bob');
    seedFiles(ctx, {
      '/etc/aliases': 'a2: x\n',
      '/var/cpanel/users/bob': 'RS=paper_lantern\n',
      '/etc/userdomains': 'bob.example: carol\n',
      '/var/cpanel/users/carol': 'RS=jupiter\n',
    });
    expect(await users.checkReserved({ user: 'a1' })).toBe(true);
    expect(await userLookup(users).cpanelAccounts()).toEqual(['bob']);
    users.refresh();
    expect(await users.checkReserved({ user: 'a1' })).toBe(false);
    expect(await users.checkReserved({ user: 'a2' })).toBe(true);
    expect(await userLookup(users).themeOf('bob')).toBe('paper_lantern');
    expect(await userLookup(users).domainOwner('bob.example')).toBe('carol');
    expect(await userLookup(users).cpanelAccounts()).toEqual(['bob', 'carol']);
  });

  it('each file change is seen: aliases, allowstupidstuff, cpanel.config, accounts, cpuser', async () => {
    seedFiles(ctx, EMPTY_SYSTEM);
    const clock = manualClock();
    const users = new Users(ctx.disk, { checkIntervalMs: 10, clock: clock.now });
    const step = () => clock.advance(10);
    expect(await users.checkReserved({ user: 'newalias' })).toBe(false);
    expect((await users.validateSystemUser({ user: '1abc' })).valid_for_new).toBe(false);
    expect((await users.validateSystemUser({ user: 'web_user' })).valid_for_new).toBe(false);
    expect(await userLookup(users).cpanelAccounts()).toEqual([]);

    await new Promise((r) => setTimeout(r, 2)); // see below: memfs's millisecond timestamps
    seedFiles(ctx, {
      '/etc/localaliases': 'newalias: x\n',
      '/etc/allowstupidstuff': '',
      '/var/cpanel/cpanel.config': 'database_prefix=0\n',
      '/var/cpanel/users/dave': 'RS=jupiter\n',
    });
    step();
    expect(await users.checkReserved({ user: 'newalias' })).toBe(true);
    expect((await users.validateSystemUser({ user: '1abc' })).valid_for_new).toBe(true);
    expect((await users.validateSystemUser({ user: 'web_user' })).valid_for_new).toBe(true);
    expect(await userLookup(users).cpanelAccounts()).toEqual(['dave']);
    expect(await userLookup(users).themeOf('dave')).toBe('jupiter');

    // memfs keeps millisecond timestamps: a directory changed twice within one millisecond looks
    // unchanged to any stat-validated cache (a real disk has nanoseconds). Let one pass.
    await new Promise((r) => setTimeout(r, 2));
    ctx.fs.unlinkSync(hostPath(ctx, '/etc/allowstupidstuff'));
    ctx.fs.unlinkSync(hostPath(ctx, '/var/cpanel/users/dave'));
    step();
    expect((await users.validateSystemUser({ user: '1abc' })).valid_for_new).toBe(false);
    expect(await userLookup(users).isCpanelAccount('dave')).toBe(false);
    expect(await userLookup(users).themeOf('dave')).toBeUndefined();
  });

  it('keeps cpuser caches of current accounts only: a terminated account does not stay in memory', async () => {
    // Long life: a daemon on a server whose accounts come and go must not keep one cache entry
    // per account it ever saw (the old code dropped an entry only when that name was asked again).
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/var/cpanel/users/bob': 'RS=jupiter\n' });
    const users = new Users(ctx.disk, { checkIntervalMs: 0 });
    const lookup = userLookup(users);
    const cached = () => (users as unknown as { cpusers: Map<string, unknown> }).cpusers;
    const tick = () => new Promise((r) => setTimeout(r, 2)); // memfs: millisecond directory mtimes
    expect(await lookup.themeOf('bob')).toBe('jupiter');
    for (let i = 0; i < 20; i++) {
      await tick();
      seed(ctx, `/var/cpanel/users/c${i}`, `RS=theme${i}\n`);
      expect(await lookup.themeOf(`c${i}`)).toBe(`theme${i}`);
      await tick();
      ctx.fs.unlinkSync(hostPath(ctx, `/var/cpanel/users/c${i}`));
      expect(await lookup.themeOf('bob')).toBe('jupiter');
    }
    expect([...cached().keys()]).toEqual(['bob']);
    // Names that are no accounts never get an entry.
    expect(await lookup.themeOf('nobody-here')).toBeUndefined();
    expect(await lookup.cpanelUserFile('../etc')).toBeUndefined();
    expect([...cached().keys()]).toEqual(['bob']);
  });

  it('concurrent questions share one read (single flight)', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/passwd': 'bob:x:1:1\n' });
    const c = counted();
    const users = new Users(c.disk);
    const answers = await Promise.all(Array.from({ length: 50 }, () => users.validateSystemUser({ user: 'bob' })));
    expect(answers.every((a) => a.exists)).toBe(true);
    expect(c.opens('/etc/passwd')).toBe(1);
  });

  it('an unreadable file is retried at the next check, not cached as unreadable', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/passwd': 'bob:x:1:1\n' });
    const f = faultyFs(ctx.fs, [{ op: 'open', path: '/etc/passwd', code: 'EACCES', nth: 1 }]);
    const users = new Users(ctx.make({ fs: f.fs }), { checkIntervalMs: 0 });
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(false);
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true);
  });

  it('a failed read is not served for the rest of the interval: the very next question reads again', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/passwd': 'bob:x:1:1\n' });
    const f = faultyFs(ctx.fs, [{ op: 'open', path: '/etc/passwd', code: 'EMFILE', nth: 1 }]);
    const clock = manualClock();
    const users = new Users(ctx.make({ fs: f.fs }), { checkIntervalMs: 60_000, clock: clock.now });
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(false);
    // No time has passed, and the interval is a minute: the answer still comes from a new read.
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true);
    // Once read, it is served from memory within the interval again.
    const opens = f.calls.filter((c) => c.startsWith('open ') && c.includes('/etc/passwd')).length;
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(true);
    expect(f.calls.filter((c) => c.startsWith('open ') && c.includes('/etc/passwd')).length).toBe(opens);
  });

  it('a failing accounts listing is an error, and the next question tries again', async () => {
    seedFiles(ctx, { '/var/cpanel/users/bob': 'RS=jupiter\n' });
    const f = faultyFs(ctx.fs, [{ op: 'lstat', path: '/var/cpanel/users/bob', code: 'EIO', nth: 1 }]);
    const users = new Users(ctx.make({ fs: f.fs }), { checkIntervalMs: 0 });
    await expect(userLookup(users).cpanelAccounts()).rejects.toMatchObject({ code: 'E_IO' });
    expect(await userLookup(users).cpanelAccounts()).toEqual(['bob']);
  });

  it('validateSystemUserSync: undefined before the first load, then answers and reloads in the background', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/passwd': 'bob:x:1:1\n' });
    const clock = manualClock();
    const users = new Users(ctx.disk, { checkIntervalMs: 100, clock: clock.now });
    expect(users.validateSystemUserSync({ user: 'bob' })).toBeUndefined();
    expect(() => users.validateSystemUserSync({} as UsernameTarget)).toThrow(expect.objectContaining({ code: 'E_MISSING_PARAM' }));
    await users.validateSystemUser({ user: 'root' });
    expect(users.validateSystemUserSync({ user: 'bob' })).toEqual({ valid_for_transfer: true, reserved: false, exists: true, valid_for_new: true });
    expect(Object.isFrozen(users.validateSystemUserSync({ user: 'bob' }))).toBe(true); // memoized answers are shared

    seed(ctx, '/etc/passwd', 'carol:x:2:2\n');
    clock.advance(100);
    expect(users.validateSystemUserSync({ user: 'carol' })?.exists).toBe(false); // previous state while the check runs
    await new Promise((r) => setTimeout(r, 20)); // let the background check land
    expect(users.validateSystemUserSync({ user: 'carol' })?.exists).toBe(true);
    expect(users.validateSystemUserSync({ user: 'bob' })?.exists).toBe(false);
  });

  it('refresh() during an in-flight read: the read’s old bytes are not cached', async () => {
    seedFiles(ctx, { ...EMPTY_SYSTEM, '/etc/passwd': 'bob:x:1:1\n' });
    // When /etc/passwd is closed its old bytes have been read but the load has not returned:
    // change the file and call refresh() right there.
    let passwdFd = -1;
    let onClose: (() => void) | undefined;
    const fs = new Proxy(ctx.fs, {
      get(t, p, r) {
        const v = Reflect.get(t, p, r) as unknown;
        if (p === 'openSync') {
          return (...a: unknown[]) => {
            const fd = (v as (...x: unknown[]) => number).apply(t, a);
            if (String(a[0]).endsWith('/etc/passwd')) passwdFd = fd;
            return fd;
          };
        }
        if (p === 'closeSync') {
          return (fd: number) => {
            (v as (fd: number) => void).call(t, fd);
            if (fd === passwdFd && onClose) {
              const run = onClose;
              onClose = undefined;
              run();
            }
          };
        }
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
      },
    });
    const users = new Users(ctx.make({ fs }), { checkIntervalMs: 3_600_000 });
    onClose = () => {
      seed(ctx, '/etc/passwd', 'carol:x:2:2\n');
      users.refresh();
    };
    await users.validateSystemUser({ user: 'bob' });
    expect(onClose).toBeUndefined();
    expect((await users.validateSystemUser({ user: 'carol' })).exists).toBe(true);
    expect((await users.validateSystemUser({ user: 'bob' })).exists).toBe(false);
  });
});
