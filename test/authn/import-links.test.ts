/**
 * The batched authn import (`authn.importLinks`): per-user DBs in chunks under their own locks,
 * then each provider's LinkDB synced once per call under its lock alone. The files are the same
 * as one `linkAccount` per link; the LinkDB is written once however many chunks there are; a
 * re-import writes nothing and repairs a LinkDB left behind; a link removed meanwhile is not put
 * back; a user whose DB lock is held at the LinkDB step is synced after it, in cPanel's lock order.
 */
import type * as nodeFs from 'node:fs';
import { expect, it } from 'vitest';
import type { ImportLinkItem } from '../../src/authn/index.js';
import { describeOnDisks, hostPath, peek, seed, settle, snapshotTree, type DiskCtx } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { LOGIN, USERS, makeStore, seedServer } from './setup.js';

const T = 1_600_000_000;
const ITEMS: ImportLinkItem[] = [
  { user: 'bob', provider: 'google', subject: 'g-1', userInfo: { link_time: T, preferred_username: 'bob@gmail.com' } },
  { user: 'alice', provider: 'google', subject: 'g-2', userInfo: { link_time: T } },
  { user: 'bob', provider: 'google', subject: 'g-3', userInfo: { link_time: T + 1 } },
  { user: 'acmewidgets', provider: 'google', subject: 'g-4', userInfo: { link_time: T } },
  { user: 'info@bob.example', provider: 'google', subject: 'g-5', userInfo: { link_time: T } },
  { user: 'sales@alice.example', provider: 'cpanelid', subject: 'c-1', userInfo: { link_time: T } },
  { user: 'bob', provider: 'cpanelid', subject: 'c-2', userInfo: { link_time: T } },
];
const GOOGLE_DB = `${LOGIN}/google.db`;

/** An fs that runs `hook` once, right after the lock of the google LinkDB is installed. */
function onLinkDbLock(base: typeof nodeFs, hook: () => void): typeof nodeFs {
  let done = false;
  return new Proxy(base, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (prop !== 'linkSync') return v;
      return (from: string, to: string) => {
        (v as typeof nodeFs.linkSync).call(target, from, to);
        if (!done && String(to).endsWith('/login/google.db.lock')) {
          done = true;
          hook();
        }
      };
    },
  });
}

/**
 * Links per account in the large import below (IMPORT_LINKS_PER_USER; the default keeps the suite
 * fast, the stress size is 10000): each call adds that many to DBs that already hold as many.
 */
const PER_USER = Math.max(1, Number(process.env.IMPORT_LINKS_PER_USER ?? 3000));

