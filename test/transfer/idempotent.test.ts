/**
 * Idempotent mutations: repeating a mutation whose result is already on disk writes nothing
 * (every regular file keeps its inode and mtime) and reports `changed: false`; the WHM envelope
 * carries `metadata.changed` 0/1. link_user_authn_provider re-stamps link_time (a change) unless
 * the caller gives one.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { callWhm } from '../../src/whm/index.js';
import { Linkstore } from '../../src/services.js';
import { describeOnDisks, settle, type DiskCtx } from '../helpers/disks.js';
import { AUTHN, INT, makeLinkstore, populate, seedServer } from '../doctor/server.js';
import { installShippedModules } from '../authn/provider-modules.js';

/** inode and mtime of every regular file in the managed trees. */
function identities(ctx: DiskCtx): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (h: string) => {
    let names: string[];
    try {
      names = ctx.fs.readdirSync(h) as string[];
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(h, n);
      const st = ctx.fs.lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out[p] = `${st.ino}:${st.mtimeMs}`;
    }
  };
  for (const t of [INT, AUTHN]) walk(`${ctx.root}${t}`);
  return out;
}

describeOnDisks('idempotent mutations', (ctx) => {
  it('an identical re-run of every mutation writes nothing and says changed: false', async () => {
    seedServer(ctx);
    // Display configuration needs the provider's module for its icon default.
    installShippedModules(ctx);
    const ls = makeLinkstore(ctx.disk);
    await populate(ls);
    const ist = await ls.integration();
    const authn = await ls.authn();
    const first = [
      await ist.createLink({ user: 'bob', app: 'extra', url: 'https://x.example/', token: 't' }),
      await ist.createGroup({ user: 'alice', group_id: 'g', label: 'G' }),
      await authn.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 'id', client_secret: 'sec' } }),
      await authn.setDisplayConfig({ service: 'cpaneld', provider: 'google', configurations: { color: '336699' } }),
    ];
    expect(first.map((r) => r.changed)).toEqual([true, true, true, true]);
    await settle();
    const before = identities(ctx);
    expect(Object.keys(before).length).toBeGreaterThan(15);
    const again = [
      await ist.createLink({ user: 'bob', app: 'extra', url: 'https://x.example/', token: 't' }),
      await ist.createLink({ user: 'bob', app: 'wiki', url: 'https://wiki.example/', token: 's3cret', group_id: 'tools', label: 'Wiki' }),
      await ist.createGroup({ user: 'alice', group_id: 'g', label: 'G' }),
      await ist.setLinkToken({ user: 'bob', app: 'extra', token: 't' }),
      await ist.removeLink({ user: 'bob', app: 'never-was' }),
      await ist.removeGroup({ user: 'bob', group_id: 'never-was' }),
      await ist.rebuildDynamicUi({ user: 'bob' }),
      await authn.enableProvider({ service: 'cpaneld', provider: 'google' }),
      await authn.disableProvider({ service: 'whostmgrd', provider: 'facebook' }),
      await authn.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 'id', client_secret: 'sec' } }),
      await authn.setDisplayConfig({ service: 'cpaneld', provider: 'google', configurations: { color: '336699' } }),
      await authn.linkAccount({
        user: 'bob',
        provider: 'google',
        subject: 'g-bob',
        userInfo: { preferred_username: 'bob@gmail.example', link_time: 1_600_000_000 },
      }),
      await authn.rebuildLinkDb({ provider: 'google' }, { includeRoot: true }),
    ];
    expect(again.map((r) => r.changed)).toEqual(again.map(() => false));
    expect(again.flatMap((r) => r.ops)).toEqual([]);
    const batch = await ist.createLinks([
      { user: 'bob', app: 'extra', url: 'https://x.example/', token: 't' },
      { user: 'alice', app: 'crm', url: 'https://crm.example/é', order: '7' },
    ]);
    expect(batch).toMatchObject({ changed: false, succeeded: 2, ops: [] });
    expect(batch.results.map((r) => r.ok && r.changed)).toEqual([false, false]);
    await settle();
    expect(identities(ctx)).toEqual(before);
  });

  it('a real change says changed: true, per item in a batch too, and a dry run predicts it', async () => {
    seedServer(ctx);
    const ls = makeLinkstore(ctx.disk);
    await populate(ls);
    const ist = await ls.integration();
    const dry = await ist.createLink({ user: 'bob', app: 'wiki', url: 'https://wiki.example/v2' }, { dryRun: true });
    expect(dry.changed).toBe(true);
    expect(dry.ops.map((o) => o.path.split('/').at(-1))).toEqual(['wiki.userconfig', 'wiki.adminconfig', 'dynamicui_wiki.conf']);
    const sameDry = await ist.createLink({ user: 'alice', app: 'crm', url: 'https://crm.example/é', order: '7' }, { dryRun: true });
    expect(sameDry).toMatchObject({ changed: false, ops: [] });
    // Only the file whose bytes differ is rewritten: a new token touches only the adminconfig.
    await settle();
    const before = identities(ctx);
    const token = await ist.createLink({ user: 'bob', app: 'wiki', url: 'https://wiki.example/', token: 'new', group_id: 'tools', label: 'Wiki' });
    expect(token.changed).toBe(true);
    expect(token.ops.map((o) => o.path.split('/').at(-1))).toEqual(['wiki.adminconfig']);
    await settle();
    const after = identities(ctx);
    const moved = Object.keys(after).filter((p) => after[p] !== before[p]);
    expect(moved.map((p) => p.slice(ctx.root.length))).toEqual([`${INT}/links/bob/wiki.adminconfig`]);
    const batch = await ist.createLinks([
      { user: 'alice', app: 'crm', url: 'https://crm.example/é', order: '7' },
      { user: 'alice', app: 'crm2', url: 'https://crm.example/2' },
    ]);
    expect(batch.changed).toBe(true);
    expect(batch.results.map((r) => r.ok && r.changed)).toEqual([false, true]);
  });

  it('link_user_authn_provider re-stamps link_time as cPanel does; a given link_time keeps it', async () => {
    seedServer(ctx);
    let nowMs = 1_700_000_000_000;
    const ls = new Linkstore({ disk: ctx.disk, hostname: 'host.example.com', now: () => nowMs, users: { checkIntervalMs: 0 } });
    await populate(ls);
    const authn = await ls.authn();
    nowMs += 5000;
    const restamped = await authn.linkAccount({ user: 'alice', provider: 'google', subject: 'g-alice', userInfo: { preferred_username: 'Alice' } });
    expect(restamped.changed).toBe(true);
    const kept = await authn.linkAccount({
      user: 'alice',
      provider: 'google',
      subject: 'g-alice',
      userInfo: { preferred_username: 'Alice', link_time: 1_700_000_005 },
    });
    expect(kept.changed).toBe(false);
  });

  it('the WHM envelope carries metadata.changed (1, then 0)', async () => {
    seedServer(ctx);
    const ls = makeLinkstore(ctx.disk);
    const params = { user: 'bob', app: 'billing', url: 'https://billing.example/' };
    const a = await callWhm(ls, 'create_integration_link', params);
    const b = await callWhm(ls, 'create_integration_link', params);
    const dry = await callWhm(ls, 'create_integration_link', params, { dryRun: true });
    expect([a.metadata.changed, b.metadata.changed, dry.metadata.changed]).toEqual([1, 0, 0]);
    expect((await callWhm(ls, 'list_integration_links', { user: 'bob' })).metadata.changed).toBeUndefined();
    const en = await callWhm(ls, 'enable_authentication_provider', { service_name: 'webmaild', provider_id: 'google' });
    const en2 = await callWhm(ls, 'enable_authentication_provider', { service_name: 'webmaild', provider_id: 'google' });
    expect([en.metadata.changed, en2.metadata.changed]).toEqual([1, 0]);
  });
});
