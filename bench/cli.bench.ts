/**
 * cli.startup: wall time of a read-only CLI call (validate_system_user on the fixture tree) vs
 * `node -e 0`, medians over interleaved runs. Target ≤ 2.5×.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type Benchmark } from './harness.js';

const top = join(dirname(fileURLToPath(import.meta.url)), '../..');

function wall(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'cli.startup',
    async run({ quick }) {
      const n = quick ? 7 : 21;
      const cli = [join(top, 'bin/linkstore.js'), '--root', join(top, 'test/fixtures/users'), 'validate_system_user', 'user=bob'];
      const ours: number[] = [];
      const base: number[] = [];
      wall(['-e', '0']);
      wall(cli);
      for (let i = 0; i < n; i++) {
        base.push(wall(['-e', '0']));
        ours.push(wall(cli));
      }
      const o = median(ours);
      const b = median(base);
      return { figure: o, unit: 'ms', baseline: b, ratio: o / b, target: 'ratio ≤ 2.5', met: o / b <= 2.5 };
    },
  },
];
