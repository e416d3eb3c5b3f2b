/**
 * doctor: a clean server has no findings; a damaged one is reported per user with the right
 * kinds; --fix repairs what is safe (modes, owners, debris, stale locks, DynamicUI, LinkDB),
 * never touches a live lock and never deletes user data.
 */
import { beforeEach, expect, it } from 'vitest';
import { doctor, renderDoctorTable, type DoctorReport, type FindingKind } from '../../src/doctor/index.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks, hostPath, peek, seed, snapshotTree, settle } from '../helpers/disks.js';
import { D, L, LOGIN, USERS, age, makeLinkstore, populate, seedServer } from './server.js';
import { lockTempNamePids } from '../../src/doctor/scan.js';
import { faultyFs } from '../helpers/faulty-fs.js';

const DEAD_PID = 999_999_9;
const pidAlive = (pid: number) => pid !== DEAD_PID;

function kinds(r: DoctorReport, filter: { user?: string | null; fixed?: boolean } = {}): string[] {
  return r.findings
    .filter((f) => (filter.user === undefined || f.user === filter.user) && (filter.fixed === undefined || f.fixed === filter.fixed))
    .map((f) => `${f.user ?? '-'} ${f.area} ${f.kind} ${f.path.slice(f.path.indexOf('/var/cpanel/') + 11)}`)
    .sort();
}

