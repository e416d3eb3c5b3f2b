/**
 * Directory handles kept open between calls (src/io/dir-cache.ts), on a real disk: each call
 * verifies a kept handle again, so a directory moved, replaced or swapped for a symlink between
 * two calls is never written through the old descriptor; idle handles close on their own.
 */
import * as nodeFs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/commit.js';
import type { LinkstoreError } from '../../src/io/errors.js';
import { nodeFsCapabilities } from '../../src/io/fs-port.js';
import { openLinkstore } from '../../src/services.js';
import { hostPath, tmpdirCtx, type DiskCtx } from '../helpers/disks.js';

const D = '/var/cpanel/integration/links/bob';
const F = `${D}/app.userconfig`;
const enc = (s: string) => Buffer.from(s);
const proc = nodeFsCapabilities().procFdPaths;

/** Descriptors of this process that are open on `dir`. */
function fdsOn(dir: string): number {
  let n = 0;
  for (const fd of nodeFs.readdirSync('/proc/self/fd')) {
    try {
      if (nodeFs.readlinkSync(`/proc/self/fd/${fd}`) === dir) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

describe.runIf(proc)('directory handles kept between calls', () => {
  let ctx: DiskCtx & { cleanup(): void };
  let dir: string;
  beforeEach(() => {
    ctx = tmpdirCtx();
    dir = hostPath(ctx, D);
    nodeFs.mkdirSync(dir, { recursive: true });
    dir = nodeFs.realpathSync(dir);
  });
  afterEach(() => {
    ctx.disk.closeKeptHandles();
    ctx.cleanup();
  });

  const write = (v: string) => writeFileAtomic(ctx.disk, F, enc(v), { mode: 0o644 });

  it('keeps one handle per directory across calls and closes it on request', async () => {
    await write('{"v":1}');
    await write('{"v":2}');
    await write('{"v":3}');
    expect(fdsOn(dir)).toBe(1);
    ctx.disk.closeKeptHandles();
    expect(fdsOn(dir)).toBe(0);
    expect(nodeFs.readFileSync(`${dir}/app.userconfig`, 'utf8')).toBe('{"v":3}');
  });

  it('a directory moved away and recreated between calls: the next write goes to the new one', async () => {
    await write('{"v":1}');
    nodeFs.renameSync(dir, `${dir}.moved`);
    nodeFs.mkdirSync(dir);
    await write('{"v":2}');
    expect(nodeFs.readFileSync(`${dir}/app.userconfig`, 'utf8')).toBe('{"v":2}');
    expect(nodeFs.readFileSync(`${dir}.moved/app.userconfig`, 'utf8')).toBe('{"v":1}');
    expect(fdsOn(`${dir}.moved`)).toBe(0);
  });

  it('a directory swapped for a symlink between calls is refused, nothing written anywhere', async () => {
    await write('{"v":1}');
    const outside = `${ctx.root}-outside`;
    nodeFs.mkdirSync(outside);
    try {
      nodeFs.renameSync(dir, `${outside}/bob`);
      nodeFs.symlinkSync(`${outside}/bob`, dir);
      const e = (await write('{"v":2}').catch((x: unknown) => x)) as LinkstoreError;
      expect(e.code).toBe('E_SYMLINK');
      expect(nodeFs.readFileSync(`${outside}/bob/app.userconfig`, 'utf8')).toBe('{"v":1}');
      expect(nodeFs.readdirSync(`${outside}/bob`)).toEqual(['app.userconfig']);
    } finally {
      nodeFs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a directory removed between calls: the next write says it does not exist', async () => {
    await write('{"v":1}');
    nodeFs.rmSync(dir, { recursive: true });
    const e = (await write('{"v":2}').catch((x: unknown) => x)) as LinkstoreError;
    expect(e.code).toBe('E_NOT_DIRECTORY');
    expect(fdsOn(`${dir} (deleted)`)).toBe(0);
  });

  it('ls.close() closes the handles a linkstore kept', async () => {
    const ls = openLinkstore({ disk: ctx.disk });
    await write('{"v":1}');
    expect(fdsOn(dir)).toBe(1);
    ls.close();
    expect(fdsOn(dir)).toBe(0);
  });

  it('reads as root leave the access time alone (O_NOATIME)', async () => {
    if (process.geteuid?.() !== 0) {
      process.stderr.write('access-time check skipped (O_NOATIME is used as root only): run as root\n');
      return;
    }
    await write('{"v":1}');
    const file = `${dir}/app.userconfig`;
    // An access time older than the mtime: a plain read updates it even under relatime.
    const before = nodeFs.statSync(file);
    nodeFs.utimesSync(file, new Date(before.mtimeMs - 100_000), before.mtime);
    const atime = nodeFs.statSync(file).atimeMs;
    expect((await ctx.disk.readFile(F))?.toString()).toBe('{"v":1}');
    expect(nodeFs.statSync(file).atimeMs).toBe(atime);
  });

  it('closes idle handles by itself', async () => {
    await write('{"v":1}');
    expect(fdsOn(dir)).toBe(1);
    await new Promise((r) => setTimeout(r, 4200));
    expect(fdsOn(dir)).toBe(0);
  });
});
