/**
 * Hostile input: every corpus case, through the typed API and through `callWhm`, must fail with a
 * typed error (a LinkstoreError with a known code; `result: 0` with an `error_code` other than
 * E_INTERNAL) and leave the whole tree (modes and bytes) exactly as it was. A sample goes through
 * the CLI binary too. Bad files on disk (malformed, truncated, wrong-typed, 0-byte) likewise.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, LinkstoreError } from '../../src/io/errors.js';
import { callWhm } from '../../src/whm/index.js';
import { backends, describeOnDisks, seed, snapshotTree, type DiskCtx, settle } from '../helpers/disks.js';
import { buildCorpus } from './corpus.js';
import { buildDiskCorpus } from './disk-corpus.js';
import { fixDirModes, makeLinkstore, seedServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', '..', 'bin', 'linkstore.js');
const CORPUS = buildCorpus();
const DISK_CORPUS = buildDiskCorpus();

/** The sample server plus one link, one group and one authn link to aim at. */
async function seedBase(ctx: DiskCtx): Promise<void> {
  seedServer(ctx);
  const ls = makeLinkstore(ctx);
  const integ = await ls.integration();
  await integ.createLink({ user: 'bob', app: 'existing', url: 'https://example.com/', token: 'secret-token' });
  await integ.createGroup({ user: 'bob', group_id: 'grp', label: 'Group' });
  await (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'sub-existing', userInfo: { preferred_username: 'bobby' } });
  fixDirModes(ctx);
  await settle();
}

/** A fresh sample server in ctx's root, and its snapshot. */
async function fresh(ctx: DiskCtx): Promise<Record<string, string>> {
  ctx.fs.rmSync(ctx.root, { recursive: true, force: true });
  ctx.fs.mkdirSync(ctx.root, { recursive: true });
  await seedBase(ctx);
  return snapshotTree(ctx);
}

/** undefined when `run` failed the right way, else what went wrong. */
async function typedFailure(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return 'succeeded';
  } catch (e) {
    if (!(e instanceof LinkstoreError)) return `untyped ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    if (!Object.hasOwn(ERROR_CODES, e.code)) return `unknown code ${e.code}`;
    return undefined;
  }
}

function diff(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).map((k) => (k in before ? (k in after ? `changed ${k}` : `removed ${k}`) : `created ${k}`));
}

describe('hostile corpus size', () => {
  it('has at least 200 parameter cases and a disk corpus', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(200);
    expect(CORPUS.filter((c) => c.whm).length).toBeGreaterThanOrEqual(200);
    expect(DISK_CORPUS.length).toBeGreaterThanOrEqual(50);
  });
});

describeOnDisks('hostile parameters', (ctx) => {
  it(`${CORPUS.length} cases through the typed API: typed error, nothing written`, async () => {
    let before = await fresh(ctx);
    const problems: string[] = [];
    for (const c of CORPUS) {
      const ls = makeLinkstore(ctx);
      const bad = await typedFailure(() => c.api(ls));
      if (bad) problems.push(`${c.id}: ${bad}`);
      const changes = diff(before, snapshotTree(ctx));
      if (changes.length) {
        problems.push(`${c.id}: ${changes.join(', ')}`);
        before = await fresh(ctx);
      }
    }
    expect(problems).toEqual([]);
  });

  it(`${CORPUS.filter((c) => c.whm).length} cases through callWhm: result 0 with a stable error_code, nothing written`, async () => {
    let before = await fresh(ctx);
    const problems: string[] = [];
    for (const c of CORPUS) {
      if (!c.whm) continue;
      const env = await callWhm(makeLinkstore(ctx), c.whm.fn, c.whm.params);
      const code = env.metadata.error_code;
      if (env.metadata.result !== 0 || code === undefined || code === 'E_INTERNAL' || !Object.hasOwn(ERROR_CODES, code)) {
        problems.push(`${c.id}: ${JSON.stringify(env.metadata)}`);
      }
      if (/\n\s+at /.test(env.metadata.reason)) problems.push(`${c.id}: stack trace in reason`);
      const changes = diff(before, snapshotTree(ctx));
      if (changes.length) {
        problems.push(`${c.id}: ${changes.join(', ')}`);
        before = await fresh(ctx);
      }
    }
    expect(problems).toEqual([]);
  });

  it(`${DISK_CORPUS.length} hostile files on disk: every call fails typed, nothing written`, async () => {
    const problems: string[] = [];
    let calls = 0;
    for (const c of DISK_CORPUS) {
      // A fresh tree for each case: reset everything the previous case seeded.
      await fresh(ctx);
      for (const [p, content] of Object.entries(c.files)) seed(ctx, p, content, c.mode ?? 0o644);
      fixDirModes(ctx);
      const before = snapshotTree(ctx);
      for (const call of c.calls) {
        calls++;
        const bad = await typedFailure(() => call.run(makeLinkstore(ctx)));
        if (bad && !(call.maySucceed && bad === 'succeeded')) problems.push(`${c.id} / ${call.name}: ${bad}`);
        // A call that may succeed may leave its lock temp for reuse until the loop turns; a failed one never does.
        if (bad === 'succeeded') await settle();
        const changes = diff(before, snapshotTree(ctx));
        if (changes.length) problems.push(`${c.id} / ${call.name}: ${changes.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
    expect(calls).toBeGreaterThanOrEqual(150);
  });
});

