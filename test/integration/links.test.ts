/**
 * Behaviour of the eight WHM functions on disk: layout, modes and owners, full replacement,
 * idempotent removal, listing, reads of cPanel-written files, token updates, dry runs, symlink
 * refusal, all-or-nothing commits under injected faults, and no leftover temp or lock files.
 */
import { beforeEach, expect, it } from 'vitest';
import type { IntegrationStore } from '../../src/integration/index.js';
import { describeOnDisks, hostPath, peek, seed, snapshotTree, settle, expectOwners } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { GID, TINY_PNG, expectError, makeStore, seedServer } from './setup.js';

const L = '/var/cpanel/integration/links';
const D = '/var/cpanel/integration/dynamicui';
const U = { url: 'https://x.example/' };

describeOnDisks('integration links on disk', (ctx) => {
  let store: IntegrationStore;
  const stat = (p: string) => ctx.fs.lstatSync(hostPath(ctx, p));
  const ls = (p: string) => (ctx.fs.readdirSync(hostPath(ctx, p)) as string[]).sort();
  const exists = (p: string) => ctx.fs.existsSync(hostPath(ctx, p));
  beforeEach(() => {
    seedServer(ctx);
    store = makeStore(ctx);
  });

  it('creates the directories and files with exact modes and owners (§1, §6)', async () => {
    const old = process.umask(0o077);
    try {
      await store.createLink({ user: 'alice', app: 'app1', ...U, token: 'tok' });
    } finally {
      process.umask(old);
    }
    const modes: Record<string, number> = {};
    for (const p of [
      '/var/cpanel/integration',
      L,
      D,
      `${L}/alice`,
      `${D}/alice`,
      `${L}/alice/app1.userconfig`,
      `${L}/alice/app1.adminconfig`,
      `${D}/alice/dynamicui_app1.conf`,
    ]) {
      modes[p] = stat(p).mode & 0o7777;
    }
    expect(modes).toEqual({
      '/var/cpanel/integration': 0o751,
      [L]: 0o751,
      [D]: 0o751,
      [`${L}/alice`]: 0o750,
      [`${D}/alice`]: 0o750,
      [`${L}/alice/app1.userconfig`]: 0o644,
      [`${L}/alice/app1.adminconfig`]: 0o600,
      [`${D}/alice/dynamicui_app1.conf`]: 0o644,
    });
    expectOwners(ctx, 'user directories root:alice, files root:root', () => {
      expect([stat(`${L}/alice`).uid, stat(`${L}/alice`).gid, stat(`${D}/alice`).gid]).toEqual([0, GID.alice, GID.alice]);
      expect([stat(L).uid, stat(L).gid, stat(`${L}/alice/app1.userconfig`).uid, stat(`${L}/alice/app1.userconfig`).gid]).toEqual([0, 0, 0, 0]);
    });
    await settle();
    expect([ls(`${L}/alice`), ls(`${D}/alice`), ls(L)]).toEqual([['app1.adminconfig', 'app1.userconfig'], ['dynamicui_app1.conf'], ['alice']]);
  });

  it('repairs a wrong per-user directory mode and owner, and does not chown when right', async () => {
    seed(ctx, `${L}/alice/keep`, 'x');
    ctx.fs.chmodSync(hostPath(ctx, `${L}/alice`), 0o777);
    const planned = await store.createLink({ user: 'alice', app: 'a', ...U }, { dryRun: true });
    const real = await store.createLink({ user: 'alice', app: 'a', ...U });
    expect(stat(`${L}/alice`).mode & 0o7777).toBe(0o750);
    expectOwners(ctx, 'user directory group alice', () => expect(stat(`${L}/alice`).gid).toBe(GID.alice));
    // The answer says what was done to the directories too, as the dry run planned it.
    expect(real.ops).toContainEqual({ op: 'chmod', path: hostPath(ctx, `${L}/alice`), mode: '0750' });
    expect(real.ops).toEqual(planned.ops);
  });

  it('a dry run plans the directory work the real run does: none when the user’s own directories are right', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    ctx.fs.chmodSync(hostPath(ctx, '/var/cpanel/integration'), 0o755);
    const shape = (r: Awaited<ReturnType<typeof store.createLink>>) => ({
      changed: r.changed,
      ops: r.ops.map((o) => `${o.op} ${o.path.slice(ctx.root.length)}`),
    });
    const dry = shape(await store.createLink({ user: 'alice', app: 'a', ...U }, { dryRun: true }));
    expect(shape(await store.createLink({ user: 'alice', app: 'a', ...U }))).toEqual(dry);
    expect(dry).toEqual({ changed: false, ops: [] });
  });

  it('a call that fails before publishing puts back the directory modes it repaired, and removes the directories it made', async () => {
    await store.createLink({ user: 'alice', app: 'first', ...U });
    for (const [p, m] of [
      ['/var/cpanel/integration', 0o755],
      [L, 0o755],
      [`${L}/alice`, 0o777],
    ] as const)
      ctx.fs.chmodSync(hostPath(ctx, p), m);
    ctx.fs.rmSync(hostPath(ctx, `${D}/alice`), { recursive: true });
    await settle();
    const before = snapshotTree(ctx, '/var/cpanel/integration');
    const { fs } = faultyFs(ctx.fs, [{ op: 'sync', path: (p) => p.includes('dynamicui_a.conf'), code: 'ENOSPC' }]);
    await expectError(makeStore(ctx, ctx.make({ fs })).createLink({ user: 'alice', app: 'a', ...U }), 'E_WRITE_FAILED');
    await settle();
    expect(snapshotTree(ctx, '/var/cpanel/integration')).toEqual(before);
    expect([stat(L).mode & 0o7777, stat(`${L}/alice`).mode & 0o7777, exists(`${D}/alice`)]).toEqual([0o755, 0o777, false]);
  });

  it('replace is a full replacement: keys missing from the new call disappear, no token → null', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U, label: 'Old', order: '3', token: 'T' });
    await store.createLink({ user: 'alice', app: 'a', autologin_token_url: 'https://t/' });
    expect(await store.getLinkUserConfig({ user: 'alice', app: 'a' })).toEqual({ autologin_token_url: 'https://t/' });
    expect(await store.getLinkToken({ user: 'alice', app: 'a' })).toBeNull();
    expect(JSON.parse(peek(ctx, `${D}/alice/dynamicui_a.conf`)!)[0].itemdesc).toBe("$LANG{'a'}");
  });

  it('remove_integration_link removes the three files, is idempotent and creates nothing', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    await store.createLink({ user: 'alice', app: 'b', ...U });
    const r = await store.removeLink({ user: 'alice', app: 'a' });
    expect(r.ops.map((o) => [o.op, o.path.slice(ctx.root.length)])).toEqual([
      ['remove', `${L}/alice/a.userconfig`],
      ['remove', `${L}/alice/a.adminconfig`],
      ['remove', `${D}/alice/dynamicui_a.conf`],
    ]);
    expect([ls(`${L}/alice`), ls(`${D}/alice`)]).toEqual([['b.adminconfig', 'b.userconfig'], ['dynamicui_b.conf']]);
    expect((await store.removeLink({ user: 'alice', app: 'a' })).ops).toEqual([]);
    // a user without any directory: success, and still no directory
    expect((await store.removeLink({ user: 'carol', app: 'a' })).ops).toEqual([]);
    expect((await store.removeGroup({ user: 'carol', group_id: 'g' })).ops).toEqual([]);
    expect([exists(`${L}/carol`), exists(`${D}/carol`)]).toEqual([false, false]);
    await expectError(store.removeLink({ user: 'alice', app: 'group_x' }), 'E_INVALID_PARAM', 'The “app” argument cannot begin with “group_”.');
    await expectError(store.removeLink({ user: 'ghost', app: 'a' }), 'E_NO_SUCH_USER');
  });

  it('list: sorted bytewise, WHM shape, skips groups, temp, dot, lock and foreign files; missing dir → []', async () => {
    expect(await store.listLinks({ user: 'alice' })).toEqual([]);
    expect(exists(`${L}/alice`)).toBe(false);
    for (const a of ['b', 'B', 'a_1', 'Z']) await store.createLink({ user: 'alice', app: a, ...U });
    await store.createGroup({ user: 'alice', group_id: 'g' });
    seed(ctx, `${L}/alice/.tmp.0123abcd.x.userconfig`, '{}');
    seed(ctx, `${L}/alice/orphan.adminconfig`, '{"token":null}');
    seed(ctx, `${L}/alice/README`, 'hello');
    seed(ctx, `${L}/alice/.userconfig`, '{}');
    ctx.fs.mkdirSync(hostPath(ctx, `${L}/alice/subdir`));
    expect(await store.listLinks({ user: 'alice' })).toEqual(['B', 'Z', 'a_1', 'b']);
    expect(await store.listGroups({ user: 'alice' })).toEqual(['g']);
    await expectError(store.listLinks({ user: 'ghost' }), 'E_NO_SUCH_USER', 'You do not have a user named “ghost”.');
  });

  it('reads what cPanel wrote: any key order, app/user keys, number itemorder, group_ via get', async () => {
    seed(ctx, `${L}/alice/whmcs.userconfig`, '{"user":"alice","url":"https://u/","app":"whmcs","label":"W"}', 0o644);
    seed(ctx, `${L}/alice/whmcs.adminconfig`, '{\n   "token" : "abc"\n}\n', 0o600);
    seed(ctx, `${L}/alice/group_g.userconfig`, '{"order":"2","label":"G"}');
    seed(ctx, `${D}/alice/dynamicui_whmcs.conf`, JSON.stringify([{ itemorder: 99999, file: 'whmcs', width: 48, height: 48 }]));
    expect(await store.getLinkUserConfig({ user: 'alice', app: 'whmcs' })).toEqual({ user: 'alice', url: 'https://u/', app: 'whmcs', label: 'W' });
    expect(await store.getLinkUserConfig({ user: 'alice', app: 'group_g' })).toEqual({ order: '2', label: 'G' });
    expect(await store.getGroupUserConfig({ user: 'alice', group_id: 'g' })).toEqual({ order: '2', label: 'G' });
    expect(await store.getLinkAdminConfig({ user: 'alice', app: 'whmcs' })).toEqual({ token: 'abc' });
    const report = await store.checkDynamicUi({ user: 'alice' });
    expect(report.entries.map((e) => [e.name, e.state])).toEqual([
      ['group_g', 'missing'],
      ['whmcs', 'stale'],
    ]);
  });

  it('missing and corrupt files are typed errors naming the file', async () => {
    const p = `${L}/alice/nope.userconfig`;
    await expectError(store.getLinkUserConfig({ user: 'alice', app: 'nope' }), 'E_NO_SUCH_LINK', `Cannot open “${p}”: No such file or directory`);
    seed(ctx, `${L}/alice/empty.userconfig`, '');
    const e1 = await expectError(
      store.getLinkUserConfig({ user: 'alice', app: 'empty' }),
      'E_CORRUPT_FILE',
      `“${hostPath(ctx, `${L}/alice/empty.userconfig`)}” is empty.`,
    );
    expect(e1.path).toBe(hostPath(ctx, `${L}/alice/empty.userconfig`));
    seed(ctx, `${L}/alice/bad.userconfig`, '{"url": ');
    expect((await expectError(store.getLinkUserConfig({ user: 'alice', app: 'bad' }), 'E_CORRUPT_FILE')).message).toContain('bad.userconfig');
    seed(ctx, `${L}/alice/latin1.userconfig`, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]));
    expect((await expectError(store.getLinkUserConfig({ user: 'alice', app: 'latin1' }), 'E_CORRUPT_FILE')).message).toContain('UTF-8');
    seed(ctx, `${L}/alice/arr.userconfig`, '[1]');
    expect((await expectError(store.getLinkUserConfig({ user: 'alice', app: 'arr' }), 'E_CORRUPT_FILE')).path).toBe(hostPath(ctx, `${L}/alice/arr.userconfig`));
    seed(ctx, `${L}/alice/x.adminconfig`, '{"nottoken":1}');
    await expectError(store.getLinkAdminConfig({ user: 'alice', app: 'x' }), 'E_CORRUPT_FILE');
    await expectError(store.getLinkAdminConfig({ user: 'alice', app: 'y' }), 'E_NO_SUCH_LINK');
  });

  it('update_integration_link_token rewrites only the adminconfig; missing link → E_NO_SUCH_LINK; allowOrphan = cPanel', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U, token: 'one' });
    await settle();
    const before = snapshotTree(ctx, '/var/cpanel/integration');
    await store.setLinkToken({ user: 'alice', app: 'a', token: 'two' });
    await settle();
    const after = snapshotTree(ctx, '/var/cpanel/integration');
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed).toEqual([`${L}/alice/a.adminconfig`]);
    expect(peek(ctx, `${L}/alice/a.adminconfig`)).toBe('{\n   "token" : "two"\n}\n');
    expect(stat(`${L}/alice/a.adminconfig`).mode & 0o7777).toBe(0o600);
    await expectError(store.setLinkToken({ user: 'alice', app: 'ghost', token: 'x' }), 'E_NO_SUCH_LINK');
    expect(exists(`${L}/alice/ghost.adminconfig`)).toBe(false);
    await expectError(store.setLinkToken({ user: 'alice', app: 'a', token: '' }), 'E_INVALID_PARAM', 'The value of “token” may not be empty.');
    await expectError(store.setLinkToken({ user: 'alice', app: 'group_a', token: 'x' }), 'E_INVALID_PARAM', 'The “app” argument cannot begin with “group_”.');
    await store.setLinkToken({ user: 'carol', app: 'orphan', token: 'x' }, { allowOrphan: true });
    expect(await store.listLinks({ user: 'carol' })).toEqual([]);
    expect(await store.getLinkToken({ user: 'carol', app: 'orphan' })).toBe('x');
  });

  it('groups: create, replace without merge, list, remove', async () => {
    await store.createGroup({ user: 'alice', group_id: 'whmcs', label: 'W', order: '1' });
    await store.createGroup({ user: 'alice', group_id: 'whmcs', label: 'W2' });
    expect(await store.getGroupUserConfig({ user: 'alice', group_id: 'whmcs' })).toEqual({ label: 'W2' });
    const entry = JSON.parse(peek(ctx, `${D}/alice/dynamicui_group_whmcs.conf`)!)[0];
    expect([entry.grouporder, entry.groupdesc, entry.width]).toEqual(['99999', "$LANG{'W2'}", 32]);
    expect(exists(`${L}/alice/group_whmcs.adminconfig`)).toBe(false);
    await store.removeGroup({ user: 'alice', group_id: 'whmcs' });
    expect([ls(`${L}/alice`), ls(`${D}/alice`)]).toEqual([[], []]);
  });

  it('dry run validates and plans (dirs, path, mode, owner, digest) without touching disk', async () => {
    await settle();
    const before = snapshotTree(ctx, '/');
    const r = await store.createLink({ user: 'alice', app: 'a', ...U, token: 'secret' }, { dryRun: true });
    expect(snapshotTree(ctx, '/')).toEqual(before);
    expect(r.dryRun).toBe(true);
    expect(r.ops.map((o) => [o.op, o.path.slice(ctx.root.length), o.mode])).toEqual([
      ['mkdir', '/var/cpanel/integration', '0751'],
      ['mkdir', L, '0751'],
      ['mkdir', D, '0751'],
      ['mkdir', `${L}/alice`, '0750'],
      ['mkdir', `${D}/alice`, '0750'],
      ['write', `${L}/alice/a.userconfig`, '0644'],
      ['write', `${L}/alice/a.adminconfig`, '0600'],
      ['write', `${D}/alice/dynamicui_a.conf`, '0644'],
    ]);
    expect(r.ops[3]!.owner).toBe(`0:${GID.alice}`);
    expect(JSON.stringify(r.ops)).not.toContain('secret');
    const real = await store.createLink({ user: 'alice', app: 'a', ...U, token: 'secret' });
    // The real run reports what the dry run planned: the directories it made, then the files.
    expect(real.ops).toEqual(r.ops);
    await settle();
    const before2 = snapshotTree(ctx, '/');
    for (const plan of [
      store.removeLink({ user: 'alice', app: 'a' }, { dryRun: true }),
      store.setLinkToken({ user: 'alice', app: 'a', token: 'n' }, { dryRun: true }),
      store.createGroup({ user: 'alice', group_id: 'g' }, { dryRun: true }),
      store.removeGroup({ user: 'alice', group_id: 'g' }, { dryRun: true }),
      store.purgeUser({ user: 'alice' }, { dryRun: true }),
      store.rebuildDynamicUi({ user: 'alice' }, { dryRun: true }),
      store.renameUser({ user: 'alice', newUser: 'carol' }, { dryRun: true }),
    ]) {
      expect((await plan).dryRun).toBe(true);
    }
    expect((await store.removeLink({ user: 'alice', app: 'a' }, { dryRun: true })).ops.map((o) => o.op)).toEqual(['remove', 'remove', 'remove']);
    expect(snapshotTree(ctx, '/')).toEqual(before2);
  });

  it('refuses symlinks in the managed tree and never writes through them', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    seed(ctx, '/elsewhere/target', 'precious');
    ctx.fs.unlinkSync(hostPath(ctx, `${L}/alice/a.adminconfig`));
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere/target'), hostPath(ctx, `${L}/alice/a.adminconfig`));
    await expectError(store.createLink({ user: 'alice', app: 'a', ...U, token: 'x' }), 'E_SYMLINK');
    await expectError(store.setLinkToken({ user: 'alice', app: 'a', token: 'x' }), 'E_SYMLINK');
    expect(peek(ctx, '/elsewhere/target')).toBe('precious');
    ctx.fs.mkdirSync(hostPath(ctx, '/elsewhere/dir'));
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere/dir'), hostPath(ctx, `${D}/carol`));
    await expectError(store.createLink({ user: 'carol', app: 'a', ...U }), 'E_SYMLINK');
    expect(ls('/elsewhere/dir')).toEqual([]);
  });

  it('a failed rename restores the previous link (no partial or deleted link), and leaves no temp or lock', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U, label: 'Old', token: 'old' });
    await settle();
    const before = snapshotTree(ctx, '/var/cpanel/integration');
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: (p) => p.includes('dynamicui_a.conf'), code: 'EIO' }]);
    const s2 = makeStore(ctx, ctx.make({ fs }));
    await expectError(s2.createLink({ user: 'alice', app: 'a', ...U, label: 'New', token: 'new' }), 'E_COMMIT_FAILED');
    expect(snapshotTree(ctx, '/var/cpanel/integration')).toEqual(before);
  });

  it('a failed first create leaves no half link (no userconfig without its DynamicUI file)', async () => {
    const { fs } = faultyFs(ctx.fs, [{ op: 'sync', path: (p) => p.includes('dynamicui_a.conf'), code: 'ENOSPC' }]);
    const s2 = makeStore(ctx, ctx.make({ fs }));
    await expectError(s2.createLink({ user: 'alice', app: 'a', ...U }), 'E_WRITE_FAILED');
    await settle();
    // Nothing was changed, and so nothing is left: not even the directories it made (here the
    // whole tree, which did not exist before the call).
    expect([exists(`${L}/alice`), exists(`${D}/alice`), exists(L), exists(D)]).toEqual([false, false, false, false]);
    expect(await store.listLinks({ user: 'alice' })).toEqual([]);
  });

  it('leaves no lock or temp file anywhere after success or failure', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    await expectError(store.createLink({ user: 'alice', app: 'b', url: 'x', order: 'bad' }), 'E_INVALID_PARAM');
    await store.setLinkToken({ user: 'alice', app: 'a', token: 't' });
    await store.removeLink({ user: 'alice', app: 'a' });
    await store.createLink({ user: 'alice', app: 'c', url: 'x', base64_png_image: TINY_PNG });
    await settle();
    expect(ls(L)).toEqual(['alice']);
    expect([ls(`${L}/alice`), ls(`${D}/alice`)]).toEqual([['c.adminconfig', 'c.userconfig'], ['dynamicui_c.conf']]);
  });

  it('the theme config.json decides width/height; a corrupt one is a typed error', async () => {
    seed(ctx, '/usr/local/cpanel/base/frontend/oldtheme/config.json', '{"icon":{"feature":{"width":"64","height":64}}}');
    await store.createLink({ user: 'bob', app: 'a', ...U });
    const e = JSON.parse(peek(ctx, `${D}/bob/dynamicui_a.conf`)!)[0];
    expect([e.width, e.height]).toEqual([64, 64]);
    seed(ctx, '/usr/local/cpanel/base/frontend/oldtheme/config.json', '{');
    expect((await expectError(store.createLink({ user: 'bob', app: 'b', ...U }), 'E_CORRUPT_FILE')).message).toContain('config.json');
  });
});
