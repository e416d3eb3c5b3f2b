/**
 * Racing symlinks (issue: hostile input). A C helper exchanges a managed directory with a symlink
 * to a copy of it outside the root, with renameat2(RENAME_EXCHANGE), as fast as it can, while this
 * process keeps calling the library on that directory. Path checks alone lose this race (the
 * kernel walks the path again at each open/rename/link/unlink); the library works through verified
 * directory handles, so no byte may ever be created, replaced or removed outside the root, and no
 * answer may hold a byte read there (the copy's secrets are marked). A call
 * that loses the race must fail with a LinkstoreError and leave nothing behind.
 *
 * Real disk only (renameat2 and /proc/self/fd). Duration per directory: RACE_MS (default 1500).
 */

import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLinkstoreError } from '../../src/io/errors.js';
import type { Linkstore } from '../../src/services.js';
import { tmpdirCtx, type DiskCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from '../hostile/server.js';
import { compileRacer, fingerprint, startExchange } from './exchange-race.js';

const RACE_MS = Number(process.env.RACE_MS ?? 1500);
const canRace = process.platform === 'linux' && nodeFs.existsSync('/proc/self/fd');

interface RaceFigures {
  target: string;
  swaps: number;
  calls: number;
  ok: number;
  lost: Record<string, number>;
  changedOutside: number;
  /** Answers that held bytes of the copy outside the root (marked OUTSID by startExchange). */
  readOutside: number;
}

type Call = (ls: Linkstore, i: number) => Promise<unknown>;

const integrationCalls: Call[] = [
  async (ls, i) => (await ls.integration()).createLink({ user: 'bob', app: `app${i % 3}`, url: `https://x.example/${i}`, token: `SECRET-${i}` }),
  async (ls, i) => (await ls.integration()).setLinkToken({ user: 'bob', app: `app${i % 3}`, token: `SECRET2-${i}` }),
  async (ls, i) => (await ls.integration()).removeLink({ user: 'bob', app: `app${(i + 1) % 3}` }),
  async (ls, i) => (await ls.integration()).createGroup({ user: 'bob', group_id: `g${i % 2}`, label: `G${i}` }),
  async (ls, i) => (await ls.integration()).getLinkToken({ user: 'bob', app: `app${i % 3}` }),
  async (ls, i) => (await ls.integration()).getLinkUserConfig({ user: 'bob', app: `app${i % 3}` }),
  async (ls) => (await ls.integration()).listLinks({ user: 'bob' }),
];
const authnCalls: Call[] = [
  async (ls, i) => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: `s${i % 4}`, userInfo: { preferred_username: `SECRET-${i}` } }),
  async (ls, i) => (await ls.authn()).unlinkAccount({ user: 'bob', provider: 'google', subject: `s${(i + 2) % 4}` }),
  async (ls) => (await ls.authn()).listLinks({ user: 'bob' }),
  async (ls) => (await ls.authn()).listLinkedAccounts(),
];
const clientCalls: Call[] = [
  async (ls, i) =>
    (await ls.authn()).setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: `id-${i}`, client_secret: `SECRET-${i}` } }),
  async (ls) => (await ls.authn()).getClientConfig({ service: 'cpaneld', provider: 'google' }),
];

const TARGETS: { dir: string; calls: Call[] }[] = [
  { dir: '/var/cpanel/integration/links/bob', calls: integrationCalls },
  { dir: '/var/cpanel/integration/dynamicui/bob', calls: integrationCalls },
  { dir: '/var/cpanel/authn/links/users/bob', calls: authnCalls },
  { dir: '/var/cpanel/authn/links/openid_connect/login', calls: authnCalls },
  { dir: '/var/cpanel/authn/client_config/openid_connect', calls: clientCalls },
  { dir: '/var/cpanel', calls: [...integrationCalls, ...authnCalls, ...clientCalls] },
];

describe.skipIf(!canRace)('symlink race: a directory exchanged with a symlink mid-call', () => {
  let racer = '';
  let work = '';
  const figures: RaceFigures[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'linkstore-race-'));
    racer = compileRacer(work);
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    if (figures.length > 0) process.stdout.write(`symlink race figures: ${JSON.stringify(figures)}\n`);
  });

  for (const target of TARGETS) {
    it(`never changes a byte outside the root while ${target.dir} is exchanged`, async () => {
      const ctx: DiskCtx & { cleanup(): void } = tmpdirCtx();
      const outside = mkdtempSync(join(tmpdir(), 'linkstore-outside-'));
      try {
        seedServer(ctx);
        const ls = makeLinkstore(ctx);
        // Bring every directory into existence with a first round of calls.
        // (Some of them, such as an unlink of a subject not linked yet, are refused: that is fine here.)
        for (let i = 0; i < 4; i++) for (const c of [...integrationCalls, ...authnCalls, ...clientCalls]) await c(ls, i).catch(() => undefined);
        const race = startExchange(racer, join(ctx.root, target.dir), outside, RACE_MS);

        const f: RaceFigures = { target: target.dir, swaps: 0, calls: 0, ok: 0, lost: {}, changedOutside: 0, readOutside: 0 };
        for (let i = 0; race.running(); i++) {
          const call = target.calls[i % target.calls.length] as Call;
          f.calls++;
          try {
            const answer = await call(ls, i);
            if (JSON.stringify(answer ?? null).includes('OUTSID')) f.readOutside++;
            f.ok++;
          } catch (e) {
            // Losing the race is fine; anything but a typed error is not.
            if (!isLinkstoreError(e)) throw e;
            f.lost[e.code] = (f.lost[e.code] ?? 0) + 1;
          }
        }
        const { swaps, changedOutside, before, after } = await race.finish();
        Object.assign(f, { swaps, changedOutside });
        figures.push(f);
        expect(f.swaps).toBeGreaterThan(0);
        expect(f.calls).toBeGreaterThan(0);
        expect(f.readOutside).toBe(0);
        expect([...after.entries()]).toEqual([...before.entries()]);
        // The tree is whole afterwards: the same calls succeed, and nothing of ours is left in it.
        nodeFs.unlinkSync(race.swap);
        // An unlink of a subject the race kept from being linked finds nothing to remove.
        for (const c of target.calls)
          await c(ls, 1000).catch((e: unknown) => expect(isLinkstoreError(e, 'E_NO_SUCH_LINK') || isLinkstoreError(e, 'E_INVALID_PARAM')).toBe(true));
        await new Promise((r) => setImmediate(r));
        const debris = [...fingerprint(join(ctx.root, 'var/cpanel')).keys()].filter((k) => /\/\.tmp\.|\.lock-[0-9a-f]+-/.test(k));
        expect(debris).toEqual([]);
      } finally {
        ctx.cleanup();
        rmSync(outside, { recursive: true, force: true });
      }
    });
  }
});
