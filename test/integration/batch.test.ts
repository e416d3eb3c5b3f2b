/**
 * The batch API: per-item validation, per-user locking, chunked all-or-nothing commits, dry run,
 * progress, and the same bytes as single creates.
 */
import { beforeEach, expect, it } from 'vitest';
import type { IntegrationStore } from '../../src/integration/index.js';
import { describeOnDisks, hostPath, peek, snapshotTree, settle } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { makeStore, seedServer } from './setup.js';

const L = '/var/cpanel/integration/links';
const D = '/var/cpanel/integration/dynamicui';

describeOnDisks('integration batch', (ctx) => {
  let store: IntegrationStore;
  const ls = (p: string) => (ctx.fs.readdirSync(hostPath(ctx, p)) as string[]).sort();
  beforeEach(() => {
    seedServer(ctx);
    store = makeStore(ctx);
  });

  it('creates many links across users, reports per item, and writes the same bytes as single creates', async () => {
    const items = [];
    for (const user of ['alice', 'carol', 'bob']) for (let i = 0; i < 7; i++) items.push({ user, app: `app${i}`, url: `https://${user}/${i}`, token: `t${i}` });
    items.push({ user: 'ghost', app: 'x', url: 'u' });
    items.push({ user: 'alice', app: 'bad app', url: 'u' });
    const progress: number[] = [];
    const r = await store.createLinks(items, { chunkSize: 3, concurrency: 2, onProgress: (d) => progress.push(d) });
    expect([r.succeeded, r.failed]).toEqual([21, 2]);
    expect(r.results[21]).toMatchObject({ ok: false, user: 'ghost', error: { code: 'E_NO_SUCH_USER' } });
    expect(r.results[22]).toMatchObject({ ok: false, app: 'bad app', error: { code: 'E_INVALID_PARAM' } });
    expect(progress.at(-1)).toBe(23);
    expect(await store.listLinks({ user: 'carol' })).toEqual(['app0', 'app1', 'app2', 'app3', 'app4', 'app5', 'app6']);
    await settle();
    const batchBytes = snapshotTree(ctx, `${L}/alice`);
    const batchUi = peek(ctx, `${D}/bob/dynamicui_app3.conf`);
    await store.purgeUser({ user: 'alice' });
    for (let i = 0; i < 7; i++) await store.createLink({ user: 'alice', app: `app${i}`, url: `https://alice/${i}`, token: `t${i}` });
    await settle();
    expect(snapshotTree(ctx, `${L}/alice`)).toEqual(batchBytes);
    await store.createLink({ user: 'bob', app: 'app3', url: 'https://bob/3', token: 't3' });
    expect(peek(ctx, `${D}/bob/dynamicui_app3.conf`)).toBe(batchUi);
    await settle();
    expect(ls(L)).toEqual(['alice', 'bob', 'carol']);
  });

  it('the same app twice in one batch: the later item wins', async () => {
    const r = await store.createLinks([
      { user: 'alice', app: 'a', url: 'first' },
      { user: 'alice', app: 'a', url: 'second' },
    ]);
    expect(r.succeeded).toBe(2);
    expect(await store.getLinkUserConfig({ user: 'alice', app: 'a' })).toEqual({ url: 'second' });
  });

  it('dry run plans every file and touches nothing', async () => {
    const before = snapshotTree(ctx, '/');
    const r = await store.createLinks(
      [
        { user: 'alice', app: 'a', url: 'u' },
        { user: 'carol', app: 'b', url: 'u' },
      ],
      { dryRun: true },
    );
    expect(snapshotTree(ctx, '/')).toEqual(before);
    expect(r.ops.filter((o) => o.op === 'write')).toHaveLength(6);
    expect(r.dryRun && r.succeeded === 2).toBe(true);
  });

  it('a dry run plans what the real run does when an app is given twice (same or different content)', async () => {
    await store.createLink({ user: 'alice', app: 'kept', url: 'u' });
    const items = [
      { user: 'alice', app: 'a', url: 'same' },
      { user: 'alice', app: 'a', url: 'same' },
      { user: 'alice', app: 'b', url: 'first' },
      { user: 'alice', app: 'b', url: 'second' },
      { user: 'alice', app: 'kept', url: 'u' },
    ];
    const shape = (r: Awaited<ReturnType<typeof store.createLinks>>) => ({
      changed: r.results.map((x) => x.ok && x.changed),
      ops: r.ops.map((o) => [o.op, o.path, o.sha256]),
    });
    const plan = shape(await store.createLinks(items, { dryRun: true }));
    expect(plan.changed).toEqual([true, false, true, true, false]);
    expect(shape(await store.createLinks(items))).toEqual(plan);
  });

  it('on a fresh tree, a dry run plans the shared base directories once, as the real run makes them once', async () => {
    ctx.fs.rmSync(hostPath(ctx, '/var/cpanel/integration'), { recursive: true, force: true });
    const items = [
      { user: 'alice', app: 'a', url: 'u' },
      { user: 'carol', app: 'b', url: 'u' },
    ];
    const shape = (r: Awaited<ReturnType<typeof store.createLinks>>) => r.ops.map((o) => `${o.op} ${o.path.slice(ctx.root.length)}`).sort();
    const plan = shape(await store.createLinks(items, { dryRun: true }));
    expect(plan.filter((o) => o === 'mkdir /var/cpanel/integration')).toHaveLength(1);
    expect(shape(await store.createLinks(items))).toEqual(plan);
  });

  it('a batch whose only user fails reports the shared base directories it made (they stay), not “no change”', async () => {
    ctx.fs.rmSync(hostPath(ctx, '/var/cpanel/integration'), { recursive: true, force: true });
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: (p) => p.includes('dynamicui_'), code: 'EIO' }]);
    const r = await makeStore(ctx, ctx.make({ fs })).createLinks([{ user: 'alice', app: 'a', url: 'u' }]);
    expect(r.failed).toBe(1);
    const exists = (p: string) => ctx.fs.existsSync(hostPath(ctx, p));
    expect([exists('/var/cpanel/integration/links'), exists('/var/cpanel/integration/links/alice')]).toEqual([true, false]);
    expect(r.changed).toBe(true);
    expect(r.ops.map((o) => `${o.op} ${o.path.slice(ctx.root.length)}`)).toContain('mkdir /var/cpanel/integration/links');
    expect(r.ops.some((o) => o.path.endsWith('/alice'))).toBe(false);
  });

  it('a failing chunk fails only its items and leaves no partial link', async () => {
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: (p) => p.includes('dynamicui_b1.conf'), code: 'EIO' }]);
    const s2 = makeStore(ctx, ctx.make({ fs }));
    const items = ['a0', 'a1', 'b0', 'b1'].map((app) => ({ user: 'alice', app, url: 'u' }));
    const r = await s2.createLinks(items, { chunkSize: 2 });
    expect(r.results.map((x) => x.ok)).toEqual([true, true, false, false]);
    expect(ls(`${L}/alice`)).toEqual(['a0.adminconfig', 'a0.userconfig', 'a1.adminconfig', 'a1.userconfig']);
    expect(ls(`${D}/alice`)).toEqual(['dynamicui_a0.conf', 'dynamicui_a1.conf']);
    expect(ls(L)).toEqual(['alice']);
  });
});
