/**
 * Crash safety. A child process runs link creates/replaces, token updates, batch creates, NDJSON
 * imports (src/transfer), authn link/unlink and client-config writes in a loop and is SIGKILLed at a random moment, again and
 * again (STRESS_ITERATIONS, default 40). After every kill, checked with our own tree walker:
 * every managed file parses in its style and has its exact mode; every file holds either the
 * value it had before the interrupted call or the value that call wrote (never a mix or a
 * partial); the next child's first operation is not held up by the dead child's locks. A watcher
 * process samples the trees (temp files included) the whole time for secrets in group- or
 * other-readable files. At the end, doctor --fix (library) leaves no debris and a consistent tree,
 * and both the library's and the CLI's `doctor` then report it clean.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpdirCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from '../hostile/server.js';
import { checkTree, type TreeReport } from './tree-check.js';
import { runDoctor } from './doctor.js';
import { stableDist } from './stable-dist.js';

const here = dirname(fileURLToPath(import.meta.url));
const ITERATIONS = Number(process.env.STRESS_ITERATIONS ?? 40);
/** Longest acceptable first operation of a child after a kill (the dead child's locks are broken at once). */
const FIRST_OP_BOUND_MS = 3000;

type Op =
  | { op: 'create' | 'token' | 'batch' | 'client'; v: string; app?: string }
  | { op: 'link' | 'unlink'; subject: string }
  | { op: 'import'; v: string; subject: string };
type Line = { phase: 'ready' | 'begin' | 'done' | 'error'; ms?: number; code?: string; message?: string } & Op;

const I = '/var/cpanel/integration';
const USER_DB = '/var/cpanel/authn/links/users/bob/bob.db';
const LINK_DB = '/var/cpanel/authn/links/openid_connect/login/google.db';
const CLIENT = '/var/cpanel/authn/client_config/openid_connect/google';
const LINKS: [string, string][] = [
  ['bob', 'app0'],
  ['bob', 'app1'],
  ['bob', 'batch0'],
  ['alice', 'batch1'],
  ['bob', 'imp0'],
  ['alice', 'imp1'],
];

/** The files a call touches and the marker each gets. */
function effects(op: Op): Map<string, string> {
  const out = new Map<string, string>();
  const link = (user: string, app: string, v: string) => {
    out.set(`${I}/links/${user}/${app}.userconfig`, v);
    out.set(`${I}/links/${user}/${app}.adminconfig`, v);
    out.set(`${I}/dynamicui/${user}/dynamicui_${app}.conf`, v);
  };
  if (op.op === 'create') link('bob', op.app!, op.v);
  else if (op.op === 'token') out.set(`${I}/links/bob/${op.app!}.adminconfig`, op.v);
  else if (op.op === 'batch') {
    link('bob', 'batch0', op.v);
    link('alice', 'batch1', op.v);
  } else if (op.op === 'import') {
    link('bob', 'imp0', op.v);
    link('alice', 'imp1', op.v);
  } else if (op.op === 'client') out.set(CLIENT, op.v);
  return out;
}

interface State {
  markers: Map<string, string | undefined>;
  userDb: Set<string>;
  linkDb: Set<string>;
}