describeOnDisks('authn batched import', (ctx) => {
  const storeOn = (fs: typeof nodeFs) => makeStore(ctx, { disk: ctx.make({ fs }) }).store;
  const linkDb = () =>
    JSON.parse(peek(ctx, GOOGLE_DB) as string) as { user: Record<string, Record<string, 1>>; subject_unique_identifier: Record<string, unknown> };
  // Regular files only: taking a lock touches its directory.
  const mtimes = (c: DiskCtx) =>
    Object.fromEntries(
      Object.entries(snapshotTree(c, '/var/cpanel/authn'))
        .filter(([, v]) => !v.startsWith('<dir'))
        .map(([p]) => [p, c.fs.lstatSync(hostPath(c, p)).mtimeMs]),
    );

  it('writes the same files as one linkAccount per link, each LinkDB once however many chunks', async () => {
    seedServer(ctx);
    const { fs, calls } = faultyFs(ctx.fs, []);
    const results = await storeOn(fs).importLinks(ITEMS, { chunkSize: 2 });
    expect(results.map((r) => r.status)).toEqual(['created', 'created', 'created', 'created', 'created', 'created', 'created']);
    // Renames of temps onto a LinkDB (a lock's temp is linked, never renamed onto it).
    const ldbWrites = (name: string) => calls.filter((c) => c.startsWith('rename ') && c.includes('/login/') && c.includes(name) && !c.includes('.lock'));
    expect(ldbWrites('google.db')).toHaveLength(1);
    expect(ldbWrites('cpanelid.db')).toHaveLength(1);
    await settle();
    const batched = snapshotTree(ctx, '/var/cpanel/authn/links');

    ctx.fs.rmSync(hostPath(ctx, '/var/cpanel/authn/links'), { recursive: true, force: true });
    const { store } = makeStore(ctx);
    for (const it of ITEMS) await store.linkAccount(it);
    await settle();
    expect(batched).toEqual(snapshotTree(ctx, '/var/cpanel/authn/links'));
  });

  it('a second import writes nothing; one after a LinkDB was lost restores it and writes nothing else', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.importLinks(ITEMS);
    await settle();
    const whole = snapshotTree(ctx, '/var/cpanel/authn/links');
    const before = mtimes(ctx);
    expect((await store.importLinks(ITEMS)).every((r) => r.status === 'unchanged')).toBe(true);
    await settle();
    expect(mtimes(ctx)).toEqual(before);
    // A crash between the per-user DBs and the LinkDB leaves the LinkDB behind; running it again repairs it.
    ctx.fs.unlinkSync(hostPath(ctx, GOOGLE_DB));
    // The repair is reported (every item is unchanged): planned by the dry run, made by the real run.
    const wrote = (dryRun: boolean) => async () => {
      const providers: string[] = [];
      const r = await store.importLinks(ITEMS, { dryRun, onLinkDbWrite: (p) => providers.push(p) });
      expect(r.every((x) => x.status === 'unchanged')).toBe(true);
      return providers;
    };
    expect(await wrote(true)()).toEqual(['google']);
    expect(ctx.fs.existsSync(hostPath(ctx, GOOGLE_DB))).toBe(false);
    expect(await wrote(false)()).toEqual(['google']);
    await settle();
    expect(snapshotTree(ctx, '/var/cpanel/authn/links')).toEqual(whole);
    const after = mtimes(ctx);
    for (const [p, m] of Object.entries(before)) if (!p.endsWith('/google.db')) expect([p, after[p]]).toEqual([p, m]);
  });

  it(`a large import per account completes: ${PER_USER} links for each of two accounts per call, into DBs holding as many`, { timeout: 120_000 }, async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    const batch = (round: number): ImportLinkItem[] =>
      Array.from({ length: 2 * PER_USER }, (_, i) => ({
        user: i % 2 ? 'bob' : 'alice',
        provider: 'google',
        subject: `s${round}-${i}`,
        userInfo: { link_time: T + i, preferred_username: `u${i}@gmail.com` },
      }));
    // Each call's per-user DB transaction holds the locks of both users while it edits them: its
    // work must stay linear in the links, within the critical section's bound (10 s).
    for (const round of [1, 2]) {
      const results = await store.importLinks(batch(round));
      const failed = results.filter((r) => r.status !== 'created');
      expect([failed.length, failed[0]?.reason]).toEqual([0, undefined]);
    }
    const db = (u: string) => JSON.parse(peek(ctx, `${USERS}/${u}/${u}.db`) as string) as { openid_connect: { google: Record<string, unknown> } };
    expect([Object.keys(db('alice').openid_connect.google).length, Object.keys(db('bob').openid_connect.google).length]).toEqual([2 * PER_USER, 2 * PER_USER]);
    expect(Object.keys(linkDb().subject_unique_identifier)).toHaveLength(4 * PER_USER);
    // A re-run finds everything in place.
    expect((await store.importLinks(batch(2))).every((r) => r.status === 'unchanged')).toBe(true);
  });

  it('a link removed after its per-user DB was written is not put back into the LinkDB', async () => {
    seedServer(ctx);
    // A remove that completes while the import waits for the LinkDB step (cPanel's remove found
    // nothing to drop from the LinkDB yet, then saved alice's DB without the subject).
    const fs = onLinkDbLock(ctx.fs, () => ctx.fs.writeFileSync(hostPath(ctx, `${USERS}/alice/alice.db`), '{"__VERSION":"1.0","openid_connect":{}}'));
    const results = await storeOn(fs).importLinks(ITEMS);
    expect(results[1]).toEqual({ status: 'created' });
    expect(Object.keys(linkDb().user).sort()).toEqual(['acmewidgets', 'bob', 'info@bob.example']);
    expect(Object.keys(linkDb().subject_unique_identifier)).not.toContain('g-2');
  });

  it('a user whose DB lock is held at the LinkDB step is synced after it, from its DB as the holder left it', async () => {
    seedServer(ctx);
    const lock = hostPath(ctx, `${USERS}/bob/bob.db.lock`);
    // Someone (a live process) is in the middle of a link for bob: it holds bob's DB lock, then adds
    // a subject and releases. The import must not read bob's DB under the LinkDB lock meanwhile.
    const fs = onLinkDbLock(ctx.fs, () => {
      ctx.fs.writeFileSync(lock, `${process.ppid}\ncpanel\n`);
      setTimeout(() => {
        const db = JSON.parse(ctx.fs.readFileSync(hostPath(ctx, `${USERS}/bob/bob.db`), 'utf8')) as { openid_connect: { google: Record<string, unknown> } };
        db.openid_connect.google['g-9'] = { link_time: T };
        ctx.fs.writeFileSync(hostPath(ctx, `${USERS}/bob/bob.db`), JSON.stringify(db));
        ctx.fs.unlinkSync(lock);
      }, 200);
    });
    const results = await storeOn(fs).importLinks(ITEMS);
    expect(results.every((r) => r.status === 'created')).toBe(true);
    expect(Object.keys(linkDb().user.bob ?? {}).sort()).toEqual(['g-1', 'g-3', 'g-9']);
    expect(Object.keys(linkDb().user).sort()).toEqual(['acmewidgets', 'alice', 'bob', 'info@bob.example']);
  });

  it('a damaged LinkDB fails that provider’s items with nothing written; the other provider imports', async () => {
    seedServer(ctx);
    seed(ctx, GOOGLE_DB, '{"user":', 0o600);
    const results = await makeStore(ctx).store.importLinks(ITEMS);
    const google = ITEMS.map((it, i) => [it.provider, results[i]?.status]);
    expect(google).toEqual([
      ['google', 'failed'],
      ['google', 'failed'],
      ['google', 'failed'],
      ['google', 'failed'],
      ['google', 'failed'],
      ['cpanelid', 'created'],
      ['cpanelid', 'created'],
    ]);
    expect(results[0]?.reason).toMatch(/google\.db.*\(E_CORRUPT_FILE\)$/s);
    expect(peek(ctx, `${USERS}/acmewidgets/acmewidgets.db`)).toBeUndefined();
    expect(peek(ctx, GOOGLE_DB)).toBe('{"user":');
  });
});
