/**
 * `npm run bench [-- --json] [-- --quick] [-- name-filter]`: runs every benchmark in bench/*.bench.js
 * and prints its figure, the same-run baseline and the ratio.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, BenchResult } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const filters = args.filter((a) => !a.startsWith('--'));

const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .sort();
const results: Array<{ name: string } & BenchResult> = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { benchmarks: Benchmark[] };
  for (const b of mod.benchmarks) {
    if (filters.length && !filters.some((x) => b.name.includes(x))) continue;
    const r = await b.run({ quick });
    results.push({ name: b.name, ...r });
    if (!json) {
      const fmt = (n: number | undefined) => (n === undefined ? '-' : n >= 100 ? n.toFixed(0) : n.toPrecision(3));
      const status = r.met === undefined ? '' : r.met ? '  ok' : '  MISSED';
      process.stdout.write(
        `${b.name.padEnd(32)} ${fmt(r.figure).padStart(10)} ${r.unit.padEnd(10)} baseline ${fmt(r.baseline).padStart(8)}  ratio ${fmt(r.ratio).padStart(6)}  ${r.target ?? ''}${status}${r.note ? `  (${r.note})` : ''}\n`,
      );
    }
  }
}
if (json) process.stdout.write(JSON.stringify({ node: process.version, results }, null, 2) + '\n');
