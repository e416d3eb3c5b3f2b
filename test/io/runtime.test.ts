/**
 * Daemon-grade runtime on both backends: a failed lock release never blocks the process on its own
 * lock (it is retried, taken back, and reported as a warning of a successful call); a failure
 * after publishing says so (E_AFTER_PUBLISH) and leaves the new content; a call that fails before
 * publishing leaves no directory it made; the host's timers run between and during calls.
 */
import { expect, it } from 'vitest';
import { AuthnStore } from '../../src/authn/index.js';
import { commitFiles } from '../../src/io/commit.js';
import { capabilitiesOf } from '../../src/io/fs-port.js';
import { Linkstore } from '../../src/services.js';
import { importRecords } from '../../src/transfer/index.js';
import { runtimeStats } from '../../src/io/runtime-stats.js';
import { Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks, hostPath, peek, seed, settle } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { makeStore as makeAuthnStore, seedServer as seedAuthnServer, NOW_MS } from '../authn/setup.js';
import { expectError, makeStore, seedServer } from '../integration/setup.js';

const L = '/var/cpanel/integration/links';
const U = { url: 'https://billing.example.com/cp', token: 'tok' };

describeOnDisks('runtime', (ctx) => {
  const exists = (p: string) => ctx.fs.existsSync(hostPath(ctx, p));

  it('a failed lock release is a warning of a successful call, and the process takes its own lock back at once', async () => {
    seedServer(ctx);
    await makeStore(ctx).createLink({ user: 'alice', app: 'a', ...U });
    // The lock's unlink fails once (as on EIO): the link is written, the release is left for a retry.
    const { fs } = faultyFs(ctx.fs, [{ op: 'unlink', path: (p) => p.endsWith('alice.lock'), code: 'EIO', nth: 1 }]);
    const store = makeStore(ctx, ctx.make({ fs, lock: { timeoutMs: 200, pollMs: 10 } }));
    const r = await store.createLink({ user: 'alice', app: 'b', ...U });
    expect(r.warnings).toEqual([expect.stringContaining('could not be released yet')]);
    expect(peek(ctx, `${L}/alice/b.userconfig`)).toContain('billing.example.com');
    expect(runtimeStats().leftoverLocks).toBe(1);
    // The next call for alice in this process takes its own leftover back instead of waiting on
    // its own PID (which would end in E_LOCK_TIMEOUT after 200 ms).
    await store.createLink({ user: 'alice', app: 'c', ...U });
    await settle();
    expect(exists(`${L}/alice.lock`)).toBe(false);
    expect(runtimeStats()).toMatchObject({ installedLocks: 0, leftoverLocks: 0, mutexKeys: 0 });
  });

  it('retries a failed release in the background, so other processes see the lock go', async () => {
    seedServer(ctx);
    await makeStore(ctx).createLink({ user: 'alice', app: 'a', ...U });
    const { fs } = faultyFs(ctx.fs, [{ op: 'unlink', path: (p) => p.endsWith('alice.lock'), code: 'EIO', nth: 1 }]);
    const r = await makeStore(ctx, ctx.make({ fs })).createLink({ user: 'alice', app: 'b', ...U });
    expect(r.warnings).toHaveLength(1);
    expect(exists(`${L}/alice.lock`)).toBe(true);
    for (let i = 0; i < 100 && exists(`${L}/alice.lock`); i++) await new Promise((res) => setTimeout(res, 20));
    expect(exists(`${L}/alice.lock`)).toBe(false);
    expect(runtimeStats().leftoverLocks).toBe(0);
  });

  it('a directory flush that fails after the renames is E_AFTER_PUBLISH, with the new content in place', async () => {
    seedServer(ctx);
    await makeStore(ctx).createLink({ user: 'alice', app: 'a', ...U });
    const { fs } = faultyFs(ctx.fs, [{ op: 'sync', path: (p) => p.endsWith('/links/alice'), code: 'EIO' }]);
    const err = await expectError(
      makeStore(ctx, ctx.make({ fs })).createLink({ user: 'alice', app: 'a', ...U, url: 'https://new.example.com/' }),
      'E_AFTER_PUBLISH',
    );
    expect(err.message).toMatch(/^The new content is in place/);
    expect(err.message).not.toMatch(/[Nn]othing was changed/);
    expect(peek(ctx, `${L}/alice/a.userconfig`)).toContain('new.example.com');
  });

  it('a first authn link that fails while staging leaves no directory behind', async () => {
    seedAuthnServer(ctx);
    const before = exists('/var/cpanel/authn/links');
    const { fs } = faultyFs(ctx.fs, [{ op: 'write', path: '.tmp.', code: 'ENOSPC' }]);
    const disk = ctx.make({ fs });
    const broken = new AuthnStore({ disk, users: userLookup(new Users(disk, { checkIntervalMs: 0 })), now: () => NOW_MS, hostname: 'host.example.com' });
    await expectError(broken.linkAccount({ user: 'bob', provider: 'google', subject: 's' }), 'E_WRITE_FAILED');
    await settle();
    expect(exists('/var/cpanel/authn/links/users/bob')).toBe(false);
    expect(exists('/var/cpanel/authn/links')).toBe(before);
    // And the same call then works.
    await makeAuthnStore(ctx).store.linkAccount({ user: 'bob', provider: 'google', subject: 's' });
  });

  it('writes nothing when nothing changes: the same create twice keeps every inode and mtime', async () => {
    seedServer(ctx);
    const store = makeStore(ctx);
    await store.createLink({ user: 'alice', app: 'a', ...U });
    const files = [`${L}/alice/a.userconfig`, `${L}/alice/a.adminconfig`, '/var/cpanel/integration/dynamicui/alice/dynamicui_a.conf'];
    const ids = () => files.map((f) => ctx.fs.statSync(hostPath(ctx, f))).map((s) => `${s.ino} ${s.mtimeMs}`);
    const first = ids();
    await new Promise((r) => setTimeout(r, 5));
    await store.createLink({ user: 'alice', app: 'a', ...U });
    expect(ids()).toEqual(first);
  });

  it('lets the host’s timers run between awaited calls that never wait on the disk', async () => {
    seedServer(ctx);
    const store = makeStore(ctx);
    await store.createLink({ user: 'alice', app: 'a', ...U });
    let fired = false;
    setTimeout(() => (fired = true), 0);
    // Reads served without any wait: without pacing, this loop would run to its end first.
    let i = 0;
    for (; i < 1_000_000 && !fired; i++) await store.listLinks({ user: 'alice' });
    expect(fired).toBe(true);
    expect(i).toBeLessThan(1_000_000);
  });

  it('every mutation reports a release that could not complete as a warning of its success', async () => {
    seedServer(ctx);
    await makeStore(ctx).createLink({ user: 'alice', app: 'a', ...U });
    await makeStore(ctx).createLink({ user: 'alice', app: 'b', ...U });
    await makeStore(ctx).createGroup({ user: 'alice', group_id: 'g' });
    // A purge of its own user: memfs miscounts a directory's entries after a rename replaced a file
    // in it (see authn/lifecycle.ts), and alice's files are replaced below.
    await makeStore(ctx).createLink({ user: 'bob', app: 'a', ...U });
    const failingRelease = () => {
      const { fs } = faultyFs(ctx.fs, [{ op: 'unlink', path: (p) => /\/(alice|bob)\.lock$/.test(p), code: 'EIO', nth: 1 }]);
      return makeStore(ctx, ctx.make({ fs }));
    };
    const calls: [string, (s: ReturnType<typeof makeStore>) => Promise<{ warnings: string[]; changed: boolean }>][] = [
      ['setLinkToken', (s) => s.setLinkToken({ user: 'alice', app: 'a', token: 'new' })],
      ['removeLink', (s) => s.removeLink({ user: 'alice', app: 'a' })],
      ['removeGroup', (s) => s.removeGroup({ user: 'alice', group_id: 'g' })],
      [
        'rebuildDynamicUi',
        (s) => (ctx.fs.rmSync(hostPath(ctx, '/var/cpanel/integration/dynamicui/alice/dynamicui_b.conf')), s.rebuildDynamicUi({ user: 'alice' })),
      ],
      ['purgeUser', (s) => s.purgeUser({ user: 'bob' })],
    ];
    for (const [name, call] of calls) {
      const r = await call(failingRelease());
      expect([name, r.changed, r.warnings]).toEqual([name, true, [expect.stringContaining('could not be released yet')]]);
      for (let i = 0; i < 100 && runtimeStats().leftoverLocks > 0; i++) await new Promise((res) => setTimeout(res, 20));
    }
  });

  it('a release whose ownership check fails leaves no lock temp behind once its retry has run', async () => {
    seedServer(ctx);
    await makeStore(ctx).createLink({ user: 'alice', app: 'a', ...U });
    const lockChecks = (calls: string[]) => calls.filter((c) => c.startsWith('lstat ') && c.endsWith('/alice.lock')).length;
    const probe = faultyFs(ctx.fs, []);
    await makeStore(ctx, ctx.make({ fs: probe.fs })).createLink({ user: 'alice', app: 'b', ...U });
    // The last check of a call is the release's: fail that one (as on EIO).
    const { fs } = faultyFs(ctx.fs, [{ op: 'lstat', path: (p) => p.endsWith('/alice.lock'), code: 'EIO', nth: lockChecks(probe.calls) }]);
    // The wrapped port keeps the capabilities of the one it wraps (on Node's fs: lock temps are shared and reused).
    const port = Object.assign(Object.create(fs) as typeof fs, { linkstoreCapabilities: capabilitiesOf(ctx.fs) });
    const r = await makeStore(ctx, ctx.make({ fs: port })).createLink({ user: 'alice', app: 'c', ...U });
    expect(r.warnings).toEqual([expect.stringContaining('could not be released yet')]);
    for (let i = 0; i < 100 && runtimeStats().leftoverLocks > 0; i++) await new Promise((res) => setTimeout(res, 20));
    await settle();
    expect(runtimeStats()).toMatchObject({ installedLocks: 0, leftoverLocks: 0 });
    const entries = ctx.fs.readdirSync(hostPath(ctx, L)) as string[];
    expect(entries.filter((e) => e.includes('.lock'))).toEqual([]);
  });

  it('lets the host’s timers run during one long call', async () => {
    seedServer(ctx);
    const store = makeStore(ctx);
    const order: string[] = [];
    await store.createLink({ user: 'alice', app: 'a', ...U });
    const items = Array.from({ length: 300 }, (_, i) => ({ user: 'alice', app: `b${i}`, ...U }));
    setTimeout(() => order.push('timer'), 0);
    await store.createLinks(items).then(() => order.push('done'));
    expect(order).toEqual(['timer', 'done']);
  });

  // Calls whose per-item work is answered from memory (items refused by validation, warm caches)
  // never wait on the disk: without a pacing point in their loop they ran to the end in one step
  // (importLinks: 2.9 s for 100,000 items; createLinks: 377 ms for 20,000; a reseller's listing:
  // 110 ms at 20,000 accounts).
  const timerFirst = async (call: () => Promise<unknown>) => {
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 0);
    await call().then(() => order.push('done'));
    return order;
  };

  it('lets a timer run while a large batch refused item by item is validated', async () => {
    seedServer(ctx);
    // Users' answers from memory for a minute: no stat between the items either.
    const store = makeStore(ctx, ctx.disk, new Users(ctx.disk, { checkIntervalMs: 60_000 }));
    const bad = Array.from({ length: 30_000 }, (_, i) => ({ user: 'alice', app: `a${i}`, url: 'https://x/', order: 'not a number' }));
    expect(await timerFirst(() => store.createLinks(bad))).toEqual(['timer', 'done']);
    seedAuthnServer(ctx);
    const authn = makeAuthnStore(ctx, { users: userLookup(new Users(ctx.disk, { checkIntervalMs: 60_000 })) }).store;
    const refused = Array.from({ length: 30_000 }, (_, i) => ({
      user: 'bob',
      provider: 'google',
      subject: `s${i}`,
      userInfo: { link_time: 'soon' as unknown as number },
    }));
    const results: { status: string }[] = [];
    expect(await timerFirst(async () => results.push(...(await authn.importLinks(refused))))).toEqual(['timer', 'done']);
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['failed']));
  });

  it('lets a timer run while a reseller’s view of linked accounts checks every account’s owner from memory', async () => {
    seedAuthnServer(ctx);
    const passwd = [ctx.fs.readFileSync(hostPath(ctx, '/etc/passwd'), 'utf8').trimEnd()];
    for (let i = 0; i < 10_000; i++) {
      passwd.push(`r${i}:x:${5000 + i}:${5000 + i}::/home/r${i}:/bin/bash`);
      seed(ctx, `/var/cpanel/users/r${i}`, `DNS=r${i}.example\nOWNER=${i % 2 ? 'alice' : 'root'}\n`);
    }
    seed(ctx, '/etc/passwd', passwd.join('\n') + '\n');
    const lookup = userLookup(new Users(ctx.disk, { checkIntervalMs: 60_000 }));
    let owners = 0;
    const counting = { ...lookup, cpanelUserFile: (u: string) => (owners++, lookup.cpanelUserFile(u)) };
    const authn = makeAuthnStore(ctx, { users: counting }).store;
    await authn.listLinkedAccounts({ reseller: 'alice' }); // warms the caches
    owners = 0;
    let seenByTimer = -1;
    setTimeout(() => (seenByTimer = owners), 0);
    await authn.listLinkedAccounts({ reseller: 'alice' });
    // The timer ran while the owners were being checked, not after the last of them.
    expect(seenByTimer).toBeGreaterThanOrEqual(0);
    expect(seenByTimer).toBeLessThan(owners);
  });

  it('lets a timer run while an import given its lines as an array reads them', async () => {
    seedServer(ctx);
    const ls = new Linkstore({ disk: ctx.disk, hostname: 'host.example.com' });
    // Records that fail on their own line: nothing to write, only lines to read, and an array
    // hands them over through microtasks alone.
    const total = 40_000;
    let read = 0;
    function* lines() {
      for (let i = 0; i < total; i++) {
        read++;
        yield JSON.stringify({ type: 'no_such_type', n: i });
      }
    }
    let readWhenTimerRan = -1;
    setTimeout(() => (readWhenTimerRan = read), 0);
    const summary = await importRecords(ls, lines());
    expect(summary.failed).toBe(total);
    expect(readWhenTimerRan).toBeGreaterThan(0);
    expect(readWhenTimerRan).toBeLessThan(total);
  });

  it('lets a timer run while one commit stages and publishes thousands of files', async () => {
    ctx.fs.mkdirSync(hostPath(ctx, `${L}/alice`), { recursive: true });
    const { fs, calls } = faultyFs(ctx.fs, []);
    const disk = ctx.make({ fs });
    const total = 6000;
    const ops = Array.from({ length: total }, (_, i) => ({
      op: 'write' as const,
      path: `${L}/alice/app${i}.userconfig`,
      content: Buffer.from(`{"url":"https://x/${i}"}`),
      mode: 0o644,
    }));
    // What the commit had done each time a timer ran: temps created, files renamed into place.
    const seen: { staged: number; published: number }[] = [];
    const count = () => ({
      staged: calls.filter((c) => c.startsWith('open ') && c.includes('.tmp.')).length,
      published: calls.filter((c) => c.startsWith('rename ')).length,
    });
    const timer = setInterval(() => seen.push(count()), 0);
    try {
      await commitFiles(disk, ops);
    } finally {
      clearInterval(timer);
    }
    expect(count()).toEqual({ staged: total, published: total });
    // Turns in the middle of the staging and of the renames, not only before or after them.
    expect(seen.some((c) => c.staged > 0 && c.staged < total)).toBe(true);
    expect(seen.some((c) => c.published > 0 && c.published < total)).toBe(true);
  });

  it('leftover locks of one directory share one open directory handle while their releases keep failing', async () => {
    seedAuthnServer(ctx);
    // Every unlink of a per-user DB lock fails (a directory made append-only, say) until told otherwise.
    let failing = true;
    const userDbLock = (p: string) => failing && p.includes('/links/users/') && p.endsWith('.db.lock');
    const { fs } = faultyFs(ctx.fs, [{ op: 'unlink', path: userDbLock, code: 'EPERM' }]);
    const disk = ctx.make({ fs });
    const { store } = makeAuthnStore(ctx, { disk, mailUserExists: async () => true });
    const total = 40;
    try {
      for (let i = 0; i < total; i++) {
        const r = await store.linkAccount({ user: `m${i}@bob.example`, provider: 'google', subject: `s${i}` });
        expect(r.warnings).toEqual([expect.stringContaining('could not be released yet')]);
        // Calls far apart in time resolve their directory afresh; their leftovers still share one handle.
        if (i % 10 === 9) disk.closeKeptHandles();
      }
      expect(runtimeStats()).toMatchObject({ leftoverLocks: total, leftoverLockDirs: 1 });
    } finally {
      failing = false;
      for (let i = 0; i < 300 && runtimeStats().leftoverLocks > 0; i++) await new Promise((res) => setTimeout(res, 25));
    }
    expect(runtimeStats()).toMatchObject({ installedLocks: 0, leftoverLocks: 0, leftoverLockDirs: 0 });
    expect(ctx.fs.readdirSync(hostPath(ctx, '/var/cpanel/authn/links/users/bob')).filter((n) => n.includes('.lock'))).toEqual([]);
  });

  it('lets a timer run while thousands of reads started at once run their steps', async () => {
    const F = `${L}/alice/a.userconfig`;
    seed(ctx, F, '{"url":"https://x/"}');
    // All of them ask to go on before any has done its step: they pass one at a time, so the
    // slice runs out part-way, not after the last of them.
    const total = 4000;
    let done = 0;
    const seen: number[] = [];
    const timer = setInterval(() => seen.push(done), 0);
    try {
      await Promise.all(Array.from({ length: total }, () => ctx.disk.readFile(F).then(() => done++)));
    } finally {
      clearInterval(timer);
    }
    expect(done).toBe(total);
    expect(seen.some((n) => n > 0 && n < total)).toBe(true);
  });
});