describeOnDisks('doctor', (ctx) => {
  let ls: Linkstore;
  beforeEach(async () => {
    seedServer(ctx);
    ls = makeLinkstore(ctx.disk);
    await populate(ls);
  });

  it('finds nothing on a server the library wrote', async () => {
    const r = await doctor(ls, { pidAlive });
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.summary).toEqual({ total: 0, fixed: 0, unfixed: 0, leftForPerson: 0, fixable: 0, byUser: {} });
    expect(renderDoctorTable(r)).toBe('No problems found.\n');
  });

  it('reads each file of a clean server once: the DynamicUI and drift checks take what the scan read', async () => {
    const counted = faultyFs(ctx.fs, []);
    const r = await doctor(makeLinkstore(ctx.make({ fs: counted.fs })), { pidAlive });
    expect(r.findings).toEqual([]);
    const opened = new Map<string, number>();
    for (const c of counted.calls) if (c.startsWith('open ')) opened.set(c.slice(5), (opened.get(c.slice(5)) ?? 0) + 1);
    const managed = [...opened.keys()].filter((p) => p.includes('/var/cpanel/integration/') || p.includes('/var/cpanel/authn/links/'));
    // Every userconfig, adminconfig, DynamicUI file, per-user DB and LinkDB was read, each once.
    expect(managed.filter((p) => p.endsWith('.userconfig')).length).toBeGreaterThan(0);
    expect(managed.filter((p) => p.includes('/dynamicui/')).length).toBeGreaterThan(0);
    expect(managed.filter((p) => p.endsWith('.db')).length).toBeGreaterThan(0);
    expect(managed.filter((p) => opened.get(p) !== 1)).toEqual([]);
    // The account files too (the theme and account checks of every user).
    expect([...opened].filter(([p, n]) => p.includes('/var/cpanel/users/') && n !== 1)).toEqual([]);
  });

  /** Give a seeded file cPanel's owner (root:gid) where owners are managed. */
  function own(p: string, gid: number): void {
    if (ctx.disk.owners) ctx.fs.chownSync(hostPath(ctx, p), 0, gid);
  }

  /** Damage the tree in every way doctor knows; returns the kinds expected (without --fix). */
  function damage(): void {
    const h = (p: string) => hostPath(ctx, p);
    // modes
    ctx.fs.chmodSync(h(`${L}/bob/wiki.userconfig`), 0o666);
    ctx.fs.chmodSync(h(`${L}/alice`), 0o755);
    ctx.fs.chmodSync(h(`${USERS}/bob/bob.db`), 0o644);
    ctx.fs.chmodSync(h(`${LOGIN}`), 0o711);
    // debris: ours, cPanel's integration temp, a Transaction temp and a lock temp (all old), plus a fresh one
    seed(ctx, `${L}/bob/.tmp.0123456789abcdef.wiki.userconfig.tmp`, '{}');
    age(ctx, `${L}/bob/.tmp.0123456789abcdef.wiki.userconfig.tmp`);
    seed(ctx, `${D}/bob/.tmp.5f3e.dynamicui_wiki.conf`, '[]');
    age(ctx, `${D}/bob/.tmp.5f3e.dynamicui_wiki.conf`);
    seed(ctx, `${USERS}/bob/bob.db-1a2b-3c-4d`, '{}', 0o640);
    age(ctx, `${USERS}/bob/bob.db-1a2b-3c-4d`);
    seed(ctx, `${LOGIN}/cpanelid.db.lock-9f-8e-7d`, `${DEAD_PID}\nwhostmgrd\n`, 0o600);
    age(ctx, `${LOGIN}/cpanelid.db.lock-9f-8e-7d`);
    seed(ctx, `${L}/alice/.tmp.0123456789abcdef.crm.userconfig.tmp`, '{}'); // fresh: a writer may be at work
    // locks: dead PID, empty (old), live (this process) with its temp
    seed(ctx, `${L}/bob.lock`, `${DEAD_PID}\ncpanel-linkstore\n`, 0o640);
    seed(ctx, `${USERS}/alice/alice.db.lock`, '', 0o640);
    age(ctx, `${USERS}/alice/alice.db.lock`);
    seed(ctx, `${LOGIN}/google.db.lock`, `${process.pid}\nwhostmgrd\n`, 0o600);
    seed(ctx, `${LOGIN}/google.db.lock-aa-bb-cc`, `${process.pid}\nwhostmgrd\n`, 0o600);
    age(ctx, `${LOGIN}/google.db.lock-aa-bb-cc`);
    // user data problems: orphan adminconfig, corrupt userconfig, orphan DynamicUI, symlink
    seed(ctx, `${L}/bob/gone.adminconfig`, '{\n   "token" : "t"\n}\n', 0o600);
    seed(ctx, `${L}/alice/broken.userconfig`, '{"url": ', 0o644);
    seed(ctx, `${D}/alice/dynamicui_ghostapp.conf`, '[]\n', 0o644);
    ctx.fs.symlinkSync('/etc/passwd', h(`${L}/alice/evil.userconfig`));
    // DynamicUI missing and stale
    ctx.fs.unlinkSync(h(`${D}/bob/dynamicui_chat.conf`));
    ctx.fs.writeFileSync(h(`${D}/bob/dynamicui_group_tools.conf`), '[]\n');
    // 0-byte per-user DB, links of a user that no longer exists, LinkDB drift
    seed(ctx, `${USERS}/alice/sales@alice.example.db`, '', 0o644); // wrong mode too: removed, so no mode finding
    own(`${USERS}/alice/sales@alice.example.db`, 1002);
    seed(ctx, `${L}/ghost/x.userconfig`, '{\n   "url" : "u"\n}\n', 0o644);
    ctx.fs.chmodSync(h(`${L}/ghost`), 0o750);
    // Seeded data files get cPanel's owner, so that only the intended damage shows (memfs as non-root).
    for (const p of [`${L}/bob/gone.adminconfig`, `${L}/alice/broken.userconfig`, `${D}/alice/dynamicui_ghostapp.conf`, `${L}/ghost/x.userconfig`]) own(p, 0);
    ctx.fs.unlinkSync(h(`${LOGIN}/cpanelid.db`));
  }

  const expected: readonly FindingKind[] = [
    'mode',
    'temp_debris',
    'stale_lock',
    'orphan_adminconfig',
    'corrupt_json',
    'orphan_dynamicui',
    'symlink',
    'missing_dynamicui',
    'stale_dynamicui',
    'empty_db',
    'missing_user',
    'linkdb_drift',
  ];

  it('reports every kind of damage per user and changes nothing without --fix', async () => {
    damage();
    await settle();
    const before = snapshotTree(ctx, '/');
    const r = await doctor(ls, { pidAlive });
    expect(snapshotTree(ctx, '/')).toEqual(before);
    expect(r.ok).toBe(false);
    expect(new Set(r.findings.map((f) => f.kind))).toEqual(new Set(expected));
    expect(kinds(r, { user: 'bob' })).toEqual([
      'bob authn linkdb_drift /authn/links/openid_connect/login/cpanelid.db',
      'bob authn mode /authn/links/users/bob/bob.db',
      'bob authn temp_debris /authn/links/users/bob/bob.db-1a2b-3c-4d',
      'bob integration missing_dynamicui /integration/dynamicui/bob/dynamicui_chat.conf',
      'bob integration mode /integration/links/bob/wiki.userconfig',
      'bob integration orphan_adminconfig /integration/links/bob/gone.adminconfig',
      'bob integration stale_dynamicui /integration/dynamicui/bob/dynamicui_group_tools.conf',
      'bob integration stale_lock /integration/links/bob.lock',
      'bob integration temp_debris /integration/dynamicui/bob/.tmp.5f3e.dynamicui_wiki.conf',
      'bob integration temp_debris /integration/links/bob/.tmp.0123456789abcdef.wiki.userconfig.tmp',
    ]);
    expect(kinds(r, { user: 'alice' })).toEqual([
      'alice authn empty_db /authn/links/users/alice/sales@alice.example.db',
      'alice authn stale_lock /authn/links/users/alice/alice.db.lock',
      'alice integration corrupt_json /integration/links/alice/broken.userconfig',
      'alice integration mode /integration/links/alice',
      'alice integration orphan_dynamicui /integration/dynamicui/alice/dynamicui_ghostapp.conf',
      'alice integration symlink /integration/links/alice/evil.userconfig',
    ]);
    expect(kinds(r, { user: null })).toEqual([
      '- authn mode /authn/links/openid_connect/login',
      '- authn temp_debris /authn/links/openid_connect/login/cpanelid.db.lock-9f-8e-7d',
    ]);
    expect(kinds(r, { user: 'ghost' })).toEqual(['ghost integration missing_user /integration/links/ghost']);
    expect(r.findings.every((f) => !f.fixed)).toBe(true);
    expect(r.leftForPerson.map((f) => f.kind).sort()).toEqual(['corrupt_json', 'missing_user', 'orphan_adminconfig', 'orphan_dynamicui', 'symlink']);
    expect(r.summary).toMatchObject({ total: r.findings.length, fixed: 0, unfixed: r.findings.length, leftForPerson: 5, fixable: r.findings.length - 5 });
    expect(r.summary.byUser.bob).toEqual({ total: 10, fixed: 0, unfixed: 10 });
    const table = renderDoctorTable(r);
    expect(table).toContain('User bob\n');
    expect(table).toContain('left for a person');
    expect(table).toContain('Run with --fix to repair what is safe (14 findings).');
  });

  it('--fix repairs what is safe, leaves user data and live locks alone, and a second run finds only what needs a person', async () => {
    damage();
    const r = await doctor(ls, { pidAlive, fix: true });
    expect(r.findings.filter((f) => f.fixable && !f.fixed)).toEqual([]);
    expect(r.ok).toBe(false);
    expect(r.summary.fixed).toBe(r.findings.length - 5);
    // A file the fix removed has no follow-up findings.
    const removed = new Set(r.findings.filter((f) => f.fixed && ['temp_debris', 'stale_lock', 'empty_db'].includes(f.kind)).map((f) => f.path));
    expect(removed.size).toBeGreaterThan(3);
    expect(r.findings.filter((f) => removed.has(f.path)).map((f) => `${f.kind} ${f.path}`)).toEqual(
      r.findings.filter((f) => removed.has(f.path) && f.fixed && ['temp_debris', 'stale_lock', 'empty_db'].includes(f.kind)).map((f) => `${f.kind} ${f.path}`),
    );
    // modes
    expect(ctx.fs.statSync(hostPath(ctx, `${L}/bob/wiki.userconfig`)).mode & 0o7777).toBe(0o644);
    expect(ctx.fs.statSync(hostPath(ctx, `${L}/alice`)).mode & 0o7777).toBe(0o750);
    expect(ctx.fs.statSync(hostPath(ctx, `${USERS}/bob/bob.db`)).mode & 0o7777).toBe(0o640);
    expect(ctx.fs.statSync(hostPath(ctx, LOGIN)).mode & 0o7777).toBe(0o700);
    // debris and stale locks gone; the fresh temp, the live lock and its temp stay
    for (const gone of [
      `${L}/bob/.tmp.0123456789abcdef.wiki.userconfig.tmp`,
      `${D}/bob/.tmp.5f3e.dynamicui_wiki.conf`,
      `${USERS}/bob/bob.db-1a2b-3c-4d`,
      `${LOGIN}/cpanelid.db.lock-9f-8e-7d`,
      `${L}/bob.lock`,
      `${USERS}/alice/alice.db.lock`,
      `${USERS}/alice/sales@alice.example.db`,
    ]) {
      expect(peek(ctx, gone), gone).toBeUndefined();
    }
    expect(peek(ctx, `${L}/alice/.tmp.0123456789abcdef.crm.userconfig.tmp`)).toBe('{}');
    expect(peek(ctx, `${LOGIN}/google.db.lock`)).toBe(`${process.pid}\nwhostmgrd\n`);
    expect(peek(ctx, `${LOGIN}/google.db.lock-aa-bb-cc`)).toBeDefined();
    // user data untouched
    expect(peek(ctx, `${L}/bob/gone.adminconfig`)).toBe('{\n   "token" : "t"\n}\n');
    expect(peek(ctx, `${L}/alice/broken.userconfig`)).toBe('{"url": ');
    expect(peek(ctx, `${D}/alice/dynamicui_ghostapp.conf`)).toBe('[]\n');
    expect(ctx.fs.lstatSync(hostPath(ctx, `${L}/alice/evil.userconfig`)).isSymbolicLink()).toBe(true);
    expect(peek(ctx, `${L}/ghost/x.userconfig`)).toBeDefined();
    // DynamicUI regenerated, LinkDB rebuilt
    const ist = await ls.integration();
    expect((await ist.checkDynamicUi({ user: 'bob' })).entries.map((e) => e.state)).toEqual(['ok', 'ok', 'ok']);
    expect(await (await ls.authn()).checkDrift()).toEqual([]);

    const again = await doctor(ls, { pidAlive });
    expect(again.findings.map((f) => f.kind).sort()).toEqual(['corrupt_json', 'missing_user', 'orphan_adminconfig', 'orphan_dynamicui', 'symlink']);
    expect(again.findings.every((f) => !f.fixable)).toBe(true);
  });

  it('--user limits the scan and the repairs to one user', async () => {
    damage();
    const r = await doctor(ls, { pidAlive, user: 'alice', fix: true });
    expect(new Set(r.findings.map((f) => f.user))).toEqual(new Set(['alice']));
    expect(ctx.fs.statSync(hostPath(ctx, `${L}/bob/wiki.userconfig`)).mode & 0o7777).toBe(0o666);
    expect(ctx.fs.statSync(hostPath(ctx, `${L}/alice`)).mode & 0o7777).toBe(0o750);
    expect(peek(ctx, `${L}/bob.lock`)).toBeDefined();
  });

  it('links of a system user that is not a cPanel account are left for a person', async () => {
    seed(ctx, `${USERS}/carol/carol.db`, '{"__VERSION":"1.0","openid_connect":{"google":{"s":{"link_time":1}}}}', 0o640);
    ctx.fs.chmodSync(hostPath(ctx, `${USERS}/carol`), 0o711);
    own(`${USERS}/carol`, 0);
    own(`${USERS}/carol/carol.db`, 1003);
    const r = await doctor(ls, { pidAlive, fix: true });
    expect(kinds(r)).toEqual(['carol authn missing_user /authn/links/users/carol']);
    expect(r.ok).toBe(false);
    expect(peek(ctx, `${USERS}/carol/carol.db`)).toBeDefined();
  });

  it('judges a temp that names its writer by that writer alone: a dead one’s goes at once, a live one’s never', async () => {
    const fresh = `${L}/bob/.tmp.00112233445566ff-${DEAD_PID}.wiki.userconfig.tmp`;
    const liveOld = `${L}/bob/.tmp.00112233445566aa-${process.pid}.chat.userconfig.tmp`;
    const namelessFresh = `${L}/bob/.tmp.00112233445566bb.wiki.userconfig.tmp`;
    seed(ctx, fresh, '{}');
    seed(ctx, liveOld, '{}');
    age(ctx, liveOld);
    seed(ctx, namelessFresh, '{}');
    const r = await doctor(ls, { pidAlive, fix: true });
    const debris = r.findings.filter((f) => f.kind === 'temp_debris').map((f) => f.path);
    expect(debris).toEqual([hostPath(ctx, fresh)]);
    expect(peek(ctx, fresh)).toBeUndefined();
    expect(peek(ctx, liveOld)).toBe('{}');
    expect(peek(ctx, namelessFresh)).toBe('{}');
  });

  it('an empty lock temp (its writer killed before the one write) goes at once when every PID its name can stand for is dead', async () => {
    // Last field 0x10e1 = 4321: our writer's PID 4321, or cPanel's reversed digits of 1234, 12340, …
    const cpanelLive = `${L}/bob.lock-ab-1-${(4321).toString(16)}`;
    const allDead = `${L}/bob.lock-ab-2-${(4322).toString(16)}`;
    seed(ctx, cpanelLive, '');
    seed(ctx, allDead, '');
    const r = await doctor(ls, { pidAlive: (pid) => pid === 1234, fix: true });
    expect(r.findings.filter((f) => f.kind === 'temp_debris').map((f) => f.path)).toEqual([hostPath(ctx, allDead)]);
    expect(peek(ctx, allDead)).toBeUndefined();
    expect(peek(ctx, cpanelLive)).toBe('');
    expect(lockTempNamePids('x.lock-1-2-1388')).toEqual([5000, 5, 50, 500, 50_000, 500_000]);
  });

  it('owners: wrong owners are reported and fixed when the disk manages owners', async () => {
    if (!ctx.disk.owners) {
      // Without owner management a wrong owner is not even looked at.
      const r = await doctor(ls, { pidAlive });
      expect(r.findings.filter((f) => f.kind === 'owner')).toEqual([]);
      return;
    }
    ctx.fs.chownSync(hostPath(ctx, `${L}/bob`), 0, 0);
    ctx.fs.chownSync(hostPath(ctx, `${USERS}/alice/alice.db`), 1001, 1001);
    const r = await doctor(ls, { pidAlive, fix: true });
    expect(kinds(r)).toEqual(['alice authn owner /authn/links/users/alice/alice.db', 'bob integration owner /integration/links/bob']);
    expect(r.ok).toBe(true);
    expect(ctx.fs.statSync(hostPath(ctx, `${L}/bob`)).gid).toBe(1001);
    expect(ctx.fs.statSync(hostPath(ctx, `${USERS}/alice/alice.db`))).toMatchObject({ uid: 0, gid: 1002 });
  });
});
