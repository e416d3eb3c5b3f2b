/**
 * Lock interop with a simulated cPanel writer (cpanel-authn-writer.pl, the SafeFile protocol in
 * Perl) and with other library processes. Real temp directories only: processes share the disk.
 */
import * as nodeFs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { children } from '../helpers/children.js';
import { testClock } from '../helpers/clock.js';
import { hostPath, peek, tmpdirCtx, type DiskCtx, settle, expectOwners } from '../helpers/disks.js';
import { LOGIN, USERS, makeStore, rejectsWith, seedServer } from './setup.js';

const here = dirname(fileURLToPath(import.meta.url));
const USER_DB = `${USERS}/bob/bob.db`;
const LINK_DB = `${LOGIN}/google.db`;

describe('authn lock interop [tmpdir]', () => {
  const kids = children();
  let cleanup = () => {};
  afterEach(() => {
    kids.killAll();
    cleanup();
  });

  const setup = (lock: { timeoutMs: number; pollMs?: number; clock?: ReturnType<typeof testClock> } = { timeoutMs: 10_000, pollMs: 20 }): DiskCtx => {
    const ctx = tmpdirCtx({ lock });
    cleanup = ctx.cleanup;
    seedServer(ctx);
    return ctx;
  };
  const start = (cmd: string, args: string[]) => kids.start(cmd, args);
  const perl = (ctx: DiskCtx, ...args: string[]) => start('perl', [join(here, 'cpanel-authn-writer.pl'), ctx.root, 'bob', 'bob', '1001', 'google', ...args]);
  const waitLine = kids.waitLine;
  const subjects = (ctx: DiskCtx) => Object.keys(JSON.parse(peek(ctx, USER_DB) ?? '{}').openid_connect?.google ?? {}).sort();
  const ldbSubjects = (ctx: DiskCtx) => Object.keys(JSON.parse(peek(ctx, LINK_DB) ?? '{}').user?.bob ?? {}).sort();
  const leftovers = (ctx: DiskCtx) =>
    [USERS + '/bob', LOGIN].flatMap((d) => (nodeFs.readdirSync(hostPath(ctx, d)) as string[]).filter((n) => !n.endsWith('.db')));

  it('waits for a live cPanel holder of the per-user DB, never breaks it, and keeps its write', async () => {
    const clock = testClock(true);
    const ctx = setup({ timeoutMs: 10_000, pollMs: 20, clock });
    const { store } = makeStore(ctx);
    const p = perl(ctx, 'hold', '1.2', 'from-cpanel');
    await waitLine(p, 'held');
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'ours' });
    // It polled for the live holder instead of breaking its lock.
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(await kids.exited(p)).toBe(0);
    expect(subjects(ctx)).toEqual(['from-cpanel', 'ours']);
    expect(ldbSubjects(ctx)).toEqual(['from-cpanel', 'ours']);
    await settle();
    expect(leftovers(ctx)).toEqual([]);
    expectOwners(ctx, 'per-user DB group bob', () => expect(nodeFs.statSync(hostPath(ctx, USER_DB)).gid).toBe(1001));
  });

  it('times out against a live holder without touching its lock or the data', async () => {
    const ctx = setup({ timeoutMs: 700, pollMs: 20 });
    const { store } = makeStore(ctx);
    const p = perl(ctx, 'hang');
    await waitLine(p, 'held');
    const lockFile = hostPath(ctx, `${USER_DB}.lock`);
    const before = nodeFs.lstatSync(lockFile);
    const content = nodeFs.readFileSync(lockFile, 'utf8');
    expect(content).toBe(`${p.pid}\n/usr/local/cpanel/bin/simulated-authn-writer\n`);
    expect(before.mode & 0o777).toBe(0o640);
    await rejectsWith(store.linkAccount({ user: 'bob', provider: 'google', subject: 'ours' }), 'E_LOCK_TIMEOUT');
    const after = nodeFs.lstatSync(lockFile);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(peek(ctx, USER_DB)).toBeUndefined();
    expect(peek(ctx, LINK_DB)).toBeUndefined();
  });

  it('breaks the lock of a dead (SIGKILLed) cPanel writer by rename and proceeds at once', async () => {
    const clock = testClock();
    const ctx = setup({ timeoutMs: 10_000, pollMs: 20, clock });
    const { store } = makeStore(ctx);
    const p = perl(ctx, 'hang');
    await waitLine(p, 'held');
    const lockFile = hostPath(ctx, `${USER_DB}.lock`);
    const ino = nodeFs.lstatSync(lockFile).ino;
    p.kill('SIGKILL');
    await kids.exited(p);
    expect(nodeFs.lstatSync(lockFile).ino).toBe(ino);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'after-crash' });
    // Broken at the first look: no wait at all.
    expect(clock.sleeps).toEqual([]);
    expect(subjects(ctx)).toEqual(['after-crash']);
    // The dead writer's lock file is gone (overwritten, then released); only its temp name stays,
    // which cPanel also leaves behind after a crash and which never ends in .db.
    expect(nodeFs.existsSync(lockFile)).toBe(false);
    await settle();
    expect(leftovers(ctx)).toHaveLength(1);
    expect(leftovers(ctx).every((n) => /^bob\.db\.lock-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/.test(n))).toBe(true);
  });

  it('two library processes and the cPanel writer racing on one user lose no link', async () => {
    const ctx = setup();
    const N = 12;
    const procs = [
      start(process.execPath, [join(here, 'authn-child.mjs'), ctx.root, 'bob', 'google', String(N), 'lib-a']),
      start(process.execPath, [join(here, 'authn-child.mjs'), ctx.root, 'bob', 'google', String(N), 'lib-b']),
      perl(ctx, 'add', String(N), 'perl'),
    ];
    const codes = await Promise.all(procs.map((c) => kids.exited(c)));
    expect(codes, procs.map((c) => kids.stderrOf(c)).join('\n')).toEqual([0, 0, 0]);
    const expected = ['lib-a', 'lib-b', 'perl'].flatMap((p) => Array.from({ length: N }, (_, i) => `${p}-${i + 1}`)).sort();
    expect(subjects(ctx)).toEqual(expected);
    expect(ldbSubjects(ctx)).toEqual(expected);
    const { store } = makeStore(ctx);
    expect(await store.checkDrift({ provider: 'google' })).toEqual([]);
    expect(leftovers(ctx)).toEqual([]);
  });
});
