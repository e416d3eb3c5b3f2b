/**
 * Overlapping commits (a daemon serving many users at once) on a real disk: their temp creates and
 * renames run on the thread pool, with the same results and the same cleanup on failure. Batches'
 * filesystem flushes go through the long-lived sync server (src/io/sync-server.ts), which is reused
 * and never keeps a process alive.
 */
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitFiles } from '../../src/io/commit.js';
import type { LinkstoreError } from '../../src/io/errors.js';
import { nodeFsCapabilities } from '../../src/io/fs-port.js';
import { filesystemFlushIsCheap, flushFilesystems, withPatience } from '../../src/io/flush.js';
import { syncServerRunning } from '../../src/io/sync-server.js';
import { hostPath, peek, tmpdirCtx, type DiskCtx } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';

const D = '/var/cpanel/integration/links';
const here = dirname(fileURLToPath(import.meta.url));
const top = join(here, '../..');
const enc = (s: string) => Buffer.from(s);
const linux = nodeFsCapabilities().filesystemFlush;

describe.runIf(linux)('overlapping commits on a real disk', () => {
  let ctx: DiskCtx & { cleanup(): void };
  beforeEach(() => {
    ctx = tmpdirCtx();
    for (let i = 0; i < 8; i++) nodeFs.mkdirSync(hostPath(ctx, `${D}/u${i}`), { recursive: true });
  });
  afterEach(() => ctx.cleanup());

  const writes = (i: number, v: string) => [
    { op: 'write' as const, path: `${D}/u${i}/app.userconfig`, content: enc(`{"v":"${v}"}`), mode: 0o644 },
    { op: 'write' as const, path: `${D}/u${i}/app.adminconfig`, content: enc(`{"t":"${v}"}`), mode: 0o600 },
  ];

  it('eight users at once: every file in place with its mode, no temp left', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => commitFiles(ctx.disk, writes(i, 'one'))));
    expect(results.every((r) => r.changed)).toBe(true);
    await Promise.all(Array.from({ length: 8 }, (_, i) => commitFiles(ctx.disk, writes(i, 'two'))));
    for (let i = 0; i < 8; i++) {
      expect(peek(ctx, `${D}/u${i}/app.userconfig`)).toBe('{"v":"two"}');
      expect(nodeFs.statSync(hostPath(ctx, `${D}/u${i}/app.adminconfig`)).mode & 0o7777).toBe(0o600);
      expect(nodeFs.readdirSync(hostPath(ctx, `${D}/u${i}`)).sort()).toEqual(['app.adminconfig', 'app.userconfig']);
    }
  });

  it('filesystem flushes after the first go through one long-lived server', async () => {
    expect(await flushFilesystems(ctx.disk, [hostPath(ctx, D)])).toBe(true);
    expect(await flushFilesystems(ctx.disk, [hostPath(ctx, `${D}/u1`), hostPath(ctx, `${D}/u2`)])).toBe(true);
    expect(syncServerRunning()).toBe(true);
    expect(await flushFilesystems(ctx.disk, [hostPath(ctx, D)])).toBe(true);
  });

  it('a flush for 60,000 directories (a batch over 30,000 users) lets a timer run while it looks up their filesystems', async () => {
    let lookups = 0;
    const counting = Object.assign(Object.create(nodeFs) as typeof nodeFs, {
      linkstoreCapabilities: nodeFsCapabilities(),
      lstatSync: ((p: string) => (lookups++, nodeFs.lstatSync(p))) as typeof nodeFs.lstatSync,
    });
    const disk = ctx.make({ fs: counting });
    const dirs = [hostPath(ctx, D), ...Array.from({ length: 60_000 }, (_, i) => hostPath(ctx, `${D}/gone${i}`))];
    let seenByTimer = -1;
    setTimeout(() => (seenByTimer = lookups), 0);
    expect(await flushFilesystems(disk, dirs)).toBe(true);
    expect(lookups).toBeGreaterThanOrEqual(dirs.length);
    expect(seenByTimer).toBeGreaterThanOrEqual(0);
    expect(seenByTimer).toBeLessThan(lookups);
  });

  it('a create failing on the thread pool fails that commit alone, with nothing left behind', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => commitFiles(ctx.disk, writes(i, 'old'))));
    const { fs, calls } = faultyFs(ctx.fs, [{ op: 'open', path: (p) => p.includes('.tmp.') && p.includes('app.adminconfig'), code: 'EIO', nth: 4 }]);
    const disk = ctx.make({ fs: Object.assign(Object.create(fs) as typeof fs, { linkstoreCapabilities: nodeFsCapabilities() }) });
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => commitFiles(disk, writes(i, 'new'))));
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [[i, (o.reason as LinkstoreError).code]] : []));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.[1]).toBe('E_WRITE_FAILED');
    const [bad] = failed[0] as [number, string];
    expect(peek(ctx, `${D}/u${bad}/app.userconfig`)).toBe('{"v":"old"}');
    expect(nodeFs.readdirSync(hostPath(ctx, `${D}/u${bad}`)).sort()).toEqual(['app.adminconfig', 'app.userconfig']);
    for (let i = 0; i < 8; i++) if (i !== bad) expect(peek(ctx, `${D}/u${i}/app.userconfig`)).toBe('{"v":"new"}');
    // The creates really went through the port's thread-pool `open`.
    expect(calls.filter((c) => c.startsWith('pool-open ')).length).toBeGreaterThanOrEqual(8);
  });

  it('the flush server never keeps a process alive: a script that flushed exits on its own', () => {
    const script = `
      const { Disk } = await import(${JSON.stringify(join(top, 'dist/src/io/disk.js'))});
      const { flushFilesystems } = await import(${JSON.stringify(join(top, 'dist/src/io/flush.js'))});
      const disk = new Disk({ root: ${JSON.stringify(ctx.root)} });
      const a = await flushFilesystems(disk, [${JSON.stringify(ctx.root)}]);
      const b = await flushFilesystems(disk, [${JSON.stringify(ctx.root)}]);
      console.log(JSON.stringify([a, b]));`;
    const t = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([true, true]);
    expect(Date.now() - t).toBeLessThan(15_000);
  });

  // Last in the file: it leaves this worker's flushes marked slow for ten seconds.
  it('a shared flush that outlasts its patience is given up for own fsyncs, and sharing pauses', async () => {
    const never = new Promise<boolean>(() => undefined);
    expect(await withPatience(never, 5)).toBe(false);
    expect(filesystemFlushIsCheap(ctx.disk)).toBe(false);
    // A flush that answers in time is its own answer; one that fails means "fsync yourself".
    expect(await withPatience(Promise.resolve(true), 1000)).toBe(true);
    expect(await withPatience(Promise.reject(new Error('boom')), 1000)).toBe(false);
    // Overlapping commits still complete, with their own fsyncs.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => commitFiles(ctx.disk, writes(i, 'own'))));
    expect(results.every((r) => r.changed)).toBe(true);
    for (let i = 0; i < 8; i++) expect(peek(ctx, `${D}/u${i}/app.userconfig`)).toBe('{"v":"own"}');
  });
});
