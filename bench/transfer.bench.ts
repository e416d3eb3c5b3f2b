/**
 * Transfer benchmarks, on a real temp directory, as same-run figures:
 * - transfer.authn_import: importing authn link records (one per account) into an empty server,
 *   ms per record at a small and a large size; the target is per-record cost within 1.3× (linear);
 * - transfer.export: exporting the resulting server, ms per record at the same two sizes;
 * - transfer.integration_import / _export: the same with one integration link per account;
 * - transfer.email_import / _export: the same with email-user authn links of one system user;
 * - transfer.import_100k: the built `linkstore import` binary reading a 100,000-line file (4
 *   integration links and 1 authn link for each of 20,000 accounts) into an empty server; every
 *   record must be reported, and the process's peak RSS (getrusage maxrss, recorded at exit by a
 *   preloaded module) is the figure, target ≤ 300 MB. `BENCH_IMPORT_ACCOUNTS` overrides the
 *   number of accounts (default 20,000; 2,000 with --quick).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Linkstore } from '../src/services.js';
import { Disk } from '../src/io/disk.js';
import { exportRecords, importRecords } from '../src/transfer/index.js';
import { accountsServer } from './accounts.js';
import { MAX_LOOP_HOLD_MS, timeMs, withTicks, type Benchmark } from './harness.js';

/** A temp server with `n` accounts u0..u{n-1} (jupiter, domain u<i>.example) and google enabled. */
function server(n: number): { root: string; ls: Linkstore; cleanup(): void } {
  const root = accountsServer('transfer', n);
  const ls = new Linkstore({ disk: new Disk({ root }), hostname: 'bench.example.com' });
  return { root, ls, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** What a transfer benchmark moves: one authn link per account, one integration link per account, or email users of one account. */
type Kind = 'authn' | 'integration' | 'email';

const NOTES: Record<Kind, string> = {
  authn: 'one authn link per account',
  integration: 'one integration link per account',
  email: 'email-user authn links under one system user',
};

const lines = (n: number, kind: Kind) =>
  Array.from({ length: n }, (_, i) =>
    kind === 'integration'
      ? JSON.stringify({
          type: 'integration_link',
          user: `u${i}`,
          app: 'wiki',
          userconfig: { url: `https://wiki.example/${i}`, label: 'Wiki' },
          token: `t${i}`,
        })
      : JSON.stringify({
          type: 'authn_link',
          user: kind === 'email' ? `m${i}@u0.example` : `u${i}`,
          provider: 'google',
          subject: `s${i}`,
          user_info: { link_time: 1_700_000_000, preferred_username: `p${i}` },
        }),
  );

interface PerRecord {
  importMs: number;
  exportMs: number;
  /** The longest event-loop gap a 5 ms timer saw during the import, and during the export. */
  importGap: number;
  exportGap: number;
}

async function perRecord(n: number, kind: Kind): Promise<PerRecord> {
  const s = server(kind === 'email' ? 1 : n);
  try {
    // cPanel's rule: an email account exists when its mail directory does.
    if (kind === 'email') for (let i = 0; i < n; i++) fs.mkdirSync(join(s.root, `home/u0/mail/u0.example/m${i}`), { recursive: true });
    let failed = 0;
    const imported = await withTicks(async () => (failed = (await importRecords(s.ls, lines(n, kind))).failed));
    if (failed) throw new Error(`${failed} records failed`);
    let count = 0;
    const exported = await withTicks(async () => (count = (await exportRecords(s.ls)).length));
    if (count < n) throw new Error(`exported ${count} of ${n}`);
    return { importMs: imported.ms / n, exportMs: exported.ms / n, importGap: imported.longestGap, exportGap: exported.longestGap };
  } finally {
    s.cleanup();
  }
}

type Measured = { small: number; large: number; a: PerRecord; b: PerRecord };
const cached = new Map<Kind, Promise<Measured>>();
function measure(quick: boolean, kind: Kind): Promise<Measured> {
  let m = cached.get(kind);
  if (!m) {
    m = (async () => {
      const small = quick ? 500 : 1000;
      const large = quick ? 5000 : 20_000;
      const a = await perRecord(small, kind);
      const b = await perRecord(large, kind);
      return { small, large, a, b };
    })();
    cached.set(kind, m);
  }
  return m;
}

const bench = (name: string, kind: Kind, pick: 'importMs' | 'exportMs'): Benchmark => ({
  name,
  async run({ quick }) {
    const { small, large, a, b } = await measure(quick, kind);
    const ratio = b[pick] / a[pick];
    const gap = pick === 'importMs' ? b.importGap : b.exportGap;
    return {
      figure: b[pick],
      unit: 'ms/record',
      baseline: a[pick],
      ratio,
      target: `ratio ≤ 1.3, loop held ≤ ${MAX_LOOP_HOLD_MS} ms`,
      met: ratio <= 1.3 && gap <= MAX_LOOP_HOLD_MS,
      note: `${large} records vs ${small} (baseline), ${NOTES[kind]}; longest event-loop gap ${gap.toFixed(0)} ms`,
    };
  },
});

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'linkstore.js');
/** Preloaded into the CLI: write the process's peak RSS (KiB) to $LINKSTORE_BENCH_RSS at exit. */
const RSS_AT_EXIT =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(process.env.LINKSTORE_BENCH_RSS, String(process.resourceUsage().maxRSS)));",
  );