/** What the files hold now, as markers; problems for files whose parts disagree. */
function observe(r: TreeReport, problems: string[]): State {
  const markers = new Map<string, string | undefined>();
  const strip = (v: unknown, prefix: string) =>
    typeof v === 'string' && v.startsWith(prefix) ? v.slice(prefix.length) : v === undefined ? undefined : `?${String(v)}`;
  for (const [user, app] of LINKS) {
    const uc = r.files.get(`${I}/links/${user}/${app}.userconfig`) as { url?: string } | undefined;
    const ac = r.files.get(`${I}/links/${user}/${app}.adminconfig`) as { token?: string } | undefined;
    const ui = r.files.get(`${I}/dynamicui/${user}/dynamicui_${app}.conf`) as { itemdesc?: string }[] | undefined;
    markers.set(`${I}/links/${user}/${app}.userconfig`, uc && strip(uc.url, 'https://x/'));
    markers.set(`${I}/links/${user}/${app}.adminconfig`, ac && strip(ac.token, 'SECRET-'));
    const m = ui?.[0]?.itemdesc?.match(/^\$LANG\{'L(.*)'\}$/);
    markers.set(`${I}/dynamicui/${user}/dynamicui_${app}.conf`, ui && (m ? m[1] : `?${JSON.stringify(ui)}`));
  }
  const cc = r.files.get(CLIENT) as { client_id?: string; client_secret?: string } | undefined;
  const id = cc && strip(cc.client_id, 'id-');
  if (cc && cc.client_secret !== `SECRET-${id}`) problems.push(`client config mixes calls: ${JSON.stringify(cc)}`);
  markers.set(CLIENT, id);
  const udb = r.files.get(USER_DB) as { openid_connect?: { google?: Record<string, unknown> } } | undefined;
  const ldb = r.files.get(LINK_DB) as { user?: { bob?: Record<string, unknown> } } | undefined;
  return { markers, userDb: new Set(Object.keys(udb?.openid_connect?.google ?? {})), linkDb: new Set(Object.keys(ldb?.user?.bob ?? {})) };
}

const setKey = (s: Set<string>) => [...s].sort().join(',');

function applyAuthn(s: State, op: Op): { userDb: Set<string>; linkDb: Set<string> } {
  if (op.op === 'link' || op.op === 'import') {
    const userDb = new Set([...s.userDb, op.subject]);
    return { userDb, linkDb: new Set([...s.linkDb, ...userDb]) };
  }
  if (op.op === 'unlink') {
    const userDb = new Set(s.userDb);
    userDb.delete(op.subject);
    const linkDb = new Set(s.linkDb);
    linkDb.delete(op.subject);
    return { userDb, linkDb };
  }
  return { userDb: s.userDb, linkDb: s.linkDb };
}

