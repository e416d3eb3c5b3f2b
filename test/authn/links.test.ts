import { expect, it } from 'vitest';
import { AUTHN_MESSAGES as MSG } from '../../src/authn/index.js';
import { describeOnDisks, hostPath, peek, seed, snapshotTree, settle, expectOwners } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { LOGIN, NOW, USERS, makeStore, rejectsWith, seedServer } from './setup.js';

describeOnDisks('authn link and unlink', (ctx) => {
  const stat = (p: string) => ctx.fs.lstatSync(hostPath(ctx, p));
  const mode = (p: string) => stat(p).mode & 0o7777;

  it('writes the per-user DB and the LinkDB with cPanel’s format, modes, owners and directories', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    const r = await store.linkAccount({ user: 'bob', provider: 'google', subject: '1098', userInfo: { preferred_username: 'bob@gmail.com' } });
    expect(r.dryRun).toBe(false);
    expect(peek(ctx, `${USERS}/bob/bob.db`)).toBe(
      `{"__VERSION":"1.0","openid_connect":{"google":{"1098":{"link_time":${NOW},"preferred_username":"bob@gmail.com"}}}}`,
    );
    expect(peek(ctx, `${LOGIN}/google.db`)).toBe(
      `{"subject_unique_identifier":{"1098":{"bob":{"link_time":${NOW},"preferred_username":"bob@gmail.com","version":"1.1"}}},"user":{"bob":{"1098":1}}}`,
    );
    expect(mode(`${USERS}/bob/bob.db`)).toBe(0o640);
    expect(mode(`${LOGIN}/google.db`)).toBe(0o600);
    for (const d of ['/var/cpanel/authn', '/var/cpanel/authn/links', USERS, `${USERS}/bob`]) expect(mode(d)).toBe(0o711);
    for (const d of ['/var/cpanel/authn/links/openid_connect', LOGIN]) expect(mode(d)).toBe(0o700);
    expectOwners(ctx, 'per-user DB root:bob, LinkDB root:root', () => {
      expect([stat(`${USERS}/bob/bob.db`).uid, stat(`${USERS}/bob/bob.db`).gid]).toEqual([0, 1001]);
      expect([stat(`${LOGIN}/google.db`).uid, stat(`${LOGIN}/google.db`).gid]).toEqual([0, 0]);
    });
    // Only the data files remain (once the loop turned): no lock or temp names, nothing else ending in .db.
    await settle();
    expect(ctx.fs.readdirSync(hostPath(ctx, `${USERS}/bob`))).toEqual(['bob.db']);
    expect(ctx.fs.readdirSync(hostPath(ctx, LOGIN))).toEqual(['google.db']);
    expect(r.ops.filter((o) => o.op === 'write').map((o) => [o.path, o.mode, o.owner])).toEqual([
      [hostPath(ctx, `${USERS}/bob/bob.db`), '0640', '0:1001'],
      [hostPath(ctx, `${LOGIN}/google.db`), '0600', '0:0'],
    ]);
  });

  it('puts an email user in its owner’s directory and root in users/root (gid 0)', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'info@bob.example', provider: 'google', subject: 's1', userInfo: { preferred_username: 'x' } });
    await store.linkAccount({ user: 'root', provider: 'cpanelid', subject: 's2' });
    expect(JSON.parse(peek(ctx, `${USERS}/bob/info@bob.example.db`)!)).toEqual({
      __VERSION: '1.0',
      openid_connect: { google: { s1: { preferred_username: 'x', link_time: NOW } } },
    });
    expect(JSON.parse(peek(ctx, `${USERS}/root/root.db`)!).openid_connect.cpanelid.s2.link_time).toBe(NOW);
    expectOwners(ctx, 'root.db group root', () => expect(stat(`${USERS}/root/root.db`).gid).toBe(0));
    expect(JSON.parse(peek(ctx, `${LOGIN}/google.db`)!).user).toEqual({ 'info@bob.example': { s1: 1 } });
  });

  it('reads local%domain as the email user local@domain (verified §3), one DB per mailbox; a missing one is named as given', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'info%bob.example', provider: 'google', subject: 's1' });
    expect(Object.keys(JSON.parse(peek(ctx, `${USERS}/bob/info@bob.example.db`)!).openid_connect.google)).toEqual(['s1']);
    await settle();
    expect(ctx.fs.readdirSync(hostPath(ctx, `${USERS}/bob`))).toEqual(['info@bob.example.db']);
    expect((await store.listLinks({ user: 'info%bob.example' })).map((l) => l.subject_unique_identifier)).toEqual(['s1']);
    await store.unlinkAccount({ user: 'info%bob.example', provider: 'google', subject: 's1' });
    expect(JSON.parse(peek(ctx, `${LOGIN}/google.db`)!).user).toEqual({});
    await expect(store.linkAccount({ user: 'ghost%bob.example', provider: 'google', subject: 's2' })).rejects.toMatchObject({
      code: 'E_NO_SUCH_USER',
      message: 'You do not have a user named “ghost%bob.example”.',
    });
  });
  it('overwrites a re-linked subject, resets link_time unless given, and re-syncs all subjects into the LinkDB', async () => {
    seedServer(ctx);
    let t = 1_000_000_000_000;
    const { store } = makeStore(ctx, { now: () => t });
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a', userInfo: { preferred_username: 'one', extra: 'kept?' } });
    t += 5000;
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a', userInfo: { preferred_username: 'two' } });
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'b', userInfo: { preferred_username: 'three', link_time: 42 } });
    await store.linkAccount({ user: 'alice', provider: 'google', subject: 'a', userInfo: { preferred_username: 'shared' } });
    const db = JSON.parse(peek(ctx, `${USERS}/bob/bob.db`)!);
    expect(db.openid_connect.google).toEqual({ a: { preferred_username: 'two', link_time: 1_000_000_005 }, b: { preferred_username: 'three', link_time: 42 } });
    const ldb = JSON.parse(peek(ctx, `${LOGIN}/google.db`)!);
    expect(Object.keys(ldb.subject_unique_identifier.a).sort()).toEqual(['alice', 'bob']);
    expect(ldb.user).toEqual({ bob: { a: 1, b: 1 }, alice: { a: 1 } });
    expect(await store.checkDrift()).toEqual([]);
  });

  it('rewrites the LinkDB only when its bytes would change (a file in another key order once)', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    const link = () => store.linkAccount({ user: 'bob', provider: 'google', subject: '1098', userInfo: { link_time: 5, preferred_username: 'b' } });
    await link();
    const ino = stat(`${LOGIN}/google.db`).ino;
    const userDbIno = stat(`${USERS}/bob/bob.db`).ino;
    // The same link with the same link_time: neither file is rewritten.
    const r = await link();
    expect(r.ops).toEqual([]);
    expect(r.changed).toBe(false);
    expect(stat(`${LOGIN}/google.db`).ino).toBe(ino);
    expect(stat(`${USERS}/bob/bob.db`).ino).toBe(userDbIno);
    // The same content as cPanel might order it: rewritten once in our order, then left alone.
    const ours = peek(ctx, `${LOGIN}/google.db`) as string;
    const theirs = JSON.stringify({ user: { bob: { 1098: 1 } }, subject_unique_identifier: JSON.parse(ours).subject_unique_identifier });
    seed(ctx, `${LOGIN}/google.db`, theirs, 0o600);
    const again = await link();
    expect(again.ops.map((o) => o.path.slice(ctx.root.length))).toEqual([`${LOGIN}/google.db`]);
    expect(again.changed).toBe(true);
    expect(peek(ctx, `${LOGIN}/google.db`)).toBe(ours);
    expect((await link()).ops).toHaveLength(0);
  });

  it('stores a null preferred_username as absent and a number as text', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'n', userInfo: { preferred_username: null } });
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'm', userInfo: { preferred_username: 42 } });
    expect(JSON.parse(peek(ctx, `${USERS}/bob/bob.db`)!).openid_connect.google).toEqual({
      n: { link_time: NOW },
      m: { link_time: NOW, preferred_username: '42' },
    });
  });

  it('lower-cases the provider id before the enabled check and stores it lower-case', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'Google', subject: 'z' });
    expect(Object.keys(JSON.parse(peek(ctx, `${USERS}/bob/bob.db`)!).openid_connect)).toEqual(['google']);
  });

  it('preserves keys it does not know in both stores', async () => {
    seedServer(ctx);
    seed(
      ctx,
      `${USERS}/bob/bob.db`,
      '{"__VERSION":"0.9","saml":{"idp":{"x":{"a":1}}},"openid_connect":{"google":{"old":{"preferred_username":"o","link_time":5,"avatar":"u"}},"slack":{"s":{"link_time":7}}}}\n',
      0o640,
    );
    seed(ctx, `${LOGIN}/google.db`, '{"future":{"k":true},"subject_unique_identifier":{},"user":{}}', 0o600);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'new' });
    const db = JSON.parse(peek(ctx, `${USERS}/bob/bob.db`)!);
    expect(db.__VERSION).toBe('1.0');
    expect(db.saml).toEqual({ idp: { x: { a: 1 } } });
    expect(db.openid_connect.google.old).toEqual({ preferred_username: 'o', link_time: 5, avatar: 'u' });
    expect(db.openid_connect.slack).toEqual({ s: { link_time: 7 } });
    const ldb = JSON.parse(peek(ctx, `${LOGIN}/google.db`)!);
    expect(ldb.future).toEqual({ k: true });
    expect(ldb.user.bob).toEqual({ old: 1, new: 1 });
  });

  it('unlinks: prunes empty maps, keeps {"__VERSION":"1.0"}, updates the LinkDB', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' });
    await store.linkAccount({ user: 'bob', provider: 'cpanelid', subject: 'c' });
    await store.unlinkAccount({ user: 'bob', provider: 'google', subject: 'a' });
    expect(JSON.parse(peek(ctx, `${USERS}/bob/bob.db`)!)).toEqual({ __VERSION: '1.0', openid_connect: { cpanelid: { c: { link_time: NOW } } } });
    expect(peek(ctx, `${LOGIN}/google.db`)).toBe('{"subject_unique_identifier":{},"user":{}}');
    const r = await store.unlinkAccount({ user: 'bob', provider: 'cpanelid', subject: 'c' });
    // cPanel's remove order: LinkDB first, then the per-user DB.
    expect(r.ops.filter((o) => o.op === 'write').map((o) => o.path)).toEqual([hostPath(ctx, `${LOGIN}/cpanelid.db`), hostPath(ctx, `${USERS}/bob/bob.db`)]);
    expect(peek(ctx, `${USERS}/bob/bob.db`)).toBe('{"__VERSION":"1.0"}');
    expect(await store.listLinks({ user: 'bob' })).toEqual([]);
  });

  it('unlinks even when the provider is no longer enabled', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' });
    await store.disableProvider({ service: 'cpaneld', provider: 'google' });
    await store.disableProvider({ service: 'whostmgrd', provider: 'google' });
    await store.unlinkAccount({ user: 'bob', provider: 'google', subject: 'a' });
    expect(await store.listLinks({ user: 'bob' })).toEqual([]);
  });

  it('refuses an unknown subject with cPanel’s message and creates nothing for a user without a DB', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    const before = snapshotTree(ctx, '/var/cpanel');
    await rejectsWith(store.unlinkAccount({ user: 'alice', provider: 'google', subject: 'nope' }), 'E_NO_SUCH_LINK', MSG.subjectNotLinked());
    expect(snapshotTree(ctx, '/var/cpanel')).toEqual(before);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' });
    await rejectsWith(store.unlinkAccount({ user: 'bob', provider: 'google', subject: 'b' }), 'E_NO_SUCH_LINK', MSG.subjectNotLinked());
    await rejectsWith(store.unlinkAccount({ user: 'bob', provider: 'cpanelid', subject: 'a' }), 'E_NO_SUCH_LINK', MSG.subjectNotLinked());
  });

  it('returns UAPI get_authn_links entries', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: '1098', userInfo: { preferred_username: 'bob@gmail.com' } });
    await store.linkAccount({ user: 'bob', provider: 'cpanelid', subject: '12345678901234567890123' });
    expect(await store.listLinks({ user: 'bob' })).toEqual([
      {
        provider_protocol: 'openid_connect',
        provider_id: 'cpanelid',
        subject_unique_identifier: '12345678901234567890123',
        link_time: NOW,
        preferred_username: undefined,
      },
      { provider_protocol: 'openid_connect', provider_id: 'google', subject_unique_identifier: '1098', link_time: NOW, preferred_username: 'bob@gmail.com' },
    ]);
    expect(await store.listLinks({ user: 'alice' })).toEqual([]);
    await rejectsWith(store.listLinks({ user: 'x@unknown.example' }), 'E_NO_SUCH_USER', MSG.userNotFound('x@unknown.example'));
  });

  it('reads a missing, 0-byte or null DB as empty and names a corrupt DB in a typed error', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    seed(ctx, `${USERS}/bob/bob.db`, '', 0o640);
    expect(await store.listLinks({ user: 'bob' })).toEqual([]);
    seed(ctx, `${USERS}/bob/bob.db`, 'null', 0o640);
    expect(await store.listLinks({ user: 'bob' })).toEqual([]);
    // A 0-byte DB is replaced by a real one on the next link (never left empty).
    seed(ctx, `${USERS}/bob/bob.db`, '', 0o640);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' });
    expect(peek(ctx, `${USERS}/bob/bob.db`)!.length).toBeGreaterThan(0);
    seed(ctx, `${USERS}/alice/alice.db`, '{"openid_connect":', 0o640);
    const e = await rejectsWith(store.listLinks({ user: 'alice' }), 'E_CORRUPT_FILE');
    expect(e.message).toContain(hostPath(ctx, `${USERS}/alice/alice.db`));
    seed(ctx, `${USERS}/alice/alice.db`, '{"openid_connect":{"google":{"s":{"link_time":"soon"}}}}', 0o640);
    await rejectsWith(store.linkAccount({ user: 'alice', provider: 'google', subject: 'a' }), 'E_CORRUPT_FILE');
    seed(ctx, `${LOGIN}/google.db`, '[1]', 0o600);
    await rejectsWith(store.linkAccount({ user: 'bob', provider: 'google', subject: 'b' }), 'E_CORRUPT_FILE');
    // Nothing was half-written: bob still has only "a".
    expect((await store.listLinks({ user: 'bob' })).map((l) => l.subject_unique_identifier)).toEqual(['a']);
  });

  it('accepts whitespace, a trailing newline and any key order when reading', async () => {
    seedServer(ctx);
    seed(
      ctx,
      `${USERS}/bob/bob.db`,
      '{ "openid_connect" : { "google" : { "s" : { "preferred_username" : "p", "link_time" : 9 } } },\n "__VERSION" : "1.0" }\n',
      0o640,
    );
    const { store } = makeStore(ctx);
    expect(await store.listLinks({ user: 'bob' })).toEqual([
      { provider_protocol: 'openid_connect', provider_id: 'google', subject_unique_identifier: 's', link_time: 9, preferred_username: 'p' },
    ]);
  });

  it('plans without touching the disk on dryRun', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    const before = snapshotTree(ctx, '/');
    const r = await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' }, { dryRun: true });
    expect(snapshotTree(ctx, '/')).toEqual(before);
    expect(r.dryRun).toBe(true);
    // /var/cpanel/authn exists (0755 from the seeded service files) and is repaired to 0711.
    expect(r.ops.map((o) => [o.op, o.mode])).toEqual([
      ['chmod', '0711'],
      ['mkdir', '0711'],
      ['mkdir', '0711'],
      ['mkdir', '0711'],
      ['mkdir', '0700'],
      ['mkdir', '0700'],
      ['write', '0640'],
      ['write', '0600'],
    ]);
    const real = await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' });
    expect(real.ops).toEqual(r.ops);
    const before2 = snapshotTree(ctx, '/');
    const u = await store.unlinkAccount({ user: 'bob', provider: 'google', subject: 'a' }, { dryRun: true });
    expect(u.ops.map((o) => [o.op, o.path])).toEqual([
      ['write', hostPath(ctx, `${LOGIN}/google.db`)],
      ['write', hostPath(ctx, `${USERS}/bob/bob.db`)],
    ]);
    expect(snapshotTree(ctx, '/')).toEqual(before2);
  });

  it('a link that fails before publishing puts back the directory mode it repaired, and removes the directories it made', async () => {
    seedServer(ctx);
    await settle();
    const before = snapshotTree(ctx, '/var/cpanel/authn');
    const old = mode('/var/cpanel/authn');
    expect(old).not.toBe(0o711); // so the link repairs it before it fails
    const { fs } = faultyFs(ctx.fs, [{ op: 'sync', path: (p) => p.includes('google.db'), code: 'ENOSPC' }]);
    const { store } = makeStore(ctx, { disk: ctx.make({ fs }) });
    await rejectsWith(store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' }), 'E_WRITE_FAILED');
    await settle();
    expect(snapshotTree(ctx, '/var/cpanel/authn')).toEqual(before);
    expect(mode('/var/cpanel/authn')).toBe(old);
  });

  it('refuses a symlink in the authn tree', async () => {
    seedServer(ctx);
    ctx.fs.mkdirSync(hostPath(ctx, '/elsewhere'), { recursive: true });
    ctx.fs.mkdirSync(hostPath(ctx, USERS), { recursive: true });
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere'), hostPath(ctx, `${USERS}/bob`));
    const { store } = makeStore(ctx);
    await rejectsWith(store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' }), 'E_SYMLINK');
    expect(ctx.fs.readdirSync(hostPath(ctx, '/elsewhere'))).toEqual([]);
  });
});
