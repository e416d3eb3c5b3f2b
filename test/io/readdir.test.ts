/**
 * Directory listings: a large directory (over 128 KiB of directory size, about 3,000 entries on
 * ext4) is listed on the thread pool, so a server's 20,000 account directories never hold the
 * event loop; a small one synchronously. Which call served a listing is counted on a wrapped port,
 * not timed. memfs reports a directory's size as 0, so there every listing is synchronous.
 */
import { expect, it } from 'vitest';
import { describeOnDisks, hostPath, type DiskCtx } from '../helpers/disks.js';

const D = '/var/cpanel/integration/links';

/** The backend's fs with its two listing calls counted (same capabilities as the original). */
function countingPort(ctx: DiskCtx): { fs: DiskCtx['fs']; calls: { sync: number; pool: number } } {
  const calls = { sync: 0, pool: 0 };
  const base = ctx.fs;
  const promises = Object.assign(Object.create(base.promises) as typeof base.promises, {
    readdir: (p: string) => {
      calls.pool++;
      return base.promises.readdir(p);
    },
  });
  const fs = Object.assign(Object.create(base) as typeof base, {
    promises,
    readdirSync: (p: string) => {
      calls.sync++;
      return base.readdirSync(p);
    },
  });
  return { fs, calls };
}

function fill(ctx: DiskCtx, dir: string, n: number): string[] {
  ctx.fs.mkdirSync(hostPath(ctx, dir), { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `user${i}`);
  for (const name of names) ctx.fs.writeFileSync(hostPath(ctx, `${dir}/${name}`), 'x');
  return names.sort();
}

describeOnDisks('directory listings', (ctx) => {
  it('a small directory is listed synchronously, a large one (on a real disk) on the thread pool, both completely', async () => {
    const small = fill(ctx, `${D}/small`, 10);
    const large = fill(ctx, `${D}/large`, 6000);
    const { fs, calls } = countingPort(ctx);
    const disk = ctx.make({ fs: Object.assign(fs, { linkstoreCapabilities: ctx.disk.capabilities }) });

    expect((await disk.readdir(`${D}/small`))?.sort()).toEqual(small);
    expect(calls).toEqual({ sync: 1, pool: 0 });

    const largeSize = ctx.fs.lstatSync(hostPath(ctx, `${D}/large`)).size;
    expect((await disk.readdir(`${D}/large`))?.sort()).toEqual(large);
    if (ctx.kind === 'tmpdir') {
      expect(largeSize).toBeGreaterThan(128 * 1024);
      expect(calls).toEqual({ sync: 1, pool: 1 });
    } else {
      expect(largeSize).toBe(0);
      expect(calls).toEqual({ sync: 2, pool: 0 });
    }
  });

  it('a missing directory is undefined and a file is E_NOT_DIRECTORY, whichever call would list it', async () => {
    expect(await ctx.disk.readdir(`${D}/nobody`)).toBeUndefined();
    ctx.fs.mkdirSync(hostPath(ctx, D), { recursive: true });
    ctx.fs.writeFileSync(hostPath(ctx, `${D}/file`), 'x');
    await expect(ctx.disk.readdir(`${D}/file`)).rejects.toMatchObject({ code: 'E_NOT_DIRECTORY' });
  });
});