describe('crash safety: SIGKILL at random moments [tmpdir]', () => {
  const tmp = tmpdirCtx();
  const dist = stableDist();
  const env = { ...process.env, LINKSTORE_DIST: dist.dir };
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    tmp.cleanup();
    dist.cleanup();
  });

  it(`${ITERATIONS} kills: old-or-new files, exact modes, no leaked secret, locks recovered, doctor --fix leaves a clean tree`, async () => {
    const ctx = tmp;
    seedServer(ctx);
    const ls = makeLinkstore(ctx);
    const integ = await ls.integration();
    for (const app of ['app0', 'app1']) await integ.createLink({ user: 'bob', app: app, url: 'https://x/init', token: 'SECRET-init', label: 'Linit' });

    const watcher = spawn(process.execPath, [join(here, 'secret-watcher.mjs'), tmp.root], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(watcher);
    let watcherOut = '';
    watcher.stdout!.on('data', (d: Buffer) => (watcherOut += d.toString()));

    const problems: string[] = [];
    let state = observe(checkTree(tmp.root), problems);
    let rng = 12345;
    const rnd = () => (rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const figures = {
      kills: 0,
      killedMidOperation: 0,
      killedIn: {} as Record<string, number>,
      operationsDone: 0,
      debrisSeen: 0,
      maxFirstOpMs: 0,
      filesChecked: 0,
    };

    for (let it = 0; it < ITERATIONS; it++) {
      const child = spawn(process.execPath, [join(here, 'crash-child.mjs'), tmp.root, String(it + 1)], { stdio: ['ignore', 'pipe', 'inherit'], env });
      children.push(child);
      let buf = '';
      const lines: Line[] = [];
      let readyResolve: () => void = () => {};
      const ready = new Promise<void>((r) => (readyResolve = r));
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) !== -1) {
          const l = JSON.parse(buf.slice(0, nl)) as Line;
          buf = buf.slice(nl + 1);
          lines.push(l);
          if (l.phase === 'ready') readyResolve();
        }
      });
      const closed = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
      await Promise.race([ready, closed]);
      await new Promise((r) => setTimeout(r, 5 + rnd() * 250));
      child.kill('SIGKILL');
      const exit = await closed;
      figures.kills++;
      const errors = lines.filter((l) => l.phase === 'error');
      if (exit.signal !== 'SIGKILL' || errors.length) problems.push(`iteration ${it}: child ended ${JSON.stringify(exit)} ${JSON.stringify(errors)}`);

      // Replay the child's log over the model.
      let inflight: Op | undefined;
      let first = true;
      for (const l of lines) {
        if (l.phase === 'begin') inflight = l;
        else if (l.phase === 'done') {
          figures.operationsDone++;
          if (first) figures.maxFirstOpMs = Math.max(figures.maxFirstOpMs, l.ms ?? 0);
          if (first && (l.ms ?? 0) > FIRST_OP_BOUND_MS) problems.push(`iteration ${it}: first operation took ${l.ms} ms`);
          first = false;
          for (const [p, v] of effects(l)) state.markers.set(p, v);
          Object.assign(state, applyAuthn(state, l));
          inflight = undefined;
        }
      }
      if (inflight) {
        figures.killedMidOperation++;
        figures.killedIn[inflight.op] = (figures.killedIn[inflight.op] ?? 0) + 1;
      }

      // The tree now: parses, modes, secrets; each file old or new.
      const report = checkTree(tmp.root);
      figures.filesChecked += report.files.size;
      figures.debrisSeen += report.debris.length;
      problems.push(...report.problems.map((p) => `iteration ${it}: ${p}`));
      const now = observe(report, problems);
      const pending = inflight ? effects(inflight) : new Map<string, string>();
      for (const [p, v] of now.markers) {
        const allowed = [state.markers.get(p), pending.get(p)];
        if (!allowed.includes(v)) problems.push(`iteration ${it}: ${p} holds ${v}, expected ${allowed.filter(Boolean).join(' or ')}`);
      }
      const next = inflight ? applyAuthn(state, inflight) : state;
      if (![setKey(state.userDb), setKey(next.userDb)].includes(setKey(now.userDb)))
        problems.push(`iteration ${it}: per-user DB subjects ${setKey(now.userDb)} are neither old nor new`);
      if (![setKey(state.linkDb), setKey(next.linkDb)].includes(setKey(now.linkDb)))
        problems.push(`iteration ${it}: LinkDB subjects ${setKey(now.linkDb)} are neither old nor new`);
      state = now;
      if (problems.length > 20) break;
    }

    watcher.kill('SIGTERM');
    await new Promise((r) => watcher.on('close', r));
    const leaks = watcherOut.split('\n').filter((l) => l.startsWith('LEAK'));
    problems.push(...leaks);
    const scans = Number(/scans (\d+)/.exec(watcherOut)?.[1] ?? 0);

    // doctor --fix, then a clean report and a clean tree.
    const doc = await runDoctor(ls, dist.dir, tmp.root);
    {
      expect(doc.second.ok, JSON.stringify(doc.second.findings)).toBe(true);
      expect(doc.second.findings).toEqual([]);
      expect([doc.cli.code, doc.cli.report?.ok, doc.cli.report?.findings], doc.cli.stderr).toEqual([0, true, []]);
      const end = checkTree(tmp.root);
      expect(end.problems).toEqual([]);
      expect(end.debris).toEqual([]);
      for (const [user, app] of LINKS) {
        const uc = end.files.get(`${I}/links/${user}/${app}.userconfig`) as { url: string } | undefined;
        const ui = end.files.get(`${I}/dynamicui/${user}/dynamicui_${app}.conf`) as { itemdesc: string }[] | undefined;
        if (uc) expect(ui?.[0]?.itemdesc).toBe(`$LANG{'L${uc.url.slice('https://x/'.length)}'}`);
      }
    }
    expect(await (await ls.authn()).checkDrift({ provider: 'google' })).toEqual([]);
    await integ.createLink({ user: 'bob', app: 'after', url: 'https://x/after', token: 'SECRET-after' });

    console.log(`crash figures: ${JSON.stringify({ iterations: ITERATIONS, ...figures, watcherScans: scans, doctor: doc.first.summary })}`);
    expect(problems).toEqual([]);
    expect(figures.operationsDone).toBeGreaterThan(ITERATIONS);
    expect(scans).toBeGreaterThan(0);
  });
});
