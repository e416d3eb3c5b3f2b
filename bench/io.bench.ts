/**
 * io.atomic_write_1k: our writeFileAtomic of a 1 KB file vs the minimal durable sequence written
 * inline with synchronous calls (open O_EXCL, write, fsync, close, rename, directory fsync) on the
 * same real directory.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/io/commit.js';
import { Disk } from '../src/io/disk.js';
import { durableWriteInline, durableWritePooled, median, timeMs, type Benchmark } from './harness.js';

/** Mean ms of `n` awaited calls of `write`. */
async function perWrite(n: number, write: (i: number) => unknown): Promise<number> {
  return (
    (await timeMs(async () => {
      for (let i = 0; i < n; i++) await write(i);
    })) / n
  );
}

export const benchmarks: Benchmark[] = [
  {
    name: 'io.atomic_write_1k',
    async run({ quick }) {
      const root = mkdtempSync(join(tmpdir(), 'linkstore-bench-'));
      try {
        const disk = new Disk({ root, owners: false });
        mkdirSync(join(root, 'var/cpanel/authn'), { recursive: true });
        const dir = join(root, 'var/cpanel/authn');
        // Two contents in turn: a write of the bytes already there is a no-op (nothing written).
        const contents = [Buffer.alloc(1024, 'x'), Buffer.alloc(1024, 'y')];
        const rounds = quick ? 5 : 11;
        const perRound = 50;
        // Interleave rounds so drift in the disk's state affects both sides alike, and report
        // medians so one noisy round (fsync latency spikes) does not decide the figure.
        const ours: number[] = [];
        const base: number[] = [];
        for (let round = 0; round < rounds; round++) {
          base.push(await perWrite(perRound, (i) => durableWriteInline([[dir, 'base.db', contents[i % 2] as Buffer, 0o600]], `${round}.${i}`)));
          ours.push(await perWrite(perRound, (i) => writeFileAtomic(disk, '/var/cpanel/authn/ours.db', contents[i % 2] as Buffer, { mode: 0o600 })));
        }
        const oursMs = median(ours);
        const baseMs = median(base);
        const ratio = median(ours.map((o, i) => o / (base[i] as number)));
        // The same sequence with its fsyncs on the thread pool (the library's default) is the floor of
        // any write that keeps the event loop free; measured afterwards, in its own interleaving, so
        // that its writes do not change the figures above.
        const floor: number[] = [];
        for (let round = 0; round < rounds; round++) {
          const inline = await perWrite(perRound, (i) => durableWriteInline([[dir, 'base.db', contents[i % 2] as Buffer, 0o600]], `i${round}.${i}`));
          const pooled = await perWrite(perRound, (i) => durableWritePooled([[dir, 'base.db', contents[i % 2] as Buffer, 0o600]], `p${round}.${i}`));
          floor.push(pooled / inline);
        }
        const note = `the minimal sequence with thread-pool fsyncs: ratio ${median(floor).toFixed(2)}`;
        return { figure: oursMs, unit: 'ms/write', baseline: baseMs, ratio, target: 'ratio ≤ 1.2', met: ratio <= 1.2, note };
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