/** The import file: per account 4 integration links, then 1 authn link per account. */
function writeImportFile(file: string, accounts: number): number {
  const fd = fs.openSync(file, 'w', 0o600);
  let n = 0;
  const out: string[] = [];
  const flush = () => {
    fs.writeSync(fd, out.join(''));
    out.length = 0;
  };
  for (let i = 0; i < accounts; i++) {
    for (let k = 0; k < 4; k++) {
      const userconfig = { url: `https://app${k}.example/u${i}`, label: `App ${k}`, order: String(k + 1) };
      out.push(JSON.stringify({ type: 'integration_link', user: `u${i}`, app: `app${k}`, userconfig, token: `tok-${i}-${k}` }) + '\n');
      n++;
    }
    if (out.length >= 4096) flush();
  }
  for (let i = 0; i < accounts; i++) {
    out.push(JSON.stringify({ type: 'authn_link', user: `u${i}`, provider: 'google', subject: `s${i}`, user_info: { link_time: 1_700_000_000 } }) + '\n');
    n++;
    if (out.length >= 4096) flush();
  }
  flush();
  fs.closeSync(fd);
  return n;
}

/** Run the built CLI; resolves with its exit code, stdout size and peak RSS in MB. */
function runCli(
  args: string[],
  rssFile: string,
): Promise<{ code: number | null; reported: number; failed: number; firstFailure: string; stdoutBytes: number; rssMb: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', RSS_AT_EXIT, BIN, ...args], {
      env: { ...process.env, LINKSTORE_BENCH_RSS: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let reported = 0;
    let stdoutBytes = 0;
    let stderr = '';
    let tail = '';
    let failed = 0;
    let firstFailure = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      stdoutBytes += c.length;
      const text = tail + c;
      const lines = text.split('\n');
      tail = lines.pop() as string;
      for (const l of lines) {
        if (l.startsWith('line ')) reported++;
        if (/^line \d+: failed/.test(l) && failed++ === 0) firstFailure = l;
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => {
      const kib = Number(fs.readFileSync(rssFile, 'utf8'));
      resolve({ code, reported, failed, firstFailure, stdoutBytes, rssMb: kib / 1024, stderr });
    });
  });
}

const import100k: Benchmark = {
  name: 'transfer.import_100k',
  async run({ quick }) {
    const accounts = Number(process.env.BENCH_IMPORT_ACCOUNTS ?? (quick ? 2000 : 20_000));
    const s = server(accounts);
    const file = `${s.root}.import.ndjson`;
    const rss = `${s.root}.rss`;
    try {
      const lines = writeImportFile(file, accounts);
      let r: Awaited<ReturnType<typeof runCli>> | undefined;
      const ms = await timeMs(async () => (r = await runCli(['--root', s.root, 'import', file], rss)));
      const run = r as NonNullable<typeof r>;
      // Every record must be reported; failed ones (with the first reasons) are shown, not thrown.
      const complete = run.reported === lines;
      return {
        figure: run.rssMb,
        unit: 'MB peak',
        target: 'peak RSS ≤ 300 MB, every record reported, none failed',
        met: run.rssMb <= 300 && complete && run.failed === 0,
        note:
          `${lines} records (${accounts} accounts) in ${(ms / 1000).toFixed(1)} s, exit ${run.code}, ${run.reported} reported, ${run.failed} failed` +
          (run.failed > 0 ? `; first: ${run.firstFailure}` : '') +
          (run.code !== 0 && run.failed === 0 ? `; stderr: ${run.stderr}` : ''),
      };
    } finally {
      rmSync(file, { force: true });
      rmSync(rss, { force: true });
      s.cleanup();
    }
  },
};

export const benchmarks: Benchmark[] = [
  bench('transfer.authn_import', 'authn', 'importMs'),
  bench('transfer.export', 'authn', 'exportMs'),
  bench('transfer.integration_import', 'integration', 'importMs'),
  bench('transfer.integration_export', 'integration', 'exportMs'),
  bench('transfer.email_import', 'email', 'importMs'),
  bench('transfer.email_export', 'email', 'exportMs'),
  import100k,
];
