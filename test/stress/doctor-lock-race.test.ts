/**
 * doctor --fix racing a cPanel waiter for the same stale lock, for real: each round plants
 * `users/bob/bob.db.lock` holding a dead PID, starts a Perl waiter speaking cPanel's protocol
 * (cpanel-lock-waiter.pl: link, or break a dead-PID lock by rename after its inode/mtime check,
 * hold 30 ms, release with the same check) at a random moment, and runs doctor --fix for bob at
 * the same time. Whoever wins, the waiter's lock must never be removed or replaced while it holds
 * it. Rounds: 5 × STRESS_ITERATIONS (default 40). test/doctor/stale-lock-race.test.ts injects the
 * same break deterministically.
 */
import * as fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { doctor } from '../../src/doctor/index.js';
import { tmpdirCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from '../hostile/server.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = 5 * Number(process.env.STRESS_ITERATIONS ?? 40);
const ctx = tmpdirCtx();
afterAll(() => ctx.cleanup());

it(`doctor --fix never removes a lock a live cPanel waiter took from the same stale lock (${ROUNDS} rounds)`, async () => {
  seedServer(ctx);
  const ls = makeLinkstore(ctx);
  await (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 's0' });
  const lock = join(ctx.root, 'var/cpanel/authn/links/users/bob/bob.db.lock');
  const dead = spawnSync('true').pid as number;
  const tally: Record<string, number> = {};
  for (let i = 0; i < ROUNDS; i++) {
    fs.rmSync(lock, { force: true });
    fs.writeFileSync(lock, `${dead}\nSomeCpanelWriter\n`, { mode: 0o600 });
    const w = spawn('perl', [join(here, 'cpanel-lock-waiter.pl'), lock, String(Math.floor(Math.random() * 30_000)), '30'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    w.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => w.on('exit', r));
    await new Promise((r) => setTimeout(r, 25 + Math.random() * 10));
    await doctor(ls, { fix: true, user: 'bob' }).catch(() => undefined);
    await exited;
    const k = out.trim() || 'no output';
    tally[k] = (tally[k] ?? 0) + 1;
  }
  process.stdout.write(`doctor-lock-race: ${JSON.stringify({ rounds: ROUNDS, tally })}\n`);
  expect(Object.keys(tally).filter((k) => !k.endsWith(' ok'))).toEqual([]);
  // Nothing of doctor's (a lock set aside) is left in the directory.
  expect(fs.readdirSync(dirname(lock)).filter((n) => n.includes('.lock'))).toEqual([]);
}, 600_000);
