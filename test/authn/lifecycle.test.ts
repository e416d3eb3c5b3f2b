import { expect, it } from 'vitest';
import { AUTHN_MESSAGES as MSG, type AuthnStore } from '../../src/authn/index.js';
import { describeOnDisks, hostPath, peek, seed, snapshotTree, type DiskCtx, settle } from '../helpers/disks.js';
import { LOGIN, NOW, USERS, makeStore, rejectsWith, seedServer } from './setup.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { userLookup } from '../../src/users/index.js';

async function populate(store: AuthnStore): Promise<void> {
  await store.linkAccount({ user: 'bob', provider: 'google', subject: 'g-bob', userInfo: { preferred_username: 'bob' } });
  await store.linkAccount({ user: 'bob', provider: 'cpanelid', subject: 'c-bob' });
  await store.linkAccount({ user: 'info@bob.example', provider: 'google', subject: 'g-info' });
  await store.linkAccount({ user: 'alice', provider: 'google', subject: 'g-bob' });
  await store.linkAccount({ user: 'root', provider: 'google', subject: 'g-root' });
}

const json = (ctx: DiskCtx, p: string) => JSON.parse(peek(ctx, p) ?? 'null');

describeOnDisks('authn lifecycle', (ctx) => {
  it('exportUser returns the DBs of links/users/USER, not the lock temp a write just left for its next lock', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    // No turn of the loop since the last write: its lock temp may still be in the directory.
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'g-bob-2' });
    seed(ctx, `${USERS}/bob/bob.db.lock`, '4242\n', 0o640);
    const names = (await store.exportUser({ user: 'bob' })).map((f) => f.name);
    expect(names).toEqual(['bob.db', 'info@bob.example.db']);
  });

  it('removes every link of a system user and its email users: LinkDB entries, files, directory', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    seed(ctx, `${USERS}/bob/bob.db.lock-1a-2b-3c`, 'debris', 0o640);
    const r = await store.purgeUser({ user: 'bob' });
    expect(ctx.fs.existsSync(hostPath(ctx, `${USERS}/bob`))).toBe(false);
    expect(json(ctx, `${LOGIN}/google.db`).user).toEqual({ alice: { 'g-bob': 1 }, root: { 'g-root': 1 } });
    expect(Object.keys(json(ctx, `${LOGIN}/google.db`).subject_unique_identifier['g-bob'])).toEqual(['alice']);
    expect(json(ctx, `${LOGIN}/cpanelid.db`)).toEqual({ subject_unique_identifier: {}, user: {} });
    expect(r.ops.some((o) => o.op === 'rmdir' && o.path === hostPath(ctx, `${USERS}/bob`))).toBe(true);
    expect(await store.listLinks({ user: 'alice' })).toHaveLength(1);
    expect(await store.checkDrift()).toEqual([]);
  });

  it('requires the account unless told otherwise, and does nothing without a directory', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await rejectsWith(store.purgeUser({ user: 'carol' }), 'E_NO_SUCH_USER', MSG.accountRequired('carol'));
    seed(ctx, `${USERS}/carol/carol.db`, '{"__VERSION":"1.0","openid_connect":{"google":{"s":{"link_time":1}}}}', 0o640);
    seed(ctx, `${LOGIN}/google.db`, '{"subject_unique_identifier":{"s":{"carol":{"link_time":1,"version":"1.1"}}},"user":{"carol":{"s":1}}}', 0o600);
    await store.purgeUser({ user: 'carol' }, { requireAccount: false });
    expect(ctx.fs.existsSync(hostPath(ctx, `${USERS}/carol`))).toBe(false);
    expect(json(ctx, `${LOGIN}/google.db`)).toEqual({ subject_unique_identifier: {}, user: {} });
    await settle();
    const before = snapshotTree(ctx, '/');
    expect((await store.purgeUser({ user: 'alice' })).ops).toEqual([]);
    await settle();
    expect(snapshotTree(ctx, '/')).toEqual(before);
  });

  it('removes links of a provider that has no LinkDB (and no login directory)', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    seed(ctx, `${USERS}/bob/bob.db`, '{"__VERSION":"1.0","openid_connect":{"slack":{"s":{"link_time":1}}}}', 0o640);
    await store.purgeUser({ user: 'bob' });
    expect(ctx.fs.existsSync(hostPath(ctx, `${USERS}/bob`))).toBe(false);
    expect(ctx.fs.existsSync(hostPath(ctx, LOGIN))).toBe(false);
  });

  it('plans remove-all without touching the disk', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    const before = snapshotTree(ctx, '/');
    const r = await store.purgeUser({ user: 'bob' }, { dryRun: true });
    expect(snapshotTree(ctx, '/')).toEqual(before);
    expect(r.ops.map((o) => [o.op, o.path.slice(ctx.root.length)])).toEqual([
      ['write', `${LOGIN}/cpanelid.db`],
      ['write', `${LOGIN}/google.db`],
      ['remove', `${USERS}/bob/bob.db`],
      ['remove', `${USERS}/bob/info@bob.example.db`],
      ['rmdir', `${USERS}/bob`],
    ]);
    // The real run does exactly what was planned.
    expect((await store.purgeUser({ user: 'bob' })).ops).toEqual(r.ops);
  });

  it('a purge that fails after rewriting a LinkDB is E_PARTIAL, listing what it changed (never “Nothing was changed”)', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    const cpanelidBefore = peek(ctx, `${LOGIN}/cpanelid.db`);
    // cpanelid's LinkDB is edited first and published; google's temp cannot be created.
    const { fs } = faultyFs(ctx.fs, [{ op: 'open', path: (p) => p.includes('.google.db.tmp'), code: 'ENOSPC' }]);
    const broken = makeStore(ctx, { disk: ctx.make({ fs }) }).store;
    const e = await rejectsWith(broken.purgeUser({ user: 'bob' }), 'E_PARTIAL');
    expect(e.message).toMatch(
      /^The call failed part-way: 1 change was made and is in place \(the error's “done” lists them\), the rest was not made \(.*ENOSPC.*\)\. Once the cause is fixed, the same call can be retried to make the rest\.$/s,
    );
    expect(e.message).not.toContain('Nothing was changed');
    // The per-user DBs stay while a LinkDB still names their users (cPanel deletes them anyway).
    expect(e.done?.map((o) => [o.op, o.path.slice(ctx.root.length)])).toEqual([['write', `${LOGIN}/cpanelid.db`]]);
    expect(ctx.fs.existsSync(hostPath(ctx, `${USERS}/bob/info@bob.example.db`))).toBe(true);
    expect(peek(ctx, `${LOGIN}/cpanelid.db`)).not.toBe(cpanelidBefore);
    // Retrying finishes it.
    await store.purgeUser({ user: 'bob' });
    expect(ctx.fs.existsSync(hostPath(ctx, `${USERS}/bob`))).toBe(false);
    expect(await store.checkDrift()).toEqual([]);
  });

  it('a directory rename right after a link does not carry an idle lock temp along (temp reuse on)', async () => {
    seedServer(ctx);
    const users = makeStore(ctx).users;
    const { AuthnStore } = await import('../../src/authn/index.js');
    const store = new AuthnStore({
      disk: ctx.make({ lock: { reuseTemps: true } }),
      users: userLookup(users),
      now: () => NOW * 1000,
      hostname: 'host.example.com',
    });
    // Only an email user: the rename moves the directory without a lock of its own in it.
    await store.linkAccount({ user: 'info@bob.example', provider: 'google', subject: 'g-info' });
    expect(ctx.fs.readdirSync(hostPath(ctx, `${USERS}/bob`)).some((n) => n.includes('.lock-'))).toBe(true);
    await store.renameUser({ user: 'bob', newUser: 'robert' });
    expect(ctx.fs.readdirSync(hostPath(ctx, `${USERS}/robert`))).toEqual(['info@bob.example.db']);
  });

  it('renames a system user: directory, own DB and LinkDB names; email users keep theirs', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    const plan = await store.renameUser({ user: 'bob', newUser: 'robert' }, { dryRun: true });
    expect(ctx.fs.existsSync(hostPath(ctx, `${USERS}/bob/bob.db`))).toBe(true);
    const r = await store.renameUser({ user: 'bob', newUser: 'robert' });
    expect(r.ops).toEqual(plan.ops);
    expect(ctx.fs.readdirSync(hostPath(ctx, `${USERS}/robert`)).sort()).toEqual(['info@bob.example.db', 'robert.db']);
    expect(ctx.fs.existsSync(hostPath(ctx, `${USERS}/bob`))).toBe(false);
    expect(ctx.fs.lstatSync(hostPath(ctx, `${USERS}/robert/robert.db`)).mode & 0o777).toBe(0o640);
    const g = json(ctx, `${LOGIN}/google.db`);
    expect(Object.keys(g.user).sort()).toEqual(['alice', 'info@bob.example', 'robert', 'root']);
    expect(Object.keys(g.subject_unique_identifier['g-bob']).sort()).toEqual(['alice', 'robert']);
    expect(json(ctx, `${LOGIN}/cpanelid.db`).user).toEqual({ robert: { 'c-bob': 1 } });
    await rejectsWith(store.renameUser({ user: 'carol', newUser: 'x' }), 'E_NO_SUCH_USER');
    seed(ctx, `${USERS}/alice2/x.db`, '{}', 0o640);
    await rejectsWith(store.renameUser({ user: 'alice', newUser: 'alice2' }), 'E_INVALID_PARAM');
    expect(await store.listLinks({ user: 'alice' })).toHaveLength(1);
  });

  it('changes email users’ domain in file names and LinkDBs', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    await store.renameEmailDomains({ user: 'bob', domains: { 'bob.example': 'bobby.example', 'other.example': 'x.example' } });
    await settle();
    expect(ctx.fs.readdirSync(hostPath(ctx, `${USERS}/bob`)).sort()).toEqual(['bob.db', 'info@bobby.example.db']);
    const g = json(ctx, `${LOGIN}/google.db`);
    expect(g.user['info@bobby.example']).toEqual({ 'g-info': 1 });
    expect(g.user['info@bob.example']).toBeUndefined();
    expect(Object.keys(g.subject_unique_identifier['g-info'])).toEqual(['info@bobby.example']);
    await rejectsWith(store.renameEmailDomains({ user: 'bob', domains: { 'a/b': 'c' } }), 'E_INVALID_PARAM');
  });

  it('rebuilds a LinkDB like cPanel’s script (root dropped unless asked) and keeps unknown keys', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    const good = peek(ctx, `${LOGIN}/google.db`);
    seed(ctx, `${LOGIN}/google.db`, '{"extra":1,"subject_unique_identifier":{"ghost":{"zed":{"version":"1.1"}}},"user":{"zed":{"ghost":1}}}', 0o600);
    const drift = await store.checkDrift({ provider: 'google' });
    expect(drift.map((d) => [d.kind, d.linkuser, d.subject]).sort()).toEqual(
      [
        ['extra_in_linkdb', 'zed', 'ghost'],
        ['user_map_extra', 'zed', 'ghost'],
        ...['alice:g-bob', 'bob:g-bob', 'info@bob.example:g-info', 'root:g-root'].flatMap((x) => {
          const [u, s] = x.split(':');
          return [
            ['missing_in_linkdb', u, s],
            ['user_map_missing', u, s],
          ];
        }),
      ].sort(),
    );
    await store.rebuildLinkDb({ provider: 'google' });
    const rebuilt = json(ctx, `${LOGIN}/google.db`);
    expect(rebuilt.extra).toBe(1);
    expect(rebuilt.user.root).toBeUndefined();
    expect(await store.checkDrift({ provider: 'google' }, { includeRoot: false })).toEqual([]);
    expect((await store.checkDrift({ provider: 'google' })).map((d) => d.kind)).toEqual(['missing_in_linkdb', 'user_map_missing']);
    await store.rebuildLinkDb({ provider: 'google' }, { includeRoot: true });
    const { extra: _extra, ...rest } = json(ctx, `${LOGIN}/google.db`);
    expect(rest).toEqual(JSON.parse(good!));
    expect(await store.checkDrift()).toEqual([]);
    const before = snapshotTree(ctx, '/');
    expect((await store.rebuildLinkDb({ provider: 'google' }, { includeRoot: true })).ops).toEqual([]);
    expect(snapshotTree(ctx, '/')).toEqual(before);
  });

  it('reports differing user-info, empty and unreadable DBs and orphan directories', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    const g = json(ctx, `${LOGIN}/google.db`);
    g.subject_unique_identifier['g-bob'].bob.preferred_username = 'changed';
    seed(ctx, `${LOGIN}/google.db`, JSON.stringify(g), 0o600);
    seed(ctx, `${USERS}/alice/sales@alice.example.db`, '', 0o640);
    seed(ctx, `${USERS}/acmewidgets/acmewidgets.db`, '{', 0o640);
    seed(ctx, `${USERS}/gone/gone.db`, '{}', 0o640);
    const kinds = (await store.checkDrift()).map((d) => `${d.kind}:${d.linkuser}`).sort();
    expect(kinds).toEqual(['empty_user_db:sales@alice.example', 'orphan_user_dir:gone', 'unreadable_user_db:acmewidgets', 'user_info_differs:bob']);
  });
});

