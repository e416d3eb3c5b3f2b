/**
 * keptStat: what long-lived maps (a scoped view's reads, a read-ahead view's files, doctor's
 * directory listings) keep of a stat — its fields and file type, without the port's Stats object
 * and the four Date objects Node 20 builds with each one.
 */
import { expect, it } from 'vitest';
import { keptStat, type PortStats } from '../../src/io/fs-port.js';
import { describeOnDisks, hostPath, seed } from '../helpers/disks.js';

const FIELDS = ['mode', 'uid', 'gid', 'size', 'ino', 'dev', 'nlink', 'mtimeMs', 'ctimeMs'] as const;
const kinds = (st: PortStats) => [st.isFile(), st.isDirectory(), st.isSymbolicLink()];

describeOnDisks('keptStat', (ctx) => {
  it('keeps every field and the file type of a file, a directory and a symlink, and no Date', () => {
    const F = '/var/cpanel/integration/links/bob/wiki.userconfig';
    seed(ctx, F, '{"url":"a"}');
    const link = hostPath(ctx, '/var/cpanel/integration/links/bob/link');
    ctx.fs.symlinkSync('wiki.userconfig', link);
    for (const host of [hostPath(ctx, F), hostPath(ctx, '/var/cpanel/integration/links/bob'), link]) {
      const st = ctx.fs.lstatSync(host);
      const kept = keptStat(st);
      for (const f of FIELDS) expect(kept[f]).toBe(st[f]);
      expect(kinds(kept)).toEqual(kinds(st));
      expect(Object.values(kept).some((v) => v instanceof Date)).toBe(false);
      expect(keptStat(kept)).toBe(kept);
    }
  });

  it('is what a scoped view keeps of a file it read, and still tells an unchanged file from a replaced one', async () => {
    const F = '/var/cpanel/authn/links/users/bob/bob.db';
    seed(ctx, F, '{"__VERSION":"1.0"}');
    const view = ctx.disk.scoped();
    expect((await view.readFile(F))?.toString()).toBe('{"__VERSION":"1.0"}');
    const host = hostPath(ctx, F);
    expect(view.recentRead(host, ctx.fs.lstatSync(host))?.toString()).toBe('{"__VERSION":"1.0"}');
    ctx.fs.writeFileSync(`${host}.new`, '{"__VERSION":"1.0","x":1}');
    ctx.fs.renameSync(`${host}.new`, host);
    expect(view.recentRead(host, ctx.fs.lstatSync(host))).toBeUndefined();
  });
});
