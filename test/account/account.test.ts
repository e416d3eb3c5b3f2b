/**
 * Account lifecycle across both stores: purge, rename before and after the passwd rename,
 * primary-domain change and the LinkDB rebuild, each with a dry run that writes nothing.
 */
import { beforeEach, expect, it } from 'vitest';
import { changeAccountDomain, purgeAccount, rebuildLinkDbs, renameAccount } from '../../src/account/index.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks, hostPath, peek, seed, settle, snapshotTree } from '../helpers/disks.js';
import { AUTHN, D, INT, L, LOGIN, USERS, makeLinkstore, populate, seedServer } from '../doctor/server.js';
import { rejectsWith } from '../authn/setup.js';
import { faultyFs } from '../helpers/faulty-fs.js';

describeOnDisks('account lifecycle', (ctx) => {
  let ls: Linkstore;
  const trees = () => ({ ...snapshotTree(ctx, INT), ...snapshotTree(ctx, AUTHN) });
  const ls_ = (p: string) => (ctx.fs.readdirSync(hostPath(ctx, p)) as string[]).sort();
  const exists = (p: string) => ctx.fs.existsSync(hostPath(ctx, p));
  const linkDb = (provider: string) => JSON.parse(peek(ctx, `${LOGIN}/${provider}.db`) as string);
  beforeEach(async () => {
    seedServer(ctx);
    ls = makeLinkstore(ctx.disk);
    await populate(ls);
    await settle();
  });

  /** What WHM's modifyacct does to the system files when it renames bob to robert. */
  function passwdRename(): void {
    const swap = (p: string) => seed(ctx, p, (peek(ctx, p) as string).replace(/^bob:/gm, 'robert:').replace(/: bob$/gm, ': robert'));
    for (const p of ['/etc/passwd', '/etc/group', '/etc/userdomains']) swap(p);
    seed(ctx, '/var/cpanel/users/robert', peek(ctx, '/var/cpanel/users/bob') as string);
    ctx.fs.unlinkSync(hostPath(ctx, '/var/cpanel/users/bob'));
  }

  it('purge removes the account from both stores (the account need not exist any more); others stay', async () => {
    const before = trees();
    const dry = await purgeAccount(ls, 'bob', { dryRun: true });
    expect(dry.ops.filter((o) => o.op === 'rmdir').map((o) => o.path.slice(ctx.root.length))).toEqual([`${USERS}/bob`, `${L}/bob`, `${D}/bob`]);
    expect(trees()).toEqual(before);
    ctx.fs.unlinkSync(hostPath(ctx, '/var/cpanel/users/bob')); // WHM removed the account first
    await purgeAccount(ls, 'bob');
    await settle();
    expect([exists(`${L}/bob`), exists(`${D}/bob`), exists(`${USERS}/bob`)]).toEqual([false, false, false]);
    expect(Object.keys(linkDb('google').user).sort()).toEqual(['alice', 'root']);
    expect(exists(`${LOGIN}/cpanelid.db`) ? Object.keys(linkDb('cpanelid').user) : []).toEqual([]);
    expect(ls_(`${L}`)).toEqual(['alice']);
    expect((await purgeAccount(ls, 'bob')).ops).toEqual([]);
    // A name that names nothing (no system user, no files) is a typo, not "nothing to remove".
    const quiet = trees();
    await rejectsWith(purgeAccount(ls, 'bbo'), 'E_NO_SUCH_USER');
    await rejectsWith(purgeAccount(ls, 'bbo', { dryRun: true }), 'E_NO_SUCH_USER');
    expect(trees()).toEqual(quiet);
  });

  for (const when of ['after', 'before'] as const) {
    it(`rename moves both stores ${when} the passwd rename`, async () => {
      const googleBefore = linkDb('google');
      if (when === 'after') passwdRename();
      const before = trees();
      const dry = await renameAccount(ls, 'bob', 'robert', { dryRun: true });
      expect(dry.ops.length).toBeGreaterThan(0);
      expect(trees()).toEqual(before);
      await renameAccount(ls, 'bob', 'robert');
      await settle();
      expect([exists(`${L}/bob`), exists(`${D}/bob`), exists(`${USERS}/bob`)]).toEqual([false, false, false]);
      expect(ls_(`${L}/robert`)).toEqual(['chat.adminconfig', 'chat.userconfig', 'group_tools.userconfig', 'wiki.adminconfig', 'wiki.userconfig']);
      expect(ls_(`${D}/robert`)).toEqual(['dynamicui_chat.conf', 'dynamicui_group_tools.conf', 'dynamicui_wiki.conf']);
      expect(ls_(`${USERS}/robert`)).toEqual(['info@bob.example.db', 'robert.db']);
      const google = linkDb('google');
      expect(google.user.robert).toEqual(googleBefore.user.bob);
      expect(google.user.bob).toBeUndefined();
      expect(Object.keys(google.subject_unique_identifier['g-bob'])).toEqual(['robert']);
      if (ctx.disk.owners) expect(ctx.fs.statSync(hostPath(ctx, `${L}/robert`)).gid).toBe(1001);
      if (when === 'before') {
        // The passwd rename follows; the trees are already where the account will be.
        passwdRename();
        const ist = await ls.integration();
        expect((await ist.checkDynamicUi({ user: 'robert' })).entries.every((e) => e.state === 'ok')).toBe(true);
      }
      expect(await (await ls.integration()).getLinkToken({ user: 'robert', app: 'wiki' })).toBe('s3cret');
    });
  }

  it('rename refuses when both or neither name is an account, and OLD = NEW', async () => {
    const before = trees();
    await rejectsWith(
      renameAccount(ls, 'bob', 'alice'),
      'E_INVALID_PARAM',
      'Both “bob” and “alice” are accounts; the system cannot rename one onto the other.',
    );
    await rejectsWith(renameAccount(ls, 'ghost', 'phantom'), 'E_NO_SUCH_USER', 'You do not have a user named “ghost”.');
    await rejectsWith(renameAccount(ls, 'bob', 'bob'), 'E_INVALID_PARAM');
    expect(trees()).toEqual(before);
  });

  it('the rename report names every file it moves, the same in the dry run and the real run', async () => {
    passwdRename();
    const files = (dir: string) => Object.entries(snapshotTree(ctx, dir)).flatMap(([p, v]) => (v.startsWith('<dir') ? [] : [p]));
    const moved = [`${USERS}/bob`, `${L}/bob`, `${D}/bob`].flatMap(files);
    expect(moved.length).toBeGreaterThan(5);
    const dry = await renameAccount(ls, 'bob', 'robert', { dryRun: true });
    const real = await renameAccount(ls, 'bob', 'robert');
    const renames = (r: typeof dry) => r.ops.filter((o) => o.op === 'rename').map((o) => [o.from?.slice(ctx.root.length), o.path.slice(ctx.root.length)]);
    expect(renames(real)).toEqual(renames(dry));
    expect(real.ops).toEqual(dry.ops);
    // bob.db is renamed robert.db first, then moves with its directory.
    const to = (f: string) => f.replace(/\/bob\//, '/robert/').replace(/\/bob\.db$/, '/robert.db');
    const from = (f: string) => f.replace(/\/bob\.db$/, '/robert.db');
    for (const f of moved) expect(renames(real)).toContainEqual([from(f), to(f)]);
    expect(renames(real)).toContainEqual([`${USERS}/bob/bob.db`, `${USERS}/bob/robert.db`]);
    expect(real.ops.some((o) => o.op === 'rmdir' || o.op === 'remove')).toBe(false);
  });

  it('rename refuses a stray file at NEW in one store before changing either, as its dry run does', async () => {
    passwdRename();
    seed(ctx, `${D}/robert`, 'x');
    const before = trees();
    const said = `“${hostPath(ctx, `${D}/robert`)}” already exists and is a file, not a directory; move it away, then rename the account again.`;
    await rejectsWith(renameAccount(ls, 'bob', 'robert', { dryRun: true }), 'E_INVALID_PARAM', said);
    // The authn store would have moved first: the real run must refuse just the same, with nothing moved.
    const e = await rejectsWith(renameAccount(ls, 'bob', 'robert'), 'E_INVALID_PARAM', said);
    expect(e.done).toBeUndefined();
    expect(trees()).toEqual(before);
    ctx.fs.unlinkSync(hostPath(ctx, `${D}/robert`));
    await renameAccount(ls, 'bob', 'robert');
    expect([exists(`${USERS}/robert`), exists(`${L}/robert`), exists(`${D}/robert`)]).toEqual([true, true, true]);
  });

  it('domain change renames the email link users in files and LinkDBs; it needs only the account', async () => {
    const before = trees();
    await changeAccountDomain(ls, 'bob', 'bob.example', 'bob.test', { dryRun: true });
    expect(trees()).toEqual(before);
    await changeAccountDomain(ls, 'bob', 'bob.example', 'bob.test');
    await settle();
    expect(ls_(`${USERS}/bob`)).toEqual(['bob.db', 'info@bob.test.db']);
    expect(Object.keys(linkDb('google').subject_unique_identifier['g-info'])).toEqual(['info@bob.test']);
    await rejectsWith(changeAccountDomain(ls, 'ghost', 'a.example', 'b.example'), 'E_NO_SUCH_USER');
  });

  it('a purge failing in both stores after authn rewrote a LinkDB is E_PARTIAL keeping both failures’ reasons', async () => {
    const { fs } = faultyFs(ctx.fs, [
      { op: 'open', path: (p) => p.includes('.google.db.tmp'), code: 'ENOSPC' },
      { op: 'unlink', path: (p) => p.includes('/integration/links/bob/'), code: 'EACCES' },
    ]);
    const e = await rejectsWith(purgeAccount(makeLinkstore(ctx.make({ fs })), 'bob'), 'E_PARTIAL');
    expect(e.message).toMatch(/ENOSPC/);
    expect(e.message).toMatch(/EACCES/);
    expect(e.done?.length).toBeGreaterThan(0);
  });

  it('rebuild-linkdb rebuilds every provider from the per-user DBs; root’s links only with includeRoot', async () => {
    const google = peek(ctx, `${LOGIN}/google.db`);
    ctx.fs.unlinkSync(hostPath(ctx, `${LOGIN}/google.db`));
    seed(ctx, `${LOGIN}/cpanelid.db`, '{"subject_unique_identifier":{},"user":{}}', 0o600);
    const dry = await rebuildLinkDbs(ls, { dryRun: true, includeRoot: true });
    expect(dry.providers).toEqual(['cpanelid', 'google']);
    expect(exists(`${LOGIN}/google.db`)).toBe(false);
    await rebuildLinkDbs(ls, { includeRoot: true });
    expect(peek(ctx, `${LOGIN}/google.db`)).toBe(google);
    expect(Object.keys(linkDb('cpanelid').user)).toEqual(['bob']);
    expect((await rebuildLinkDbs(ls, { includeRoot: true })).ops).toEqual([]);
    await rebuildLinkDbs(ls);
    expect(Object.keys(linkDb('google').user).sort()).toEqual(['alice', 'bob', 'info@bob.example']);
  });
});
