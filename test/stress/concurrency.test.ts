/**
 * Concurrency. Eight library processes mix operations on the same two users (replacements of one
 * shared app, creates of their own apps, token updates of one app, authn link/unlink of distinct
 * subjects) while two simulated cPanel writers (test/authn/cpanel-authn-writer.pl: SafeFile
 * dot-locks in Perl) add links for the same users, one of them first holding the per-user DB lock
 * for a while. At the end: every process exited cleanly; no authn link a process reported as done
 * (and did not later unlink) is missing from the per-user DB or the LinkDB, and no unlinked one is
 * left; checkDrift is empty; each process's own app holds its last write; the shared app's three
 * files come from one call; the token is one that was written; the tree is clean (modes, no debris).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpdirCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from '../hostile/server.js';
import { stableDist } from './stable-dist.js';
import { checkTree } from './tree-check.js';

const here = dirname(fileURLToPath(import.meta.url));
const PERL_WRITER = join(here, '..', 'authn', 'cpanel-authn-writer.pl');
const PROCESSES = 8;
/** Operations per library process: twice STRESS_ITERATIONS (default 40, so 80). */
const ITERATIONS = Math.max(10, Math.round(2 * Number(process.env.STRESS_ITERATIONS ?? 40)));
const PERL_LINKS = Math.max(5, Math.round(ITERATIONS / 2));
const I = '/var/cpanel/integration';

type Done = { op: 'shared' | 'own' | 'token'; user: string; m: string; app?: string } | { op: 'link' | 'unlink'; user: string; subject: string };

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', (code) => resolve({ code, out }));
  });
}

describe('concurrency: 8 library processes and 2 simulated cPanel writers [tmpdir]', () => {
  const tmp = tmpdirCtx();
  const dist = stableDist();
  afterAll(() => {
    tmp.cleanup();
    dist.cleanup();
  });

  it(`${PROCESSES} × ${ITERATIONS} mixed operations: nothing lost, stores agree, coherent triples, no unexpected error`, async () => {
    const ctx = tmp;
    seedServer(ctx);
    const ls = makeLinkstore(ctx);
    const integ = await ls.integration();
    for (const user of ['bob', 'alice']) {
      await integ.createLink({ user: user, app: 'shared', url: 'https://x/init', token: 'init', label: 'init', subscriber_unique_id: 'init' });
      await integ.createLink({ user: user, app: 'tokapp', url: 'https://x/tokapp', token: 'init' });
    }
    const env = { ...process.env, LINKSTORE_DIST: dist.dir };
    const t0 = Date.now();
    const results = await Promise.all([
      ...Array.from({ length: PROCESSES }, (_, i) =>
        run(process.execPath, [join(here, 'concurrency-child.mjs'), tmp.root, `p${i}`, String(ITERATIONS), String(1000 + i)], env),
      ),
      run('perl', [PERL_WRITER, tmp.root, 'bob', 'bob', '1001', 'google', 'add', String(PERL_LINKS), 'perl-bob'], env),
      run('perl', [PERL_WRITER, tmp.root, 'alice', 'alice', '1002', 'google', 'hold', '1.5', 'perl-alice-held'], env),
      run('perl', [PERL_WRITER, tmp.root, 'alice', 'alice', '1002', 'google', 'add', String(PERL_LINKS), 'perl-alice'], env),
    ]);
    const seconds = (Date.now() - t0) / 1000;
    expect(
      results.map((r) => r.code),
      results
        .map((r) =>
          r.out
            .split('\n')
            .filter((l) => l.includes('"error"'))
            .join('\n'),
        )
        .join(''),
    ).toEqual(results.map(() => 0));

    // Replay what each process reported as done.
    const expected: Record<string, Set<string>> = { bob: new Set(), alice: new Set() };
    const own = new Map<string, string>();
    const sharedDone: Record<string, Set<string>> = { bob: new Set(['init']), alice: new Set(['init']) };
    const tokensDone: Record<string, Set<string>> = { bob: new Set(['init']), alice: new Set(['init']) };
    let ops = 0;
    for (const r of results.slice(0, PROCESSES)) {
      for (const line of r.out.split('\n').filter(Boolean)) {
        const d = JSON.parse(line) as Done;
        ops++;
        if (d.op === 'link') expected[d.user]!.add(d.subject);
        else if (d.op === 'unlink') expected[d.user]!.delete(d.subject);
        else if (d.op === 'own') own.set(`${d.user}/${d.app!}`, d.m);
        else if (d.op === 'shared') sharedDone[d.user]!.add(d.m);
        else if (d.op === 'token') tokensDone[d.user]!.add(d.m);
      }
    }
    expect(ops).toBe(PROCESSES * ITERATIONS);
    for (let i = 1; i <= PERL_LINKS; i++) {
      expected.bob!.add(`perl-bob-${i}`);
      expected.alice!.add(`perl-alice-${i}`);
    }
    expected.alice!.add('perl-alice-held');

    // No lost or resurrected authn link, in either store.
    const authn = await ls.authn();
    const report = checkTree(tmp.root);
    const ldb = report.files.get('/var/cpanel/authn/links/openid_connect/login/google.db') as {
      user: Record<string, Record<string, 1>>;
      subject_unique_identifier: Record<string, Record<string, unknown>>;
    };
    for (const user of ['bob', 'alice']) {
      const perUser = (await authn.listLinks({ user })).map((l) => l.subject_unique_identifier).sort();
      expect(perUser, `${user} per-user DB`).toEqual([...expected[user]!].sort());
      expect(Object.keys(ldb.user[user] ?? {}).sort(), `${user} LinkDB user map`).toEqual([...expected[user]!].sort());
      for (const s of expected[user]!) expect(ldb.subject_unique_identifier[s]?.[user], `${user} ${s} in LinkDB`).toBeDefined();
    }
    expect(await authn.checkDrift({ provider: 'google' })).toEqual([]);

    // No lost integration link; the racing replacements left coherent triples.
    for (const [key, m] of own) {
      const [user, app] = key.split('/') as [string, string];
      expect((await integ.getLinkUserConfig({ user, app })).url, key).toBe(`https://x/${m}`);
      expect(await integ.getLinkToken({ user, app }), key).toBe(m);
    }
    for (const user of ['bob', 'alice']) {
      const u = await integ.getLinkUserConfig({ user, app: 'shared' });
      const m = u.subscriber_unique_id as string;
      expect(sharedDone[user]!.has(m), `${user}/shared holds ${m}`).toBe(true);
      const ui = report.files.get(`${I}/dynamicui/${user}/dynamicui_shared.conf`) as { itemdesc: string }[];
      expect([u.url, u.label, await integ.getLinkToken({ user, app: 'shared' }), ui[0]!.itemdesc]).toEqual([`https://x/${m}`, m, m, `$LANG{'${m}'}`]);
      expect(tokensDone[user]!.has((await integ.getLinkToken({ user, app: 'tokapp' })) as string)).toBe(true);
    }
    expect(report.problems).toEqual([]);
    expect(report.debris).toEqual([]);
    console.log(
      `concurrency figures: ${JSON.stringify({ processes: PROCESSES, iterationsEach: ITERATIONS, libraryOperations: ops, perlLinks: 2 * PERL_LINKS + 1, authnLinksAtEnd: expected.bob!.size + expected.alice!.size, seconds })}`,
    );
  });
});
