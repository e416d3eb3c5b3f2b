/**
 * Export and import: sorted deterministic records; an export imported into an empty server with
 * the same users and providers reproduces the same files byte for byte (modes and owners too);
 * dry runs write nothing; bad lines fail alone with their line numbers; re-imports skip.
 */
import { expect, it } from 'vitest';
import { Disk } from '../../src/io/disk.js';
import type { Linkstore } from '../../src/services.js';
import { exportRecords, importRecords, keyOf, recordLine, splitLines, type TransferRecord } from '../../src/transfer/index.js';
import { describeOnDisks, hostPath, snapshotTree, type DiskCtx, settle } from '../helpers/disks.js';
import { AUTHN, INT, makeLinkstore, populate, seedServer } from '../doctor/server.js';

describeOnDisks('export and import', (ctx) => {
  /** A separate server under `<root>/<name>` on the same backend. */
  function server(name: string): { sub: DiskCtx; ls: Linkstore } {
    const sub = { ...ctx, root: `${ctx.root}/${name}` } as DiskCtx;
    ctx.fs.mkdirSync(sub.root, { recursive: true });
    seedServer(sub);
    const disk = new Disk({ fs: ctx.fs, root: sub.root, owners: ctx.disk.owners });
    return { sub, ls: makeLinkstore(disk) };
  }

  /** Mode, owner and content of every entry of the two managed trees. */
  function trees(sub: DiskCtx): Record<string, string> {
    const out = { ...snapshotTree(sub, INT), ...snapshotTree(sub, AUTHN) };
    if (ctx.disk.owners) for (const p of Object.keys(out)) out[p] += ` ${ctx.fs.lstatSync(`${sub.root}${p}`).uid}:${ctx.fs.lstatSync(`${sub.root}${p}`).gid}`;
    return out;
  }

  it('exports every link as sorted, deterministic records', async () => {
    const { ls } = server('a');
    await populate(ls);
    const all = await exportRecords(ls);
    const providers = all.filter((r) => r.type.startsWith('authn_') && r.type !== 'authn_link');
    expect(providers.map((r) => `${r.type} ${keyOf(r)}`)).toEqual([
      'authn_provider cpaneld cpanelid',
      'authn_provider cpaneld google',
      'authn_provider whostmgrd google',
    ]);
    const records = all.slice(providers.length) as Exclude<TransferRecord, { type: 'authn_provider' | 'authn_client_config' | 'authn_display_config' }>[];
    expect(
      records.map(
        (r) => `${r.type} ${r.user} ${r.type === 'integration_link' ? r.app : r.type === 'integration_group' ? r.group_id : `${r.provider} ${r.subject}`}`,
      ),
    ).toEqual([
      'integration_group bob tools',
      'integration_link alice crm',
      'integration_link bob chat',
      'integration_link bob wiki',
      'authn_link alice google g-alice',
      'authn_link bob cpanelid c-bob',
      'authn_link bob google g-bob',
      'authn_link info@bob.example google g-info',
      'authn_link root google g-root',
    ]);
    expect(records[3]).toEqual({
      type: 'integration_link',
      user: 'bob',
      app: 'wiki',
      userconfig: { url: 'https://wiki.example/', group_id: 'tools', label: 'Wiki' },
      token: 's3cret',
    });
    expect(records[7]).toEqual({
      type: 'authn_link',
      user: 'info@bob.example',
      sysuser: 'bob',
      protocol: 'openid_connect',
      provider: 'google',
      subject: 'g-info',
      user_info: { link_time: 1_700_000_000 },
    });
    expect(recordLine(records[0] as TransferRecord)).toBe(
      '{"type":"integration_group","user":"bob","group_id":"tools","userconfig":{"label":"Tools","order":"3"}}',
    );
    expect(await exportRecords(ls)).toEqual(all);
    expect((await exportRecords(ls, { user: 'bob' })).map((r) => ('user' in r ? r.user : r.type))).toEqual([
      'bob',
      'bob',
      'bob',
      'bob',
      'bob',
      'info@bob.example',
    ]);
  });

  it('importing an export into an empty server reproduces the same files, byte for byte', async () => {
    const a = server('a');
    await populate(a.ls);
    const lines = (await exportRecords(a.ls)).map(recordLine);
    const b = server('b');
    const progress: number[] = [];
    const summary = await importRecords(b.ls, lines, { onProgress: (d) => progress.push(d) });
    expect(summary).toMatchObject({ dryRun: false, total: 12, created: 9, unchanged: 3, replaced: 0, conflict: 0, skipped: 0, failed: 0, changed: true });
    expect(summary.results.filter((r) => r.status === 'unchanged').map((r) => r.type)).toEqual(['authn_provider', 'authn_provider', 'authn_provider']);
    expect(progress.at(-1)).toBe(12);
    await settle();
    expect(trees(b.sub)).toEqual(trees(a.sub));
    expect(Object.keys(trees(b.sub)).length).toBeGreaterThan(20);
    // Importing again changes nothing and says why.
    const again = await importRecords(b.ls, lines);
    expect(again).toMatchObject({ unchanged: 12, created: 0, replaced: 0, failed: 0, changed: false });
    expect(again.results[0]).toEqual({ line: 1, status: 'unchanged', type: 'authn_provider', key: 'cpaneld cpanelid' });
    await settle();
    expect(trees(b.sub)).toEqual(trees(a.sub));
  });

  it('applies the input slice by slice, handing on each slice’s results in line order: the same files and report as in one slice', async () => {
    const a = server('a');
    await populate(a.ls);
    const exported = (await exportRecords(a.ls)).map(recordLine);
    // A bad line and a repeated one in the middle, a blank one at the end.
    const lines = [...exported.slice(0, 5), 'not json', exported[4] as string, ...exported.slice(5), ''];
    const whole = server('whole');
    const one = await importRecords(whole.ls, lines);
    const b = server('b');
    const batches: number[][] = [];
    const sliced = await importRecords(b.ls, lines, { sliceSize: 2, keepResults: false, onResults: (rs) => batches.push(rs.map((r) => r.line)) });
    expect(sliced).toEqual({ ...one, results: [] });
    expect(one).toMatchObject({ total: 14, skipped: 1, failed: 1 });
    expect(batches.length).toBeGreaterThan(4);
    for (const lineNos of batches) expect(lineNos).toEqual([...lineNos].sort((x, y) => x - y));
    expect(batches.flat()).toEqual(one.results.map((r) => r.line));
    await settle();
    expect(trees(b.sub)).toEqual(trees(whole.sub));
  });

  it('a dry run validates every line and writes nothing', async () => {
    const a = server('a');
    await populate(a.ls);
    const lines = (await exportRecords(a.ls)).map(recordLine);
    const b = server('b');
    const before = snapshotTree(b.sub, '/');
    const summary = await importRecords(b.ls, [...lines, '{"type":"integration_link","user":"nobody-here","app":"x","userconfig":{"url":"u"}}'], {
      dryRun: true,
    });
    expect(snapshotTree(b.sub, '/')).toEqual(before);
    expect(summary).toMatchObject({ dryRun: true, total: 13, created: 9, unchanged: 3, failed: 1 });
    expect(summary.results.filter((r) => r.status === 'failed')).toEqual([expect.objectContaining({ line: 13, status: 'failed', key: 'nobody-here/x' })]);
  });

  it('a dry run reports every line with the status the real import then reports (directory repairs are not a record’s change)', async () => {
    const a = server('a');
    await populate(a.ls);
    const lines = (await exportRecords(a.ls)).map(recordLine);
    const b = server('b');
    // A tree whose directories the first record repairs: the others then change nothing.
    b.sub.fs.chmodSync(hostPath(b.sub, '/var/cpanel/authn'), 0o755);
    const statuses = (s: Awaited<ReturnType<typeof importRecords>>) => s.results.map((r) => [r.line, r.status]);
    const dry = await importRecords(b.ls, lines, { dryRun: true });
    const real = await importRecords(b.ls, lines);
    expect(statuses(real)).toEqual(statuses(dry));
  });

  it('an import that repairs a LinkDB left behind its per-user DBs says so, in its dry run and its real run', async () => {
    const a = server('a');
    await populate(a.ls);
    const lines = (await exportRecords(a.ls)).map(recordLine);
    const b = server('b');
    await importRecords(b.ls, lines);
    await settle();
    // A crash between the per-user DB save and the LinkDB save: the LinkDB is behind.
    const ldb = hostPath(b.sub, '/var/cpanel/authn/links/openid_connect/login/google.db');
    const whole = b.sub.fs.readFileSync(ldb, 'utf8');
    b.sub.fs.writeFileSync(ldb, '{"subject_unique_identifier":{},"user":{}}');
    const before = snapshotTree(b.sub, '/');
    const dry = await importRecords(b.ls, lines, { dryRun: true });
    expect(snapshotTree(b.sub, '/')).toEqual(before);
    const real = await importRecords(b.ls, lines);
    expect(b.sub.fs.readFileSync(ldb, 'utf8')).toBe(whole);
    for (const s of [dry, real]) {
      expect(s.results.every((r) => r.status === 'unchanged')).toBe(true);
      expect([s.changed, s.linkDbs]).toEqual([true, ['google']]);
    }
    // Repaired: the next run changes nothing, and says so.
    const again = await importRecords(b.ls, lines, { dryRun: true });
    expect([again.changed, again.linkDbs]).toEqual([false, []]);
  });

  it('bad lines fail alone, with their line numbers and reasons; blank lines are ignored', async () => {
    const { ls } = server('a');
    const text =
      [
        '{"type":"integration_link","user":"bob","app":"good","userconfig":{"url":"https://good/"},"token":null}',
        '',
        '{"type":"integration_link","user":"bob",',
        '["not", "an", "object"]',
        '{"type":"weird"}',
        '{"user":"bob"}',
        '{"type":"integration_link","user":"bob","app":"noconfig"}',
        '{"type":"integration_link","user":"ghost","app":"x","userconfig":{"url":"u"}}',
        '{"type":"authn_link","user":"bob","provider":"facebook","subject":"f"}',
        '{"type":"authn_link","user":"alice","provider":"google","subject":"g-1","user_info":{"link_time":1600000000}}',
        '{"type":"integration_group","user":"alice","group_id":"bad id!","userconfig":{}}',
      ].join('\r\n') + '\r\n';
    const summary = await importRecords(ls, splitLines(text));
    expect([summary.total, summary.created, summary.skipped, summary.failed]).toEqual([10, 2, 0, 8]);
    const byLine = Object.fromEntries(summary.results.filter((p) => p.status === 'failed').map((p) => [p.line, p.reason]));
    expect(Object.keys(byLine).map(Number)).toEqual([3, 4, 5, 6, 7, 8, 9, 11]);
    expect(byLine[3]).toMatch(/^not valid JSON/);
    expect(byLine[4]).toBe('not a JSON object');
    expect(byLine[5]).toBe('unknown type "weird"');
    expect(byLine[6]).toBe('no “type”');
    expect(byLine[7]).toBe("not a valid integration_link record: the record must have required property 'userconfig'");
    expect(byLine[8]).toMatch(/ghost.*\(E_NO_SUCH_USER\)$/);
    expect(byLine[9]).toMatch(/\(E_PROVIDER\)$/);
    expect(byLine[11]).toMatch(/\(E_INVALID_(PARAM|NAME)\)$/);
    const ist = await ls.integration();
    expect(await ist.getLinkUserConfig({ user: 'bob', app: 'good' })).toEqual({ url: 'https://good/' });
    expect((await (await ls.authn()).listLinks({ user: 'alice' })).map((l) => [l.subject_unique_identifier, l.link_time])).toEqual([['g-1', 1_600_000_000]]);
  });
});
