/**
 * The fixture the archive suites share: before each test, the doctor suite's sample server,
 * populated, and an empty backups directory beside the root (archives live outside the root, on
 * the same backend), removed after each test on a real disk.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import type { Linkstore } from '../../src/services.js';
import { settle, type DiskCtx } from '../helpers/disks.js';
import { makeLinkstore, populate, seedServer } from '../doctor/server.js';

export interface Backups {
  ls: Linkstore;
  /** Host path of the backups directory. */
  out: string;
}

/** Set up `ctx` before each test (then `prepare`, when given) and hand the fixture to `use`. */
export function withPopulatedServer(ctx: DiskCtx, use: (b: Backups) => void, prepare?: (ls: Linkstore) => Promise<unknown>): void {
  let out = '';
  beforeEach(async () => {
    seedServer(ctx);
    const ls = makeLinkstore(ctx.disk);
    await populate(ls);
    await prepare?.(ls);
    await settle();
    out = `${ctx.root}.backups`;
    ctx.fs.mkdirSync(out, { recursive: true });
    use({ ls, out });
  });
  afterEach(() => {
    if (ctx.kind === 'tmpdir') rmSync(out, { recursive: true, force: true });
  });
}