function runCli(root: string, fn: string, params: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const args = [BIN, '--root', root, '--output', 'json', fn, ...Object.entries(params).map(([k, v]) => `${k}=${v}`)];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, out: stdout, err: stderr });
    });
  });
}

/** Cases a command line can carry: no NUL, well-formed, below the kernel's per-argument limit. */
export function cliSample(): typeof CORPUS {
  const ok = CORPUS.filter((c) => c.whm && Object.values(c.whm.params).every((v) => !v.includes('\0') && v.isWellFormed() && v.length < 100_000));
  const step = Math.max(1, Math.floor(ok.length / 40));
  return ok.filter((_, i) => i % step === 0);
}

describe('hostile parameters through the CLI binary [tmpdir]', () => {
  it('a sample of ≥ 30 cases: exit 1, result 0, a stable error_code, nothing written', async () => {
    const s = backends.find((b) => b.kind === 'tmpdir')!.setup();
    try {
      const ctx = { kind: 'tmpdir', fs: s.fs, root: s.root } as DiskCtx;
      const { Disk } = await import('../../src/io/disk.js');
      ctx.make = (o = {}) => new Disk({ fs: s.fs, root: s.root, owners: s.owners, ...o });
      ctx.disk = ctx.make();
      await seedBase(ctx);
      const before = snapshotTree(ctx);
      const sample = cliSample();
      expect(sample.length).toBeGreaterThanOrEqual(30);
      const problems: string[] = [];
      for (let i = 0; i < sample.length; i += 4) {
        const batch = sample.slice(i, i + 4);
        const results = await Promise.all(batch.map((c) => runCli(s.root, c.whm!.fn, c.whm!.params)));
        results.forEach((r, j) => {
          const id = batch[j]!.id;
          let meta: { result?: number; error_code?: string } = {};
          try {
            meta = (JSON.parse(r.out) as { metadata: typeof meta }).metadata;
          } catch {
            problems.push(`${id}: not JSON: ${r.out.slice(0, 200)} ${r.err.slice(0, 200)}`);
            return;
          }
          if (r.code !== 1 || meta.result !== 0 || !meta.error_code || meta.error_code === 'E_INTERNAL')
            problems.push(`${id}: exit ${r.code} ${JSON.stringify(meta)}`);
        });
      }
      expect(problems).toEqual([]);
      expect(diff(before, snapshotTree(ctx))).toEqual([]);
    } finally {
      s.cleanup();
    }
  }, 120_000);
});