describeOnDisks('authn WHM linked accounts', (ctx) => {
  it('lists links from the LinkDBs of available providers, filtered by visibility', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await populate(store);
    // A LinkDB of a provider that is not installed is not read; unknown users are not shown.
    seed(ctx, `${LOGIN}/custom.db`, '{"subject_unique_identifier":{"q":{"bob":{"link_time":3,"version":"1.1"}}},"user":{"bob":{"q":1}}}', 0o600);
    const g = json(ctx, `${LOGIN}/google.db`);
    g.user.stranger = { zz: 1 };
    g.user['x@nowhere.example'] = { zz: 1 };
    seed(ctx, `${LOGIN}/google.db`, JSON.stringify(g), 0o600);
    const all = await store.listLinkedAccounts();
    const key = (l: { username: string; provider_id: string; subject_unique_identifier: string }) =>
      `${l.provider_id}/${l.username}/${l.subject_unique_identifier}`;
    expect(all.map(key).sort()).toEqual([
      'cpanelid/bob/c-bob',
      'google/alice/g-bob',
      'google/bob/g-bob',
      'google/info@bob.example/g-info',
      'google/root/g-root',
    ]);
    expect(all.find((l) => l.username === 'bob' && l.provider_id === 'google')).toEqual({
      username: 'bob',
      provider_protocol: 'openid_connect',
      provider_id: 'google',
      subject_unique_identifier: 'g-bob',
      link_time: NOW,
      preferred_username: 'bob',
    });
    seed(ctx, '/var/cpanel/perl/Cpanel/Security/Authn/Provider/Custom.pm', '1;', 0o644);
    expect((await store.listLinkedAccounts()).map(key)).toContain('custom/bob/q');
    // A reseller sees itself and the accounts it owns.
    seed(ctx, '/var/cpanel/users/bob', 'USER=bob\nOWNER=alice\nDNS=bob.example\n', 0o600);
    const asAlice = await store.listLinkedAccounts({ reseller: 'alice' });
    expect(asAlice.map(key).sort()).toEqual(['cpanelid/bob/c-bob', 'custom/bob/q', 'google/alice/g-bob', 'google/bob/g-bob', 'google/info@bob.example/g-info']);
    expect(await store.listLinkedAccounts({ reseller: 'acmewidgets' })).toEqual([]);
  });
});
