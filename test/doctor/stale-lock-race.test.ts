/**
 * doctor --fix against a cPanel waiter that breaks the same stale lock (cpanel-locking.md §5.3 R2:
 * rename its own temp over the lock after checking it is unchanged). The waiter's rename is
 * injected through the fs port exactly inside doctor's window, between its last check and its
 * removal: the waiter's fresh, live lock must survive, and no name of doctor's is left behind.
 * test/stress/doctor-lock-race.test.ts runs the same race against a real Perl waiter.
 */
import type * as nodeFs from 'node:fs';
import { beforeEach, expect, it } from 'vitest';
import { doctor } from '../../src/doctor/index.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks, hostPath, peek, seed } from '../helpers/disks.js';
import { USERS, makeLinkstore, populate, seedServer } from './server.js';

const DEAD_PID = 999_999_9;
const pidAlive = (pid: number) => pid !== DEAD_PID;
const LOCK = `${USERS}/bob/bob.db.lock`;
const WAITER_TEMP = `${LOCK}-5eed-1-7b`;
const WAITER = `${process.pid}\nwaiter.pl\n`;

/**
 * A port whose first rename or unlink of the lock name runs `waiter` first (`when: 'before'`), or
 * right after it (`'after'`): the moment a cPanel waiter's R2 break can land.
 */
function racingFs(base: typeof nodeFs, when: 'before' | 'after', waiter: () => void): { fs: typeof nodeFs; fired: () => boolean } {
  let fired = false;
  const fs = new Proxy(base, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      if (prop !== 'renameSync' && prop !== 'unlinkSync') return fn;
      return (...a: unknown[]) => {
        const hit = !fired && String(a[0]).endsWith('/bob.db.lock');
        if (hit) fired = true;
        if (hit && when === 'before') waiter();
        const out = fn(...a);
        if (hit && when === 'after') waiter();
        return out;
      };
    },
  });
  return { fs, fired: () => fired };
}

describeOnDisks('doctor --fix beside a cPanel waiter breaking the same stale lock', (ctx) => {
  let ls: Linkstore;
  beforeEach(async () => {
    seedServer(ctx);
    ls = makeLinkstore(ctx.disk);
    await populate(ls);
    seed(ctx, LOCK, `${DEAD_PID}\nSomeCpanelWriter\n`, 0o600);
    // The waiter's temp, written before it breaks the lock (§4.1), holding its live PID.
    seed(ctx, WAITER_TEMP, WAITER, 0o600);
  });

  /** The waiter's R2 break: rename its temp over the lock. */
  const waiterBreaks = () => ctx.fs.renameSync(hostPath(ctx, WAITER_TEMP), hostPath(ctx, LOCK));
  const lockNames = () => (ctx.fs.readdirSync(hostPath(ctx, `${USERS}/bob`)) as string[]).filter((n) => n.includes('.lock')).sort();

  it('keeps the live lock a waiter installed right before doctor’s removal', async () => {
    const waiterIno = ctx.fs.lstatSync(hostPath(ctx, WAITER_TEMP)).ino;
    const racing = racingFs(ctx.fs, 'before', waiterBreaks);
    const r = await doctor(makeLinkstore(ctx.make({ fs: racing.fs })), { fix: true, user: 'bob', pidAlive });
    expect(racing.fired()).toBe(true);
    // The waiter's lock is still the lock, the very inode it installed (its release check passes).
    expect(peek(ctx, LOCK)).toBe(WAITER);
    expect(ctx.fs.lstatSync(hostPath(ctx, LOCK)).ino).toBe(waiterIno);
    const f = r.findings.find((x) => x.kind === 'stale_lock' && x.path.endsWith('/bob.db.lock'));
    expect(f).toMatchObject({ fixed: false });
    expect(f?.detail).toContain('in use again');
    // Nothing of doctor's is left next to it.
    expect(lockNames()).toEqual(['bob.db.lock']);
  });

  it('removes only the stale lock when a waiter installs its lock right after doctor took it away', async () => {
    const racing = racingFs(ctx.fs, 'after', waiterBreaks);
    const r = await doctor(makeLinkstore(ctx.make({ fs: racing.fs })), { fix: true, user: 'bob', pidAlive });
    expect(racing.fired()).toBe(true);
    expect(peek(ctx, LOCK)).toBe(WAITER);
    expect(r.findings.find((x) => x.kind === 'stale_lock' && x.path.endsWith('/bob.db.lock'))).toMatchObject({ fixed: true });
    expect(lockNames()).toEqual(['bob.db.lock']);
  });

  it('removes a stale lock nobody races for, leaving no name behind', async () => {
    ctx.fs.unlinkSync(hostPath(ctx, WAITER_TEMP));
    const r = await doctor(ls, { fix: true, user: 'bob', pidAlive });
    expect(r.findings.find((x) => x.kind === 'stale_lock' && x.path.endsWith('/bob.db.lock'))).toMatchObject({ fixed: true });
    expect(lockNames()).toEqual([]);
  });
});
