/**
 * Helpers for the CLI suites: run the real binary (`node bin/linkstore.js`, built into dist by the
 * global setup) against a seeded temporary root.
 */
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Disk } from '../../src/io/disk.js';
import type { DiskCtx } from '../helpers/disks.js';
import { isRoot } from '../helpers/disks.js';
import { makeLinkstore, populate, seedHostServer } from '../doctor/server.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'linkstore.js');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function linkstore(root: string, args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [BIN, '--root', root, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary root with the sample server (and, with `links`, its links). */
export async function tempServer(links: boolean): Promise<{ root: string; ctx: DiskCtx; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'linkstore-cli-'));
  seedHostServer(root);
  const disk = new Disk({ root, owners: isRoot });
  if (links) await populate(makeLinkstore(disk));
  const ctx = { kind: 'tmpdir', disk, fs: nodeFs, root, make: () => disk } as DiskCtx;
  return { root, ctx, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
