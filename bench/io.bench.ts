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
import { durableWriteInline, median, timeMs, type Benchmark } from './harness.js';

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
          base.push(
            (await timeMs(async () => {
              for (let i = 0; i < perRound; i++) durableWriteInline([[dir, 'base.db', contents[i % 2] as Buffer, 0o600]], `${round}.${i}`);
            })) / perRound,
          );
          ours.push(
            (await timeMs(async () => {
              for (let i = 0; i < perRound; i++) await writeFileAtomic(disk, '/var/cpanel/authn/ours.db', contents[i % 2] as Buffer, { mode: 0o600 });
            })) / perRound,
          );
        }
        const oursMs = median(ours);
        const baseMs = median(base);
        const ratio = median(ours.map((o, i) => o / (base[i] as number)));
        return { figure: oursMs, unit: 'ms/write', baseline: baseMs, ratio, target: 'ratio ≤ 1.2', met: ratio <= 1.2 };
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  },
];
