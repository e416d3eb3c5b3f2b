import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/commit.js';
import { Disk } from '../../src/io/disk.js';
import { cpanelLockPath, withDotLock } from '../../src/io/dot-lock.js';
import type { LinkstoreError } from '../../src/io/errors.js';
import { children } from '../helpers/children.js';
import { testClock } from '../helpers/clock.js';
import { backends, describeOnDisks, hostPath, peek, seed, type DiskCtx } from '../helpers/disks.js';

const here = dirname(fileURLToPath(import.meta.url));
const FILE = '/var/cpanel/authn/counter';
const LOCK = FILE + '.lock';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lockDir(ctx: DiskCtx): string[] {
  return (ctx.fs.readdirSync(hostPath(ctx, '/var/cpanel/authn')) as string[]).sort();
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as LinkstoreError).code;
  }
}

describeOnDisks('cPanel dot-lock', (ctx) => {
  const setup = () => ctx.fs.mkdirSync(hostPath(ctx, '/var/cpanel/authn'), { recursive: true });

  it('installs <file>.lock with "<pid>\\n<name>\\n", mode 0644 & data mode, and removes it on release', async () => {
    setup();
    await withDotLock(ctx.disk, FILE, { dataMode: 0o640, reuseTemps: false }, async () => {
      expect(peek(ctx, LOCK)).toBe(`${process.pid}\ncpanel-linkstore\n`);
      expect(ctx.fs.statSync(hostPath(ctx, LOCK)).mode & 0o777).toBe(0o640);
      // The temp name was unlinked once linked: only the lock itself is there.
      expect(lockDir(ctx)).toEqual(['counter.lock']);
    });
    expect(lockDir(ctx)).toEqual([]);
  });

  it('gives the lock file 0644 & data mode whatever the umask', async () => {
    setup();
    const old = process.umask(0o077);
    try {
      await withDotLock(ctx.disk, FILE, { dataMode: 0o644, reuseTemps: false }, async () => {
        expect(ctx.fs.statSync(hostPath(ctx, LOCK)).mode & 0o777).toBe(0o644);
      });
    } finally {
      process.umask(old);
    }
  });

  it('serializes concurrent holders in one process', async () => {
    setup();
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withDotLock(ctx.disk, FILE, { dataMode: 0o600 }, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(2);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });

  it('waits for a live-PID lock, never breaks it, and times out with E_LOCK_TIMEOUT', async () => {
    setup();
    seed(ctx, LOCK, '424242\n/usr/local/cpanel/bin/whostmgr\n', 0o600);
    const clock = testClock();
    const disk = ctx.make({ lock: { pidAlive: () => true, timeoutMs: 400, pollMs: 50, clock } });
    const err = await withDotLock(disk, FILE, { dataMode: 0o600 }, async () => 'no').catch((e: LinkstoreError) => e);
    expect((err as LinkstoreError).code).toBe('E_LOCK_TIMEOUT');
    expect((err as LinkstoreError).message).toContain('The system failed to lock the file');
    // It polled every 50 ms until the 400 ms were up, then gave up (the lock's clock, not the wall's).
    expect(clock.sleeps).toEqual(Array.from({ length: 8 }, () => 50));
    expect(clock.now()).toBe(400);
    expect(peek(ctx, LOCK)).toBe('424242\n/usr/local/cpanel/bin/whostmgr\n');
    expect(lockDir(ctx)).toEqual(['counter.lock']);
  });

  it('breaks a dead-PID lock by rename and takes it', async () => {
    setup();
    seed(ctx, LOCK, '424242\nold\n', 0o600);
    const disk = ctx.make({ lock: { pidAlive: (p) => p !== 424242, timeoutMs: 2000 } });
    await withDotLock(disk, FILE, { dataMode: 0o600 }, async () => {
      expect(peek(ctx, LOCK)).toBe(`${process.pid}\ncpanel-linkstore\n`);
    });
    expect(lockDir(ctx)).toEqual([]);
  });

  it('breaks an empty lock only after two looks 300 ms apart', async () => {
    setup();
    seed(ctx, LOCK, '', 0o600);
    const clock = testClock();
    await withDotLock(ctx.make({ lock: { timeoutMs: 3000, pollMs: 50, clock } }), FILE, { dataMode: 0o600 }, async () => undefined);
    // Broken on the first look at least 300 ms after the first one, and not before.
    expect(clock.now()).toBe(300);
    expect(lockDir(ctx)).toEqual([]);
  });

  it('waits on a non-empty lock without a PID (never breaks it)', async () => {
    setup();
    seed(ctx, LOCK, 'garbage\n', 0o600);
    expect(await code(withDotLock(ctx.make({ lock: { timeoutMs: 300, pollMs: 50 } }), FILE, { dataMode: 0o600 }, async () => undefined))).toBe(
      'E_LOCK_TIMEOUT',
    );
    expect(peek(ctx, LOCK)).toBe('garbage\n');
  });

  it('breaks a lock with our own PID only when it predates this process', async () => {
    setup();
    seed(ctx, LOCK, `${process.pid}\nold\n`, 0o600);
    ctx.fs.utimesSync(hostPath(ctx, LOCK), new Date(2000, 1, 1), new Date(2000, 1, 1));
    await withDotLock(ctx.disk, FILE, { dataMode: 0o600 }, async () => undefined);
    expect(lockDir(ctx)).toEqual([]);
    seed(ctx, LOCK, `${process.pid}\nworker thread\n`, 0o600);
    expect(await code(withDotLock(ctx.make({ lock: { timeoutMs: 300, pollMs: 50 } }), FILE, { dataMode: 0o600 }, async () => undefined))).toBe(
      'E_LOCK_TIMEOUT',
    );
  });

  it('detects a broken lock: verify() fails, release leaves the foreign lock in place and warns', async () => {
    setup();
    const warnings: string[] = [];
    await withDotLock(ctx.disk, FILE, { dataMode: 0o600, warnings }, async (lock) => {
      ctx.fs.unlinkSync(hostPath(ctx, LOCK));
      ctx.fs.writeFileSync(hostPath(ctx, LOCK), '1\nintruder\n');
      expect(await code(lock.verify())).toBe('E_LOCK_LOST');
      expect(await code(writeFileAtomic(ctx.disk, FILE, Buffer.from('x'), { mode: 0o600, beforePublish: lock.verify }))).toBe('E_LOCK_LOST');
    });
    // The critical section itself succeeded (it handled the lost lock): the release only warns.
    expect(warnings).toEqual([expect.stringContaining('was replaced by another process')]);
    expect(peek(ctx, LOCK)).toBe('1\nintruder\n');
    expect(peek(ctx, FILE)).toBeUndefined();
  });

  it('bounds the critical section: verify() fails after criticalMs, nothing written', async () => {
    setup();
    await withDotLock(ctx.disk, FILE, { dataMode: 0o600, criticalMs: 20, reuseTemps: false }, async (lock) => {
      await sleep(40);
      expect(await code(writeFileAtomic(ctx.disk, FILE, Buffer.from('x'), { mode: 0o600, beforePublish: lock.verify }))).toBe('E_CRITICAL_SECTION_TIMEOUT');
    });
    expect(peek(ctx, FILE)).toBeUndefined();
    expect(lockDir(ctx)).toEqual([]);
  });

  it('refuses a symlinked lock file', async () => {
    setup();
    seed(ctx, '/elsewhere', '1\n');
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere'), hostPath(ctx, LOCK));
    expect(await code(withDotLock(ctx.make({ lock: { timeoutMs: 300 } }), FILE, { dataMode: 0o600 }, async () => undefined))).toBe('E_SYMLINK');
    expect(peek(ctx, '/elsewhere')).toBe('1\n');
  });

  it('uses the hashed lock name for long basenames', async () => {
    setup();
    const long = '/var/cpanel/authn/' + 'x'.repeat(221);
    await withDotLock(ctx.disk, long, { dataMode: 0o600, reuseTemps: false }, async () => {
      expect(lockDir(ctx)).toEqual(['4208058804.lock']);
    });
    expect(cpanelLockPath(long)).toBe('/var/cpanel/authn/4208058804.lock');
  });
});

describe('dot-lock across processes [tmpdir]', () => {
  const tmp = backends.find((b) => b.kind === 'tmpdir')!;
  const kids = children();
  let cleanup = () => {};
  afterEach(() => {
    kids.killAll();
    cleanup();
  });
  const start = (args: string[], cmd = process.execPath) => kids.start(cmd, args);
  const waitLine = kids.waitLine;
  const exit = kids.exited;
  const make = () => {
    const s = tmp.setup();
    cleanup = s.cleanup;
    s.fs.mkdirSync(join(s.root, 'var/cpanel/authn'), { recursive: true });
    return s;
  };

  it('four processes incrementing one counter under the lock lose no update', async () => {
    const s = make();
    const procs = Array.from({ length: 4 }, () => start([join(here, 'lock-child.mjs'), 'count', s.root, '25']));
    expect(await Promise.all(procs.map(exit))).toEqual([0, 0, 0, 0]);
    expect(s.fs.readFileSync(join(s.root, FILE), 'utf8')).toBe('100');
    expect(s.fs.readdirSync(join(s.root, 'var/cpanel/authn'))).toEqual(['counter']);
  });

  it('recovers the lock of a SIGKILLed holder at once (dead PID)', async () => {
    const s = make();
    const holder = start([join(here, 'lock-child.mjs'), 'hold', s.root]);
    await waitLine(holder, 'held');
    const pidInLock = s.fs.readFileSync(join(s.root, LOCK), 'utf8').split('\n')[0];
    expect(pidInLock).toBe(String(holder.pid));
    holder.kill('SIGKILL');
    await exit(holder);
    const clock = testClock();
    await withDotLock(new Disk({ root: s.root, lock: { timeoutMs: 5000, clock } }), FILE, { dataMode: 0o600 }, async () => undefined);
    // Taken at the first look: no wait at all.
    expect(clock.sleeps).toEqual([]);
    expect(s.fs.existsSync(join(s.root, LOCK))).toBe(false);
  });

  it('waits for a live simulated cPanel holder (Perl SafeFile protocol) and never breaks it', async () => {
    const s = make();
    const perl = start([join(here, 'cpanel-lock-holder.pl'), join(s.root, FILE), '1.2'], 'perl');
    await waitLine(perl, 'held');
    const clock = testClock(true);
    const disk = new Disk({ root: s.root, lock: { timeoutMs: 10_000, pollMs: 50, clock } });
    await withDotLock(disk, FILE, { dataMode: 0o600 }, async (lock) => {
      // cPanel's write happened entirely before we got the lock.
      expect(s.fs.readFileSync(join(s.root, FILE), 'utf8')).toBe('cpanel');
      await writeFileAtomic(disk, FILE, Buffer.from('ours'), { mode: 0o600, beforePublish: lock.verify });
    });
    // It waited (polled) for the holder instead of breaking its live lock.
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(await exit(perl)).toBe(0);
    expect(s.fs.readFileSync(join(s.root, FILE), 'utf8')).toBe('ours');
  });
});
