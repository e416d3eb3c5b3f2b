/**
 * Lifecycle: purge (§7.1), export (§7.2), restore of a hand-made cPanel-style archive (§7.3),
 * account rename (§7.5), and the DynamicUI check/rebuild a doctor uses.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, expect, it } from 'vitest';
import type { IntegrationStore } from '../../src/integration/index.js';
import { expectedDynamicUi, loadArchiveDir } from '../../src/integration/lifecycle.js';
import { integrationContext } from '../../src/integration/store.js';
import { describeOnDisks, hostPath, peek, seed, snapshotTree, settle, expectOwners } from '../helpers/disks.js';
import { GID, expectError, makeStore, seedServer } from './setup.js';
import { faultyFs } from '../helpers/faulty-fs.js';

const L = '/var/cpanel/integration/links';
const D = '/var/cpanel/integration/dynamicui';
const U = { url: 'https://x.example/' };
const archiveDir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/integration/archive/integration/links');

describeOnDisks('integration lifecycle', (ctx) => {
  let store: IntegrationStore;
  const ls = (p: string) => (ctx.fs.readdirSync(hostPath(ctx, p)) as string[]).sort();
  const exists = (p: string) => ctx.fs.existsSync(hostPath(ctx, p));
  beforeEach(() => {
    seedServer(ctx);
    store = makeStore(ctx);
  });

  it('purgeUser removes both per-user trees and a stale lock, keeps base dirs and other users', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    await store.createGroup({ user: 'alice', group_id: 'g' });
    await store.createLink({ user: 'carol', app: 'c', ...U });
    seed(ctx, `${L}/alice.lock`, '999999999\ncpanel-linkstore\n', 0o640); // dead PID
    const r = await store.purgeUser({ user: 'alice' });
    expect(r.ops.filter((o) => o.op === 'rmdir').map((o) => o.path.slice(ctx.root.length))).toEqual([`${L}/alice`, `${D}/alice`]);
    expect([ls(L), ls(D), ls('/var/cpanel/integration')]).toEqual([['carol'], ['carol'], ['dynamicui', 'links']]);
    expect(await store.listLinks({ user: 'carol' })).toEqual(['c']);
    expect((await store.purgeUser({ user: 'alice' })).ops).toEqual([]);
    await expectError(store.purgeUser({ user: 'a/b' }), 'E_INVALID_NAME', 'This value may not contain the character “/”.');
  });

  it('purgeUser unlinks a symlinked per-user root without following it', async () => {
    await store.createLink({ user: 'carol', app: 'c', ...U });
    seed(ctx, '/elsewhere/keep/file', 'precious');
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere/keep'), hostPath(ctx, `${L}/alice`));
    await store.purgeUser({ user: 'alice' });
    expect(exists(`${L}/alice`)).toBe(false);
    expect(peek(ctx, '/elsewhere/keep/file')).toBe('precious');
  });

  it('exportUser returns every regular file of links/USER (strays included), not DynamicUI', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U, token: 't' });
    await store.createGroup({ user: 'alice', group_id: 'g', label: 'G' });
    seed(ctx, `${L}/alice/stray.txt`, 'x');
    // Writer debris is not account data: a dot-lock, a lock temp, a write temp.
    seed(ctx, `${L}/alice/a.userconfig.lock`, '4242\n');
    seed(ctx, `${L}/alice/a.userconfig.lock-1a-2b-3c`, '4242\n');
    seed(ctx, `${L}/alice/.tmp.0123456789abcdef-4242.a.userconfig.tmp`, '{}');
    const a = await store.exportUser({ user: 'alice' });
    expect(a.user).toBe('alice');
    expect(a.files.map((f) => [f.name, f.mode.toString(8)])).toEqual([
      ['a.adminconfig', '600'],
      ['a.userconfig', '644'],
      ['group_g.userconfig', '644'],
      ['stray.txt', '644'],
    ]);
    expect(Buffer.from(a.files[1]!.content).toString()).toBe(peek(ctx, `${L}/alice/a.userconfig`));
    expect((await store.exportUser({ user: 'carol' })).files).toEqual([]);
  });

  it('export → restore under a new user re-creates the same bytes (a rename by restore)', async () => {
    await store.createLink({ user: 'alice', app: 'WHMCS_billing', ...U, label: 'WHMCS Billing', order: '5', implements: 'billing', token: 'subway' });
    await store.createGroup({ user: 'alice', group_id: 'whmcs', label: 'WHMCS Control', order: '1' });
    const archive = await store.exportUser({ user: 'alice' });
    const r = await store.restoreUser({ archive, user: 'carol' });
    expect([r.warnings, r.failed, r.restored]).toEqual([[], [], ['WHMCS_billing', 'group_whmcs']]);
    for (const f of ['WHMCS_billing.userconfig', 'WHMCS_billing.adminconfig', 'group_whmcs.userconfig']) {
      expect(peek(ctx, `${L}/carol/${f}`)).toBe(peek(ctx, `${L}/alice/${f}`));
    }
    for (const f of ['dynamicui_WHMCS_billing.conf', 'dynamicui_group_whmcs.conf']) expect(peek(ctx, `${D}/carol/${f}`)).toBe(peek(ctx, `${D}/alice/${f}`));
  });

  it('restores a hand-made cPanel-style archive with cPanel’s warnings (random key order, strays, group, falsy token)', async () => {
    for (const name of readdirSync(archiveDir)) seed(ctx, `/home/carol/restore/integration/links/${name}`, readFileSync(join(archiveDir, name)));
    const archive = await loadArchiveDir(integrationContext(store), '/home/carol/restore/integration/links');
    expect(archive.files).toHaveLength(14);
    const r = await store.restoreUser({ archive, user: 'carol' });
    const tmpName = '.tmp.9f3a.WHMCS_billing';
    expect(r.restored).toEqual(['WHMCS_billing', 'group_whmcs', 'legacy', 'support']);
    expect(r.failed).toEqual([tmpName, 'badjson', 'broken', 'nourl']);
    expect(r.warnings).toEqual([
      'The system has skipped the unrecognized file “notes.txt”.',
      'The system has skipped the unrecognized file “orphan.adminconfig”.',
      `The system could not restore “${tmpName}.userconfig”: The configuration entry with “name” of “$LANG{'${tmpName}'}” has an invalid value for “id”: “${tmpName}”.`,
      expect.stringMatching(/^The system could not restore “badjson\.userconfig”: The file “badjson\.userconfig” is corrupt: it is not valid JSON/),
      'The system could not restore “broken.userconfig”: “hide” (JSON::PP::Boolean) must not be a reference!',
      'Ignoring unrecognized data key “token” (********)!', // the archived group token is not shown
      '“legacy.userconfig”: the value of “order” was a number and was converted to a string.',
      '“legacy.userconfig”: the key “label” had a null value and was dropped.',
      'The system could not restore “nourl.userconfig”: You must supply one of the following parameters: autologin_token_url, url',
      '“support.adminconfig”: the token is empty or “0” and was dropped (the link is restored without a token).',
    ]);
    expect(await store.listLinks({ user: 'carol' })).toEqual(['WHMCS_billing', 'legacy', 'support']);
    expect(await store.listGroups({ user: 'carol' })).toEqual(['whmcs']);
    expect(await store.getLinkUserConfig({ user: 'carol', app: 'legacy' })).toEqual({ order: '7', url: 'https://legacy.example.com/' });
    expect([
      await store.getLinkToken({ user: 'carol', app: 'WHMCS_billing' }),
      await store.getLinkToken({ user: 'carol', app: 'support' }),
      await store.getLinkToken({ user: 'carol', app: 'legacy' }),
    ]).toEqual(['subway', null, null]);
    // canonical (sorted) re-serialisation of the random-order cPanel file
    expect(peek(ctx, `${L}/carol/WHMCS_billing.userconfig`)).toBe(
      '{\n   "implements" : "billing",\n   "label" : "WHMCS Billing",\n   "order" : "5",\n   "url" : "https://billing.example.com/cp"\n}\n',
    );
    // DynamicUI rebuilt with the new user's theme (jupiter 48×48), hidden link has if:"0"
    const sup = JSON.parse(peek(ctx, `${D}/carol/dynamicui_support.conf`)!)[0];
    expect([sup.width, sup.if]).toEqual([48, '0']);
    expect(ls(`${L}/carol`)).not.toContain('notes.txt');
  });

  it('restore dry run plans without writing; restore into an unknown user fails per link', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    const archive = await store.exportUser({ user: 'alice' });
    // Let the idle lock temp of the createLink be swept first: the snapshot compares files only.
    await settle();
    const before = snapshotTree(ctx, '/');
    const dry = await store.restoreUser({ archive, user: 'carol' }, { dryRun: true });
    expect(dry.ops.filter((o) => o.op === 'write')).toHaveLength(3);
    expect(snapshotTree(ctx, '/')).toEqual(before);
    const r = await store.restoreUser({ archive, user: 'ghost' });
    expect([r.restored, r.failed, r.warnings]).toEqual([[], ['a'], ['The system could not restore “a.userconfig”: You do not have a user named “ghost”.']]);
  });

  it('renameUser moves both trees, re-owns them and rebuilds DynamicUI for the new theme', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U, token: 't' });
    await store.createGroup({ user: 'alice', group_id: 'g', label: 'G' });
    // bob's theme has no config.json: sizes become null
    const r = await store.renameUser({ user: 'alice', newUser: 'bob' });
    expect([exists(`${L}/alice`), exists(`${D}/alice`)]).toEqual([false, false]);
    expect([ls(`${L}/bob`), ls(`${D}/bob`)]).toEqual([
      ['a.adminconfig', 'a.userconfig', 'group_g.userconfig'],
      ['dynamicui_a.conf', 'dynamicui_group_g.conf'],
    ]);
    const e = JSON.parse(peek(ctx, `${D}/bob/dynamicui_a.conf`)!)[0];
    const g = JSON.parse(peek(ctx, `${D}/bob/dynamicui_group_g.conf`)!)[0];
    expect([e.width, e.height, g.width]).toEqual([null, null, null]);
    expect(r.ops.filter((o) => o.op === 'write').map((o) => o.path.slice(ctx.root.length))).toEqual([
      `${D}/bob/dynamicui_a.conf`,
      `${D}/bob/dynamicui_group_g.conf`,
    ]);
    expectOwners(ctx, 'renamed directories group bob', () =>
      expect([ctx.fs.statSync(hostPath(ctx, `${L}/bob`)).gid, ctx.fs.statSync(hostPath(ctx, `${D}/bob`)).gid]).toEqual([GID.bob, GID.bob]),
    );
    expect(await store.getLinkToken({ user: 'bob', app: 'a' })).toBe('t');
    await settle();
    expect(ls(L)).toEqual(['bob']);
  });

  it('renameUser failing on its second tree after moving the first is E_PARTIAL naming the move made', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    // The second rename of an entry named alice (the DynamicUI tree's) fails.
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: (p) => p.endsWith('/alice'), code: 'EIO', nth: 2 }]);
    const e = await expectError(makeStore(ctx, ctx.make({ fs })).renameUser({ user: 'alice', newUser: 'bob' }), 'E_PARTIAL');
    expect(e.message).toMatch(
      /^The call failed part-way: 3 changes were made and are in place \(the error's “done” lists them\), the rest was not made \(Could not rename .*dynamicui\/alice.*\)\. Once the cause is fixed, the same call can be retried to make the rest\.$/,
    );
    expect(e.done?.map((o) => [o.op, o.from?.slice(ctx.root.length), o.path.slice(ctx.root.length)])).toEqual([
      ['rename', `${L}/alice`, `${L}/bob`],
      ['rename', `${L}/alice/a.adminconfig`, `${L}/bob/a.adminconfig`],
      ['rename', `${L}/alice/a.userconfig`, `${L}/bob/a.userconfig`],
    ]);
    expect([exists(`${L}/bob`), exists(`${D}/alice`)]).toEqual([true, true]);
  });

  it('renameUser failing after both trees moved (the DynamicUI rebuild) is E_PARTIAL naming the moves', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: (p) => p.includes('dynamicui_a.conf'), code: 'EIO' }]);
    const e = await expectError(makeStore(ctx, ctx.make({ fs })).renameUser({ user: 'alice', newUser: 'bob' }), 'E_PARTIAL');
    expect(e.done?.map((o) => `${o.op} ${o.path.slice(ctx.root.length)}`)).toEqual([
      `rename ${L}/bob`,
      `rename ${L}/bob/a.adminconfig`,
      `rename ${L}/bob/a.userconfig`,
      `rename ${D}/bob`,
      `rename ${D}/bob/dynamicui_a.conf`,
    ]);
    expect([exists(`${L}/alice`), exists(`${L}/bob`)]).toEqual([false, true]);
  });

  it('renameUser refuses to merge into a non-empty target', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    await store.createLink({ user: 'carol', app: 'c', ...U });
    await settle();
    const before = snapshotTree(ctx, '/var/cpanel/integration');
    await expectError(store.renameUser({ user: 'alice', newUser: 'carol' }), 'E_INVALID_PARAM');
    expect(snapshotTree(ctx, '/var/cpanel/integration')).toEqual(before);
  });

  it('checkDynamicUi finds missing, stale and orphan files; rebuildDynamicUi repairs them', async () => {
    await store.createLink({ user: 'alice', app: 'a', ...U });
    await store.createLink({ user: 'alice', app: 'b', ...U });
    await store.createLink({ user: 'alice', app: 'c', ...U });
    ctx.fs.unlinkSync(hostPath(ctx, `${D}/alice/dynamicui_a.conf`));
    seed(ctx, `${D}/alice/dynamicui_b.conf`, '[{"file":"b"}]');
    seed(ctx, `${D}/alice/dynamicui_gone.conf`, '[{"file":"gone"}]');
    const rep = await store.checkDynamicUi({ user: 'alice' });
    expect(rep.entries.map((e) => [e.name, e.state])).toEqual([
      ['a', 'missing'],
      ['b', 'stale'],
      ['c', 'ok'],
    ]);
    expect(rep.orphans).toEqual([`${D}/alice/dynamicui_gone.conf`]);
    const expected = await expectedDynamicUi(integrationContext(store), 'alice', 'c');
    expect(ctx.fs.readFileSync(hostPath(ctx, expected.path))).toEqual(expected.content);
    const fixed = await store.rebuildDynamicUi({ user: 'alice' });
    expect(fixed.ops.map((o) => o.path.slice(ctx.root.length))).toEqual([`${D}/alice/dynamicui_a.conf`, `${D}/alice/dynamicui_b.conf`]);
    expect((await store.checkDynamicUi({ user: 'alice' })).entries.every((e) => e.state === 'ok')).toBe(true);
  });
});
