/**
 * Doctor on a tree written entirely by cPanel (test/fixtures/cpanel-tree): cPanel's key order,
 * cPanel's default image, `link_time` strings from a restore, mail directories without passwd
 * lines. It must report nothing, and `--fix` must change no byte (verified-against-cpanel.md
 * §1–§3).
 */
import { expect, it } from 'vitest';
import { doctor } from '../../src/doctor/index.js';
import { Linkstore } from '../../src/services.js';
import { describeOnDisks, snapshotTree } from '../helpers/disks.js';
import { STANDIN_IMAGE_SHA256, seedCpanelTree } from './cpanel-tree.js';

describeOnDisks('doctor on a cPanel-written tree', (ctx) => {
  const linkstore = () => new Linkstore({ disk: ctx.disk, cpanelDefaultImageSha256: [STANDIN_IMAGE_SHA256], users: { checkIntervalMs: 0 } });

  it('reports nothing', async () => {
    seedCpanelTree(ctx);
    const report = await doctor(linkstore(), { pidAlive: () => false });
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('--fix changes no byte, mode or entry', async () => {
    seedCpanelTree(ctx);
    const before = snapshotTree(ctx, '/');
    const report = await doctor(linkstore(), { fix: true, pidAlive: () => false });
    expect(report.findings).toEqual([]);
    expect(snapshotTree(ctx, '/')).toEqual(before);
  });

  it('without the stand-in’s hash its DynamicUI file counts as stale (the check does look at the image)', async () => {
    seedCpanelTree(ctx);
    const report = await doctor(new Linkstore({ disk: ctx.disk, users: { checkIntervalMs: 0 } }), { pidAlive: () => false });
    expect(report.findings.map((f) => [f.kind, f.path.replace(ctx.root, '')])).toEqual([
      ['stale_dynamicui', '/var/cpanel/integration/dynamicui/bob/dynamicui_support.conf'],
    ]);
  });
});
