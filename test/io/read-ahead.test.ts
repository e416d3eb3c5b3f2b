/**
 * The read-ahead view of a Disk (doctor's scan): what the scan read with `keep` and the listings
 * it kept are served once to the checks after it, through the view and scoped views made from
 * it; every later call reads the disk, and the disk itself never keeps anything.
 */
import { expect, it } from 'vitest';
import type { LinkstoreError } from '../../src/io/errors.js';
import { describeOnDisks, hostPath, seed } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';

const D = '/var/cpanel/integration/links/bob';
const F = `${D}/wiki.userconfig`;

describeOnDisks('Disk.withReadAhead', (ctx) => {
  const counting = () => {
    const f = faultyFs(ctx.fs, []);
    return { disk: ctx.make({ fs: f.fs }), calls: f.calls };
  };
  const opens = (calls: string[]) => calls.filter((c) => c.startsWith('open '));

  it('serves a kept file once, to the view and to scoped views made from it, then reads the disk', async () => {
    seed(ctx, F, '{"url":"a"}');
    const { disk, calls } = counting();
    const view = disk.withReadAhead();
    expect(view.readHostFile(hostPath(ctx, F), { keep: true })?.toString()).toBe('{"url":"a"}');
    ctx.fs.writeFileSync(hostPath(ctx, F), '{"url":"b"}');
    calls.length = 0;
    expect((await view.scoped().readFile(F))?.toString()).toBe('{"url":"a"}');
    expect(opens(calls)).toEqual([]);
    expect((await view.readFile(F))?.toString()).toBe('{"url":"b"}');
    expect(opens(calls)).toEqual([`open ${hostPath(ctx, F)}`]);
  });

  it('keeps nothing without `keep`, and nothing on the disk itself', async () => {
    seed(ctx, F, '{"url":"a"}');
    const { disk, calls } = counting();
    const view = disk.withReadAhead();
    view.readHostFile(hostPath(ctx, F));
    disk.readHostFile(hostPath(ctx, F), { keep: true });
    calls.length = 0;
    await view.readFile(F);
    await disk.readFile(F);
    expect(opens(calls)).toHaveLength(2);
  });

  it('applies the caller’s read limit to what it kept', async () => {
    seed(ctx, F, '{"url":"0123456789"}');
    const view = ctx.disk.withReadAhead();
    view.readHostFile(hostPath(ctx, F), { keep: true });
    const e = (await view.readFile(F, { maxBytes: 4 }).catch((x: unknown) => x)) as LinkstoreError;
    expect(e.code).toBe('E_CORRUPT_FILE');
  });

  it('serves a kept listing once, then lists the disk', async () => {
    seed(ctx, F, '{}');
    const view = ctx.disk.withReadAhead();
    view.keepListing(hostPath(ctx, D), ['wiki.userconfig']);
    seed(ctx, `${D}/crm.userconfig`, '{}');
    expect(await view.scoped().readdir(D)).toEqual(['wiki.userconfig']);
    expect((await view.readdir(D))?.sort()).toEqual(['crm.userconfig', 'wiki.userconfig']);
    // A disk that is not a read-ahead view keeps no listing.
    ctx.disk.keepListing(hostPath(ctx, D), ['x']);
    expect((await ctx.disk.readdir(D))?.sort()).toEqual(['crm.userconfig', 'wiki.userconfig']);
  });

  it('forgets a file it removes, and its directory’s listing', async () => {
    seed(ctx, F, '{}');
    seed(ctx, `${D}/.tmp.0123456789abcdef.wiki.userconfig.tmp`, '{}');
    const view = ctx.disk.withReadAhead();
    const temp = hostPath(ctx, `${D}/.tmp.0123456789abcdef.wiki.userconfig.tmp`);
    view.readHostFile(temp, { keep: true });
    view.keepListing(hostPath(ctx, D), ['.tmp.0123456789abcdef.wiki.userconfig.tmp', 'wiki.userconfig']);
    await view.removeHostEntry(temp, 'file');
    expect(await view.readdir(D)).toEqual(['wiki.userconfig']);
    expect(await view.readFile(`${D}/.tmp.0123456789abcdef.wiki.userconfig.tmp`)).toBeUndefined();
  });
});
