/**
 * Racing symlinks against the CLI (issue: hostile input). The attacker also got the
 * `linkstore` binary to write outside the root (15 entries in 155 runs): each run is a fresh
 * process, so nothing is kept open between runs and every run resolves its directories anew.
 * While the C racer exchanges a managed directory with a symlink to an outside copy, several CLI
 * processes at a time create, re-token and remove links; no byte outside the root may change, and
 * every run must exit 0, or 1 with a typed `error_code`.
 *
 * Real disk only (renameat2 and /proc/self/fd). Duration per directory: CLI_RACE_MS (default 4000).
 */
import { execFile } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/io/errors.js';
import { tmpdirCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from '../hostile/server.js';
import { stableDist } from './stable-dist.js';
import { compileRacer, fingerprint, startExchange } from './exchange-race.js';

const RACE_MS = Number(process.env.CLI_RACE_MS ?? 4000);
const AT_ONCE = 4;
const canRace = process.platform === 'linux' && nodeFs.existsSync('/proc/self/fd');

/** The CLI command lines the runs cycle through (all aimed at bob's links). */
function commandLine(root: string, i: number): string[] {
  const app = `cli${i % 3}`;
  const lines = [
    ['create_integration_link', 'user=bob', `app=${app}`, `url=https://x.example/${i}`, `token=SECRET-${i}`],
    ['update_integration_link_token', 'user=bob', `app=${app}`, `token=SECRET2-${i}`],
    ['remove_integration_link', 'user=bob', `app=cli${(i + 1) % 3}`],
  ];
  return ['--root', root, '--output', 'json', ...(lines[i % lines.length] as string[])];
}

interface CliFigures {
  target: string;
  swaps: number;
  runs: number;
  ok: number;
  lost: Record<string, number>;
  changedOutside: number;
}

describe.skipIf(!canRace)('symlink race against the CLI binary', () => {
  let racer = '';
  let work = '';
  let bin = '';
  let cleanupDist = () => {};
  const figures: CliFigures[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'linkstore-cli-race-'));
    racer = compileRacer(work);
    // The binary's own launcher, over a private copy of the build (see stable-dist.ts).
    const dist = stableDist();
    cleanupDist = dist.cleanup;
    bin = join(dist.dir, 'linkstore.mjs');
    writeFileSync(
      bin,
      `const [m, raw] = await Promise.all([import('./src/cli/main.js'), import('./src/io/raw-argv.js')]);\n` +
        `const argv = process.argv.slice(2);\nprocess.exitCode = await m.main(argv, undefined, raw.rawArgvTail(argv.length));\n`,
    );
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    cleanupDist();
    if (figures.length > 0) process.stdout.write(`CLI symlink race figures: ${JSON.stringify(figures)}\n`);
  });

  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
    });

  for (const target of ['/var/cpanel/integration/links/bob', '/var/cpanel']) {
    it(`no byte outside the root changes while ${target} is exchanged under CLI runs`, async () => {
      const ctx = tmpdirCtx();
      const outside = mkdtempSync(join(tmpdir(), 'linkstore-cli-outside-'));
      try {
        seedServer(ctx);
        const ls = makeLinkstore(ctx);
        for (let i = 0; i < 3; i++) await (await ls.integration()).createLink({ user: 'bob', app: `cli${i}`, url: 'https://x.example/', token: 'T' });
        const race = startExchange(racer, join(ctx.root, target), outside, RACE_MS);

        const f: CliFigures = { target, swaps: 0, runs: 0, ok: 0, lost: {}, changedOutside: 0 };
        const problems: string[] = [];
        let next = 0;
        const worker = async () => {
          while (race.running()) {
            const r = await run(commandLine(ctx.root, next++));
            f.runs++;
            if (r.code === 0) {
              f.ok++;
              continue;
            }
            let code: string | undefined;
            try {
              code = (JSON.parse(r.stdout) as { metadata?: { error_code?: string } }).metadata?.error_code;
            } catch {
              code = undefined;
            }
            // Losing the race is fine; anything but a typed failure (exit 1 with a known code) is not.
            if (r.code !== 1 || code === undefined || code === 'E_INTERNAL' || !Object.hasOwn(ERROR_CODES, code)) {
              problems.push(`exit ${r.code}: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`);
            } else f.lost[code] = (f.lost[code] ?? 0) + 1;
          }
        };
        await Promise.all(Array.from({ length: AT_ONCE }, worker));
        const { swaps, changedOutside, before, after } = await race.finish();
        Object.assign(f, { swaps, changedOutside });
        figures.push(f);
        expect(problems).toEqual([]);
        expect(f.swaps).toBeGreaterThan(0);
        expect(f.runs).toBeGreaterThan(AT_ONCE);
        expect([...after.entries()]).toEqual([...before.entries()]);
        nodeFs.unlinkSync(race.swap);
        const debris = [...fingerprint(join(ctx.root, 'var/cpanel')).keys()].filter((k) => /\/\.tmp\.|\.lock-[0-9a-f]+-/.test(k));
        expect(debris).toEqual([]);
      } finally {
        ctx.cleanup();
        rmSync(outside, { recursive: true, force: true });
      }
    });
  }
});
