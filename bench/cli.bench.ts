/**
 * Start-up cost, as same-run ratios to `node -e 0` (medians over interleaved runs):
 * - cli.startup: a read-only CLI call (validate_system_user on the fixture tree). Target ≤ 1.5×.
 * - import.startup: `import('cpanel-linkstore')` (the built package entry). Target ≤ 1.3×.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, type Benchmark } from './harness.js';

const top = join(dirname(fileURLToPath(import.meta.url)), '../..');

function wall(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Median wall times of `args` and of `node -e 0`, interleaved so both see the same machine load. */
function versusBareNode(args: string[], n: number): { ours: number; base: number } {
  const ours: number[] = [];
  const base: number[] = [];
  wall(['-e', '0']);
  wall(args);
  for (let i = 0; i < n; i++) {
    base.push(wall(['-e', '0']));
    ours.push(wall(args));
  }
  return { ours: median(ours), base: median(base) };
}

function startup(name: string, args: string[], limit: number): Benchmark {
  return {
    name,
    async run({ quick }) {
      const { ours, base } = versusBareNode(args, quick ? 7 : 21);
      return { figure: ours, unit: 'ms', baseline: base, ratio: ours / base, target: `ratio ≤ ${limit}`, met: ours / base <= limit };
    },
  };
}

const entry = pathToFileURL(join(top, 'dist/src/index.js')).href;

export const benchmarks: Benchmark[] = [
  startup('cli.startup', [join(top, 'bin/linkstore.js'), '--root', join(top, 'test/fixtures/users'), 'validate_system_user', 'user=bob'], 1.5),
  startup('import.startup', ['-e', `import(${JSON.stringify(entry)})`], 1.3),
];
