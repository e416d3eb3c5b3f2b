/**
 * Lock temp reuse (src/io/lock-temps.ts): a released lock's temp is linked again by the next lock
 * in the same directory, never outlives the event-loop turn, is never kept after a failed call,
 * and is made afresh when it vanished or changed.
 */
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Disk } from '../../src/io/disk.js';
import { withDotLock } from '../../src/io/dot-lock.js';
import { describeOnDisks, hostPath, peek, settle, tmpdirCtx, type DiskCtx } from '../helpers/disks.js';

const DIR = '/var/cpanel/authn';
const FILE = `${DIR}/counter`;
const TEMP = /^counter\.lock-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/;
const here = dirname(fileURLToPath(import.meta.url));

function names(ctx: DiskCtx, dir = DIR): string[] {
  return (ctx.fs.readdirSync(hostPath(ctx, dir)) as string[]).sort();
}

describeOnDisks(
  'lock temp reuse',
  (ctx) => {
    const setup = () => ctx.fs.mkdirSync(hostPath(ctx, DIR), { recursive: true });
    const lockIno = () => ctx.fs.statSync(hostPath(ctx, `${FILE}.lock`)).ino;

    it('links the same temp again for a back-to-back lock, and sweeps it when the loop turns', async () => {
      setup();
      const first = await withDotLock(ctx.disk, FILE, { dataMode: 0o640 }, async () => {
        // While held, cPanel's own picture: the lock and its temp name, one inode.
        const [lock, temp] = names(ctx);
        expect(lock).toBe('counter.lock');
        expect(temp).toMatch(TEMP);
        expect(ctx.fs.statSync(hostPath(ctx, `${DIR}/${temp}`)).ino).toBe(lockIno());
        return lockIno();
      });
      expect(names(ctx)).toHaveLength(1);
      expect(names(ctx)[0]).toMatch(TEMP);
      const second = await withDotLock(ctx.disk, FILE, { dataMode: 0o640 }, async () => {
        expect(peek(ctx, `${FILE}.lock`)).toBe(`${process.pid}\ncpanel-linkstore\n`);
        expect(ctx.fs.statSync(hostPath(ctx, `${FILE}.lock`)).mode & 0o777).toBe(0o640);
        return lockIno();
      });
      expect(second).toBe(first);
      await settle();
      expect(names(ctx)).toEqual([]);
    });

    it('leaves an idle temp that someone changed when the loop turns, as the next lock leaves it', async () => {
      setup();
      await withDotLock(ctx.disk, FILE, { dataMode: 0o600 }, async () => undefined);
      const [idle] = names(ctx);
      ctx.fs.writeFileSync(hostPath(ctx, `${DIR}/${idle}`), 'tampered\n');
      await settle();
      expect(names(ctx)).toEqual([idle]);
      expect(peek(ctx, `${DIR}/${idle}`)).toBe('tampered\n');
    });

    it('keeps nothing after a failed critical section', async () => {
      setup();
      await withDotLock(ctx.disk, FILE, { dataMode: 0o600 }, async () => undefined);
      const err = await withDotLock(ctx.disk, FILE, { dataMode: 0o600 }, async () => {
        throw new Error('boom');
      }).catch((e: Error) => e);
      expect((err as Error).message).toBe('boom');
      // The idle temp of the first call was taken by the second, and removed with its failure.
      expect(names(ctx)).toEqual([]);
    });

    it('does not share a temp between different modes, and makes a new one when it vanished or changed', async () => {
      setup();
      await withDotLock(ctx.disk, FILE, { dataMode: 0o600 }, async () => undefined);
      const [idle] = names(ctx);
      await withDotLock(ctx.disk, FILE, { dataMode: 0o644 }, async () => {
        expect(ctx.fs.statSync(hostPath(ctx, `${FILE}.lock`)).mode & 0o777).toBe(0o644);
      });
      expect(names(ctx)).toHaveLength(2);
      // Vanished (as with its directory, or removed as debris): a fresh temp, and the lock works.
      for (const n of names(ctx)) ctx.fs.unlinkSync(hostPath(ctx, `${DIR}/${n}`));
      await withDotLock(ctx.disk, FILE, { dataMode: 0o600 }, async () => {
        expect(peek(ctx, `${FILE}.lock`)).toBe(`${process.pid}\ncpanel-linkstore\n`);
      });
      // Changed by someone else: left alone, never linked as our lock.
      const [kept] = names(ctx);
      expect(kept).not.toBe(idle);
      ctx.fs.writeFileSync(hostPath(ctx, `${DIR}/${kept}`), 'tampered\n');
      await withDotLock(ctx.disk, FILE, { dataMode: 0o600 }, async () => {
        expect(peek(ctx, `${FILE}.lock`)).toBe(`${process.pid}\ncpanel-linkstore\n`);
      });
      expect(peek(ctx, `${DIR}/${kept}`)).toBe('tampered\n');
      await settle();
      expect(names(ctx)).toEqual([kept]);
    });

    it('locks held at once in a directory share one temp (one inode, one name), kept idle after the last release', async () => {
      setup();
      // All three hold their locks at once (a barrier, not a timer: the releases then run in one
      // event-loop turn, as a batch's do, before the idle sweep).
      const round = () => {
        let entered = 0;
        let open!: () => void;
        const all = new Promise<void>((r) => (open = r));
        return Promise.all(
          ['a', 'b', 'c'].map((n) =>
            withDotLock(ctx.disk, `${DIR}/${n}`, { dataMode: 0o600 }, async () => {
              if (++entered === 3) open();
              await all;
              return ctx.fs.statSync(hostPath(ctx, `${DIR}/${n}.lock`)).ino;
            }),
          ),
        );
      };
      const first = await round();
      expect(new Set(first).size).toBe(1);
      expect(names(ctx)).toHaveLength(1);
      const second = await round();
      expect(second).toEqual(first);
      await settle();
      expect(names(ctx)).toEqual([]);
    });

    it('a shared temp outlives a failed call while other locks hold it, and breaking a stale lock never renames it away', async () => {
      setup();
      // A stale lock (dead PID) on c: taking it renames a temp over it, which must be a private one.
      ctx.fs.writeFileSync(hostPath(ctx, `${DIR}/c.lock`), '999999999\ngone\n');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let holderIno = 0;
      const holder = withDotLock(ctx.disk, `${DIR}/a`, { dataMode: 0o600 }, async () => {
        holderIno = ctx.fs.statSync(hostPath(ctx, `${DIR}/a.lock`)).ino;
        await held;
      });
      await settle();
      const failing = withDotLock(ctx.disk, `${DIR}/b`, { dataMode: 0o600 }, async () => {
        expect(ctx.fs.statSync(hostPath(ctx, `${DIR}/b.lock`)).ino).toBe(holderIno);
        throw new Error('boom');
      });
      await expect(failing).rejects.toThrow('boom');
      const temps = names(ctx).filter((n) => /\.lock-/.test(n));
      expect(temps).toHaveLength(1);
      expect(ctx.fs.statSync(hostPath(ctx, `${DIR}/${temps[0] as string}`)).ino).toBe(holderIno);
      const broke = await withDotLock(
        ctx.disk,
        `${DIR}/c`,
        { dataMode: 0o600, pidAlive: () => false },
        async () => ctx.fs.statSync(hostPath(ctx, `${DIR}/c.lock`)).ino,
      );
      expect(broke).not.toBe(holderIno);
      expect(names(ctx).filter((n) => /\.lock-/.test(n))).toEqual(temps);
      release();
      await holder;
      await settle();
      expect(names(ctx)).toEqual([]);
    });

    it('a waiting lock lets go of a shared temp: its last holder may release it during the wait', async () => {
      setup();
      // b.lock is held by another live process until we remove it.
      ctx.fs.writeFileSync(hostPath(ctx, `${DIR}/b.lock`), '4242\nother\n');
      let releaseA!: () => void;
      const gate = new Promise<void>((r) => (releaseA = r));
      let aIno = 0;
      const a = withDotLock(ctx.disk, `${DIR}/a`, { dataMode: 0o600 }, async () => {
        aIno = ctx.fs.statSync(hostPath(ctx, `${DIR}/a.lock`)).ino;
        await gate;
      });
      await settle();
      const b = withDotLock(
        ctx.disk,
        `${DIR}/b`,
        { dataMode: 0o600, pidAlive: () => true, pollMs: 10, timeoutMs: 5_000 },
        async () => ctx.fs.statSync(hostPath(ctx, `${DIR}/b.lock`)).ino,
      );
      await new Promise((r) => setTimeout(r, 30));
      releaseA();
      await a;
      await settle();
      ctx.fs.unlinkSync(hostPath(ctx, `${DIR}/b.lock`));
      expect(await b).toBeGreaterThan(0);
      expect(aIno).toBeGreaterThan(0);
      await settle();
      expect(names(ctx)).toEqual([]);
      // The lock directory's handle is still sound for the next lock.
      await withDotLock(ctx.disk, `${DIR}/a`, { dataMode: 0o600 }, async () => undefined);
      await settle();
      expect(names(ctx)).toEqual([]);
    });

    it('keeps at most 16 idle temps however many directories a run touches', async () => {
      for (let i = 0; i < 24; i++) {
        ctx.fs.mkdirSync(hostPath(ctx, `${DIR}/d${i}`), { recursive: true });
        await withDotLock(ctx.disk, `${DIR}/d${i}/f`, { dataMode: 0o600 }, async () => undefined);
      }
      const idle = Array.from({ length: 24 }, (_, i) => names(ctx, `${DIR}/d${i}`).length).reduce((a, b) => a + b, 0);
      expect(idle).toBe(16);
      expect(names(ctx, `${DIR}/d0`)).toEqual([]);
      expect(names(ctx, `${DIR}/d23`)).toHaveLength(1);
      await settle();
      expect(Array.from({ length: 24 }, (_, i) => names(ctx, `${DIR}/d${i}`).length).reduce((a, b) => a + b, 0)).toBe(0);
    });
  },
  { lock: { reuseTemps: true } },
);

it('is on by default with Node’s fs and off with an injected fs', async () => {
  const real = tmpdirCtx();
  try {
    real.fs.mkdirSync(hostPath(real, DIR), { recursive: true });
    await withDotLock(real.disk, FILE, { dataMode: 0o600 }, async () => undefined);
    expect(names(real)).toHaveLength(1);
    // The same tree through a wrapper of node:fs is an injected fs: nothing kept.
    const wrapped = new Disk({ fs: { ...nodeFs, promises: nodeFs.promises }, root: real.root });
    await settle();
    await withDotLock(wrapped, FILE, { dataMode: 0o600 }, async () => undefined);
    expect(names(real)).toEqual([]);
  } finally {
    real.cleanup();
  }
});

it('sweeps idle temps when the process exits', () => {
  const real = tmpdirCtx();
  try {
    real.fs.mkdirSync(hostPath(real, DIR), { recursive: true });
    // The child locks twice back to back and exits from inside the same turn (process.exit).
    const script = join(here, 'lock-temps-child.mjs');
    const r = spawnSync(process.execPath, [script, real.root, FILE], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout.trim()).toMatch(/^idle 1$/);
    expect(names(real)).toEqual([]);
  } finally {
    real.cleanup();
  }
});
