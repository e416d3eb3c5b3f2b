/**
 * Transfer benchmarks, on a real temp directory, as same-run figures:
 * - transfer.authn_import: importing authn link records (one per account) into an empty server,
 *   ms per record at a small and a large size; the target is per-record cost within 1.3× (linear);
 * - transfer.export: exporting the resulting server, ms per record at the same two sizes.
 */
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Linkstore } from '../src/services.js';
import { Disk } from '../src/io/disk.js';
import { encodeCompact } from '../src/io/json-codec.js';
import { exportRecords, importRecords } from '../src/transfer/index.js';
import { timeMs, type Benchmark } from './harness.js';

const PKG = 'Cpanel::Security::Authn::Provider::';

/** A temp server with `n` accounts u0..u{n-1} and google enabled. */
function server(n: number): { root: string; ls: Linkstore; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'linkstore-bench-transfer-'));
  const w = (p: string, c: string) => {
    fs.mkdirSync(join(root, p, '..'), { recursive: true });
    fs.writeFileSync(join(root, p), c);
  };
  const passwd = ['root:x:0:0:root:/root:/bin/bash'];
  const group = ['root:x:0:'];
  fs.mkdirSync(join(root, 'var/cpanel/users'), { recursive: true });
  for (let i = 0; i < n; i++) {
    passwd.push(`u${i}:x:${2000 + i}:${2000 + i}::/home/u${i}:/bin/bash`);
    group.push(`u${i}:x:${2000 + i}:`);
    fs.writeFileSync(join(root, `var/cpanel/users/u${i}`), `DNS=u${i}.example\nOWNER=root\n`);
  }
  w('/etc/passwd', passwd.join('\n') + '\n');
  w('/etc/group', group.join('\n') + '\n');
  w('/etc/userdomains', '');
  for (const s of ['cpaneld', 'webmaild', 'whostmgrd']) w(`/var/cpanel/authn/openid_connect/${s}`, encodeCompact({ google: `${PKG}Google` }));
  const ls = new Linkstore({ disk: new Disk({ root }), hostname: 'bench.example.com' });
  return { root, ls, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const lines = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      type: 'authn_link',
      user: `u${i}`,
      provider: 'google',
      subject: `s${i}`,
      user_info: { link_time: 1_700_000_000, preferred_username: `p${i}` },
    }),
  );

async function perRecord(n: number): Promise<{ importMs: number; exportMs: number }> {
  const s = server(n);
  try {
    let failed = 0;
    const importMs = (await timeMs(async () => (failed = (await importRecords(s.ls, lines(n))).failed))) / n;
    if (failed) throw new Error(`${failed} records failed`);
    let count = 0;
    const exportMs = (await timeMs(async () => (count = (await exportRecords(s.ls)).length))) / n;
    if (count < n) throw new Error(`exported ${count} of ${n}`);
    return { importMs, exportMs };
  } finally {
    s.cleanup();
  }
}

let cached: Promise<{ small: number; large: number; a: { importMs: number; exportMs: number }; b: { importMs: number; exportMs: number } }> | undefined;
function measure(quick: boolean) {
  return (cached ??= (async () => {
    const small = quick ? 500 : 1000;
    const large = quick ? 5000 : 20_000;
    const a = await perRecord(small);
    const b = await perRecord(large);
    return { small, large, a, b };
  })());
}

const bench = (name: string, pick: 'importMs' | 'exportMs'): Benchmark => ({
  name,
  async run({ quick }) {
    const { small, large, a, b } = await measure(quick);
    const ratio = b[pick] / a[pick];
    return {
      figure: b[pick],
      unit: 'ms/record',
      baseline: a[pick],
      ratio,
      target: 'ratio ≤ 1.3',
      met: ratio <= 1.3,
      note: `${large} records vs ${small} (baseline), one authn link per account`,
    };
  },
});

export const benchmarks: Benchmark[] = [bench('transfer.authn_import', 'importMs'), bench('transfer.export', 'exportMs')];
