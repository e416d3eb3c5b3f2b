import fc from 'fast-check';
import { expect, it } from 'vitest';
import { AuthnStore } from '../../src/authn/index.js';
import { Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks, hostPath, peek, settle, snapshotTree } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { LOGIN, NOW_MS, USERS, makeStore, rejectsWith, seedServer } from './setup.js';

describeOnDisks('authn robustness', (ctx) => {
  it('keeps both stores as they were when the second file cannot be published', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'first' });
    await settle();
    const before = snapshotTree(ctx, '/var/cpanel/authn');
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: (p) => p.includes('/login/') && p.includes('google.db'), code: 'EIO' }]);
    const disk = ctx.make({ fs });
    const broken = new AuthnStore({ disk, users: userLookup(new Users(disk, { checkIntervalMs: 0 })), now: () => NOW_MS });
    await rejectsWith(broken.linkAccount({ user: 'bob', provider: 'google', subject: 'second' }), 'E_COMMIT_FAILED');
    expect(snapshotTree(ctx, '/var/cpanel/authn')).toEqual(before);
    await rejectsWith(broken.unlinkAccount({ user: 'bob', provider: 'google', subject: 'first' }), 'E_COMMIT_FAILED');
    expect(snapshotTree(ctx, '/var/cpanel/authn')).toEqual(before);
  });

  it('fails without writing when the disk is full while staging', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'first' });
    const before = snapshotTree(ctx, '/var/cpanel/authn');
    const { fs } = faultyFs(ctx.fs, [{ op: 'write', path: '.tmp.', code: 'ENOSPC' }]);
    const disk = ctx.make({ fs });
    const broken = new AuthnStore({ disk, users: userLookup(new Users(disk, { checkIntervalMs: 0 })), now: () => NOW_MS });
    await rejectsWith(broken.linkAccount({ user: 'bob', provider: 'google', subject: 'second' }), 'E_WRITE_FAILED');
    expect(snapshotTree(ctx, '/var/cpanel/authn')).toEqual(before);
  });

  it('repairs a directory mode that drifted', async () => {
    seedServer(ctx);
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'a' });
    ctx.fs.chmodSync(hostPath(ctx, `${USERS}/bob`), 0o755);
    ctx.fs.chmodSync(hostPath(ctx, LOGIN), 0o755);
    const r = await store.linkAccount({ user: 'bob', provider: 'google', subject: 'b' });
    expect(r.ops.filter((o) => o.op === 'chmod').map((o) => [o.path, o.mode])).toEqual([
      [hostPath(ctx, `${USERS}/bob`), '0711'],
      [hostPath(ctx, LOGIN), '0700'],
    ]);
    expect(ctx.fs.lstatSync(hostPath(ctx, `${USERS}/bob`)).mode & 0o7777).toBe(0o711);
    expect(ctx.fs.lstatSync(hostPath(ctx, LOGIN)).mode & 0o7777).toBe(0o700);
  });

  it('random link/unlink sequences keep both stores in step with a model', async () => {
    seedServer(ctx);
    const users = ['bob', 'alice', 'info@bob.example', 'root'];
    const providers = ['google', 'cpanelid'];
    const subjects = ['1', '2', 'x/y', 'ü'];
    const op = fc.record({
      kind: fc.constantFrom('link', 'unlink'),
      user: fc.constantFrom(...users),
      provider: fc.constantFrom(...providers),
      subject: fc.constantFrom(...subjects),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        ctx.fs.rmSync(hostPath(ctx, '/var/cpanel/authn/links'), { recursive: true, force: true });
        const { store } = makeStore(ctx);
        const model = new Map<string, Set<string>>();
        for (const o of ops) {
          const key = `${o.user}|${o.provider}`;
          const set = model.get(key) ?? new Set<string>();
          if (o.kind === 'link') {
            await store.linkAccount({ user: o.user, provider: o.provider, subject: o.subject });
            set.add(o.subject);
          } else if (set.has(o.subject)) {
            await store.unlinkAccount({ user: o.user, provider: o.provider, subject: o.subject });
            set.delete(o.subject);
          } else {
            await rejectsWith(store.unlinkAccount({ user: o.user, provider: o.provider, subject: o.subject }), 'E_NO_SUCH_LINK');
          }
          model.set(key, set);
        }
        for (const u of users) {
          const got = (await store.listLinks({ user: u })).map((l) => `${l.provider_id}:${l.subject_unique_identifier}`).sort();
          const want = providers.flatMap((p) => [...(model.get(`${u}|${p}`) ?? [])].map((s) => `${p}:${s}`)).sort();
          expect(got).toEqual(want);
        }
        expect(await store.checkDrift()).toEqual([]);
        for (const p of providers) {
          const text = peek(ctx, `${LOGIN}/${p}.db`);
          if (text !== undefined) expect(text.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: ctx.kind === 'memfs' ? 40 : 15 },
    );
  });
});
