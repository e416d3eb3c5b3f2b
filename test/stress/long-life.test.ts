/**
 * Long life: a process doing many mixed operations keeps a flat memory profile. No cache, memo or
 * registry of the library grows with the number of calls: after the run every io registry is back
 * to zero (runtimeStats), and the heap after a full collection at the end is within a small bound
 * of the heap at a quarter of the run, when every cache had already been warmed.
 *
 * LONGLIFE_OPS operations per backend (default 3000; the 200,000 is a manual run).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { runtimeStats } from '../../src/io/runtime-stats.js';
import { isLinkstoreError } from '../../src/io/errors.js';
import { describeOnDisks, settle } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from '../hostile/server.js';

const OPS = Number(process.env.LONGLIFE_OPS ?? 3000);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describeOnDisks('long life', (ctx) => {
  it(`${OPS} mixed operations keep memory flat and leave every registry empty`, { timeout: 1_800_000 }, async () => {
    seedServer(ctx);
    const ls = makeLinkstore(ctx);
    const integ = await ls.integration();
    const authn = await ls.authn();
    const users = await ls.users();
    const people = ['bob', 'alice', 'acmewidgets'];
    const ops: ((i: number) => Promise<unknown>)[] = [
      (i) => integ.createLink({ user: people[i % 3] as string, app: `app${i % 7}`, url: `https://x.example/${i}`, token: `T${i}` }),
      (i) => integ.setLinkToken({ user: people[i % 3] as string, app: `app${(i + 3) % 7}`, token: `T2-${i}` }),
      (i) => integ.removeLink({ user: people[i % 3] as string, app: `app${(i + 5) % 7}` }),
      (i) => integ.listLinks({ user: people[i % 3] as string }),
      (i) => authn.linkAccount({ user: people[i % 3] as string, provider: 'google', subject: `s${i % 11}` }),
      (i) => authn.unlinkAccount({ user: people[i % 3] as string, provider: 'google', subject: `s${(i + 5) % 11}` }),
      (i) => authn.listLinks({ user: people[i % 3] as string }),
      (i) => users.validateSystemUser({ user: `user${i}` }),
    ];
    let quarter = 0;
    for (let i = 0; i < OPS; i++) {
      try {
        await (ops[i % ops.length] as (i: number) => Promise<unknown>)(i);
      } catch (e) {
        // Refusals (an unlink of a subject not linked, a token for a removed link) are part of the mix.
        if (!isLinkstoreError(e)) throw e;
      }
      if (i === Math.floor(OPS / 4)) quarter = heapAfterGc();
    }
    await settle();
    const end = heapAfterGc();
    expect(runtimeStats()).toEqual({ installedLocks: 0, leftoverLocks: 0, leftoverLockDirs: 0, idleLockTemps: 0, leftoverLockTemps: 0, mutexKeys: 0 });
    // Flat: what is left after three quarters of the run is noise, not a per-call accumulation.
    expect(end - quarter).toBeLessThan(8 * 1024 * 1024);
  });
});
