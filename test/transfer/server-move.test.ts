/**
 * A server move: provider setup (enables, client configuration with its secret, display
 * configuration) travels with the links; import reports each record; --no-replace conflicts;
 * --map-user and --hostname rewrite; a second import changes nothing (no mtime moves); export
 * reads through the stores' readers and skips damaged files only when asked.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { authnContext } from '../../src/authn/store.js';
import { storedClientConfig } from '../../src/authn/transfer.js';
import { Disk } from '../../src/io/disk.js';
import type { Linkstore } from '../../src/services.js';
import { exportRecords, importRecords, recordLine } from '../../src/transfer/index.js';
import { describeOnDisks, seed, settle, type DiskCtx } from '../helpers/disks.js';
import { AUTHN, INT, L, USERS, makeLinkstore, populate, seedServer } from '../doctor/server.js';
import { installShippedModules } from '../authn/provider-modules.js';

describeOnDisks('server move', (ctx) => {
  function server(name: string): { sub: DiskCtx; ls: Linkstore } {
    const sub = { ...ctx, root: `${ctx.root}/${name}` } as DiskCtx;
    ctx.fs.mkdirSync(sub.root, { recursive: true });
    seedServer(sub);
    // Display configuration needs the provider's module for its icon default.
    installShippedModules(sub);
    return { sub, ls: makeLinkstore(new Disk({ fs: ctx.fs, root: sub.root, owners: ctx.disk.owners })) };
  }

  async function populated(name: string) {
    const s = server(name);
    await populate(s.ls);
    const authn = await s.ls.authn();
    await authn.enableProvider({ service: 'webmaild', provider: 'google' });
    await authn.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 'cid', client_secret: 'top-secret' } });
    await authn.setDisplayConfig({ service: 'webmaild', provider: 'google', configurations: { color: '336699', label: 'Sign in with Google' } });
    return s;
  }

  /** inode:mtime of every regular file in the managed trees. */
  function identities(sub: DiskCtx): Record<string, string> {
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
    for (const t of [INT, AUTHN]) walk(`${sub.root}${t}`);
    return out;
  }

  it('moves providers, configurations and links; export → import → export is identical; a second import changes nothing', async () => {
    const a = await populated('a');
    const lines = (await exportRecords(a.ls)).map(recordLine);
    expect(lines.filter((l) => l.includes('"authn_client_config"'))).toEqual([
      '{"type":"authn_client_config","provider":"google","config":{"client_id":"cid","client_secret":"top-secret","redirect_uris":["https://host.example.com:2083/openid_connect_callback/google","https://host.example.com:2087/openid_connect_callback/google","https://host.example.com:2096/openid_connect_callback/google"]}}',
    ]);
    expect(lines.filter((l) => l.includes('"authn_display_config"'))).toHaveLength(1);
    const b = server('b');
    const summary = await importRecords(b.ls, lines);
    expect(summary.failed).toBe(0);
    expect(summary.results.find((r) => r.type === 'authn_client_config')).toEqual({ line: 5, status: 'created', type: 'authn_client_config', key: 'google' });
    expect((await exportRecords(b.ls)).map(recordLine)).toEqual(lines);
    expect(ctx.fs.statSync(`${b.sub.root}${AUTHN}/client_config/openid_connect/google`).mode & 0o777).toBe(0o600);
    await settle();
    const before = identities(b.sub);
    const again = await importRecords(b.ls, lines);
    expect(again.results.map((r) => r.status)).toEqual(lines.map(() => 'unchanged'));
    expect(again.changed).toBe(false);
    expect(again.unmapped).toEqual([]);
    // A mapping whose OLD no record names is reported; a hostname no URI can carry is refused.
    expect(
      (
        await importRecords(b.ls, lines, {
          dryRun: true,
          mapUser: new Map([
            ['bbo', 'alice'],
            ['bob', 'bob'],
          ]),
        })
      ).unmapped,
    ).toEqual(['bbo']);
    await expect(importRecords(b.ls, lines, { hostname: 'not a host!' })).rejects.toMatchObject({ code: 'E_INVALID_PARAM', param: 'hostname' });
    await settle();
    expect(identities(b.sub)).toEqual(before);
  });

  it('--no-replace reports differing records as conflict and keeps them; a dry run reports the same and writes nothing', async () => {
    const a = await populated('a');
    const lines = (await exportRecords(a.ls)).map(recordLine);
    const b = await populated('b');
    const ist = await b.ls.integration();
    await ist.createLink({ user: 'bob', app: 'wiki', url: 'https://other.example/' });
    const authn = await b.ls.authn();
    await authn.linkAccount({ user: 'alice', provider: 'google', subject: 'g-alice', userInfo: { preferred_username: 'Other', link_time: 5 } });
    await settle();
    const before = identities(b.sub);
    const dry = await importRecords(b.ls, lines, { noReplace: true, dryRun: true });
    const real = await importRecords(b.ls, lines, { noReplace: true });
    for (const s of [dry, real]) {
      expect(s.results.filter((r) => r.status === 'conflict').map((r) => r.key)).toEqual(['bob/wiki', 'alice google g-alice']);
      expect(s.conflict).toBe(2);
    }
    await settle();
    expect(identities(b.sub)).toEqual(before);
    expect(await ist.getLinkUserConfig({ user: 'bob', app: 'wiki' })).toEqual({ url: 'https://other.example/' });
    const replaced = await importRecords(b.ls, lines);
    expect(replaced.results.filter((r) => r.status === 'replaced').map((r) => r.key)).toEqual(['bob/wiki', 'alice google g-alice']);
  });

  it('--map-user moves an account’s records to a new name; --hostname rewrites redirect_uris', async () => {
    const a = await populated('a');
    const lines = (await exportRecords(a.ls)).map(recordLine);
    const b = server('b');
    const s = await importRecords(b.ls, lines, { mapUser: new Map([['alice', 'acmewidgets']]), hostname: 'new.example.net' });
    expect(s.failed).toBe(0);
    const ist = await b.ls.integration();
    expect(await ist.listLinks({ user: 'acmewidgets' })).toEqual(['crm']);
    expect(await ist.listLinks({ user: 'alice' })).toEqual([]);
    const authn = await b.ls.authn();
    expect((await authn.listLinks({ user: 'acmewidgets' })).map((l) => l.subject_unique_identifier)).toEqual(['g-alice']);
    expect((await storedClientConfig(authnContext(authn), 'google'))?.redirect_uris).toEqual([
      'https://new.example.net:2083/openid_connect_callback/google',
      'https://new.example.net:2087/openid_connect_callback/google',
      'https://new.example.net:2096/openid_connect_callback/google',
    ]);
  });

  it('export reads through the stores’ schemas; --skip-corrupt names each damaged file and exports the rest', async () => {
    const a = await populated('a');
    const good = await exportRecords(a.ls);
    // A DB cPanel's reader refuses (a subject's user_info must be an object) and a broken userconfig.
    seed(a.sub, `${USERS}/alice/alice.db`, '{"openid_connect":{"google":{"S1":"oops"}}}', 0o600);
    seed(a.sub, `${L}/bob/chat.userconfig`, '{"url": ', 0o644);
    await expect(exportRecords(a.ls)).rejects.toMatchObject({ code: 'E_CORRUPT_FILE', path: `${a.sub.root}${L}/bob/chat.userconfig` });
    const skipped: string[] = [];
    const rest = await exportRecords(a.ls, { onCorrupt: (file) => skipped.push(file.slice(a.sub.root.length)) });
    expect(skipped).toEqual([`${L}/bob/chat.userconfig`, `${USERS}/alice/alice.db`]);
    const key = (r: (typeof good)[number]) => recordLine(r);
    expect(rest.map(key)).toEqual(
      good.filter((r) => !(r.type === 'integration_link' && r.app === 'chat') && !(r.type === 'authn_link' && r.user === 'alice')).map(key),
    );
  });

  it('a phase that fails does not stop the next: authn links import after failed integration links', async () => {
    const b = server('b');
    const lines = [
      '{"type":"integration_link","user":"ghost","app":"x","userconfig":{"url":"https://x/"},"token":null}',
      '{"type":"authn_link","user":"bob","provider":"google","subject":"s-1","user_info":{"link_time":1}}',
      '{"type":"authn_link","user":"bob","provider":"google","subject":"s-1","user_info":{"link_time":2}}',
    ];
    const s = await importRecords(b.ls, lines);
    expect(s.results.map((r) => r.status)).toEqual(['failed', 'created', 'skipped']);
    expect(s.results[2]?.reason).toBe('the same authn_link as line 2');
  });
});
