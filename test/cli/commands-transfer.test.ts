/** `linkstore export` / `import` through the real binary: round trip, dry run, bad lines, stdin. */
import { afterEach, expect, it, describe } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { snapshotTree, settle } from '../helpers/disks.js';
import { AUTHN, INT, USERS } from '../doctor/server.js';
import { linkstore, tempServer } from './commands-helpers.js';

describe('linkstore export and import (binary)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  async function server(links: boolean) {
    const s = await tempServer(links);
    cleanups.push(s.cleanup);
    return s;
  }
  const trees = (s: Awaited<ReturnType<typeof server>>) => ({ ...snapshotTree(s.ctx, INT), ...snapshotTree(s.ctx, AUTHN) });

  it('export writes sorted NDJSON; importing it into an empty server reproduces the same files', async () => {
    const a = await server(true);
    await settle();
    const ex = linkstore(a.root, ['export']);
    expect([ex.status, ex.stderr]).toEqual([0, '']);
    const lines = ex.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(JSON.parse(lines[0] as string)).toEqual({ type: 'authn_provider', service: 'cpaneld', provider: 'cpanelid' });
    expect(JSON.parse(lines[3] as string)).toMatchObject({ type: 'integration_group', user: 'bob', group_id: 'tools' });
    expect(ex.stdout.endsWith('\n')).toBe(true);
    expect(linkstore(a.root, ['export']).stdout).toBe(ex.stdout);
    expect(
      linkstore(a.root, ['export', '--user', 'alice'])
        .stdout.trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['integration_link', 'authn_link']);

    const b = await server(false);
    const file = `${b.root}.ndjson`;
    cleanups.push(() => rmSync(file, { force: true }));
    writeFileSync(file, ex.stdout);
    const before = snapshotTree(b.ctx, '/');
    const dry = linkstore(b.root, ['import', '--dry-run', file]);
    expect(dry.status).toBe(0);
    expect(dry.stdout.split('\n').at(-2)).toBe(
      `${file}: 9 created, 0 replaced, 3 unchanged, 0 conflict, 0 skipped, 0 failed (12 lines); would rewrite the LinkDB of cpanelid, google — dry run, nothing was written.`,
    );
    expect(dry.stdout.split('\n')[3]).toBe('line 4: created integration_group bob/group_tools');
    expect(dry.stderr).toBe(''); // not a terminal: no progress bar
    expect(snapshotTree(b.ctx, '/')).toEqual(before);

    const imp = linkstore(b.root, ['import', file]);
    expect([imp.status, imp.stdout.split('\n').at(-2)]).toEqual([
      0,
      `${file}: 9 created, 0 replaced, 3 unchanged, 0 conflict, 0 skipped, 0 failed (12 lines); rewrote the LinkDB of cpanelid, google.`,
    ]);
    await settle();
    expect(trees(b)).toEqual(trees(a));
    expect(linkstore(b.root, ['export']).stdout).toBe(ex.stdout);

    const again = linkstore(b.root, ['import', '--output', 'json', '-'], ex.stdout);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, replaced: 0, unchanged: 12, failed: 0, changed: false });
    expect(JSON.parse(again.stdout).results[4]).toEqual({ line: 5, status: 'unchanged', type: 'integration_link', key: 'alice/crm' });
  });

  it('reports bad lines with their line numbers and exits 1; --progress draws a bar on stderr', async () => {
    const b = await server(false);
    const input = [
      '{"type":"integration_link","user":"bob","app":"ok","userconfig":{"url":"https://ok/"},"token":"t"}',
      '{"type":"integration_link",',
      '{"type":"authn_link","user":"nobody@nowhere.example","provider":"google","subject":"s"}',
    ].join('\n');
    const r = linkstore(b.root, ['import', '--progress', '-'], input);
    expect(r.status).toBe(1);
    const out = r.stdout.split('\n');
    expect(out[3]).toBe('standard input: 1 created, 0 replaced, 0 unchanged, 0 conflict, 0 skipped, 2 failed (3 lines).');
    expect(out[0]).toBe('line 1: created integration_link bob/ok');
    expect(out[1]).toMatch(/^line 2: failed: not valid JSON/);
    expect(out[2]).toMatch(/^line 3: failed authn_link nobody@nowhere\.example google s: .*\(E_NO_SUCH_USER\)$/);
    expect(r.stderr).toContain('] 3/3');
    expect(r.stderr.endsWith('\n')).toBe(true);
    // One or the other (the usage says [--quiet|--progress]): both is a usage error, not a silent choice.
    expect(linkstore(b.root, ['import', '--quiet', '--progress', '-'], input).status).toBe(2);
    expect(linkstore(b.root, ['import', '--quiet', '-'], input).stderr).toBe('');
  });

  it('export --out creates a 0600 file; --skip-corrupt names each damaged file, exports the rest and exits 1', async () => {
    const a = await server(true);
    await settle();
    const out = `${a.root}.export.ndjson`;
    cleanups.push(() => rmSync(out, { force: true }));
    const full = linkstore(a.root, ['export']).stdout;
    const ex = linkstore(a.root, ['export', '--out', out]);
    expect([ex.status, ex.stdout, ex.stderr]).toEqual([0, '', '']);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toBe(full);
    writeFileSync(`${a.root}/var/cpanel/integration/links/bob/chat.userconfig`, '{"url": ');
    const strict = linkstore(a.root, ['export']);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain(`${a.root}/var/cpanel/integration/links/bob/chat.userconfig`);
    const skip = linkstore(a.root, ['export', '--skip-corrupt']);
    expect(skip.status).toBe(1);
    expect(skip.stderr.split('\n')[0]).toMatch(/^linkstore export: skipped “.*\/links\/bob\/chat\.userconfig”: /);
    expect(skip.stdout).toBe(
      full
        .split('\n')
        .filter((l) => !l.includes('"app":"chat"'))
        .join('\n'),
    );
  });

  it('import --no-replace, --map-user and --hostname through the binary', async () => {
    const a = await server(true);
    const ex = linkstore(a.root, ['export']).stdout;
    const b = await server(false);
    const moved = linkstore(
      b.root,
      ['import', '--output', 'json', '--map-user', 'alice=acmewidgets', '--map-user=bob=bob', '--hostname', 'h.example', '-'],
      ex,
    );
    expect(moved.status).toBe(0);
    const report = JSON.parse(moved.stdout);
    expect(report.results.find((r: { key?: string }) => r.key === 'acmewidgets/crm')).toMatchObject({ status: 'created' });
    expect(linkstore(b.root, ['list_integration_links', 'user=acmewidgets', '--output', 'json']).stdout).toContain('"app":"crm"');
    const edited = ex.replace('"url":"https://wiki.example/"', '"url":"https://wiki2.example/"');
    const conflict = linkstore(b.root, ['import', '--no-replace', '--map-user', 'alice=acmewidgets', '-'], edited);
    expect(conflict.status).toBe(0);
    expect(conflict.stdout).toMatch(/^line \d+: conflict integration_link bob\/wiki: differs from what is stored \(--no-replace\)$/m);
    expect(linkstore(b.root, ['import', '--map-user', 'alice', '-'], ex).status).toBe(2);
    // A --map-user OLD that no record names (a typo) is said, and the exit status is 1.
    const typo = linkstore(b.root, ['import', '--dry-run', '--map-user', 'bbo=alice', '-'], ex);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('--map-user bbo=alice matched no record');
    // A host name that no redirect URI can carry is a usage error, with nothing written.
    const badHost = linkstore(b.root, ['import', '--hostname', 'not a host!', '-'], ex);
    expect(badHost.status).toBe(2);
    expect(badHost.stderr).toContain('--hostname must be a host name');
    expect(linkstore(b.root, ['get_provider_client_configurations', 'service_name=cpaneld', 'provider_id=google', '--output', 'json']).stdout).not.toContain(
      'not a host',
    );
    const twice = linkstore(b.root, ['import', '--map-user', 'bob=alice', '--map-user', 'bob=carol', '-'], ex);
    expect([twice.status, twice.stderr]).toEqual([2, expect.stringContaining('--map-user maps “bob” twice.')]);
  });

  it('--map-user OLD=NEW moves an email user of OLD to NEW’s ownership with the same address', async () => {
    const a = await server(true);
    const ex = linkstore(a.root, ['export']).stdout;
    expect(ex).toContain('"user":"info@bob.example"');
    // On the new server bob.example (and its mailbox) belong to acmewidgets.
    const b = await server(false);
    const domains = readFileSync(`${b.root}/etc/userdomains`, 'utf8');
    writeFileSync(`${b.root}/etc/userdomains`, domains.replace(/^(www\.)?bob\.example: bob$/gm, '$1bob.example: acmewidgets'));
    mkdirSync(`${b.root}/home/acmewidgets/mail/bob.example/info/cur`, { recursive: true });

    const r = linkstore(b.root, ['import', '--output', 'json', '--map-user', 'bob=acmewidgets', '-'], ex);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const report = JSON.parse(r.stdout);
    expect(report.failed).toBe(0);
    expect(report.results.find((x: { key?: string }) => x.key === 'info@bob.example google g-info')).toMatchObject({ status: 'created' });
    const db = `${b.root}${USERS}/acmewidgets/info@bob.example.db`;
    expect(JSON.parse(readFileSync(db, 'utf8')).openid_connect.google).toHaveProperty('g-info');
    expect(existsSync(`${b.root}${USERS}/bob`)).toBe(false);
    // Exported again, the email user keeps its address and now names its new owner.
    const again = linkstore(b.root, ['export', '--user', 'acmewidgets'])
      .stdout.trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(again.filter((x) => x.type === 'authn_link').map((x) => [x.user, x.sysuser, x.subject])).toEqual([
      ['acmewidgets', 'acmewidgets', 'c-bob'],
      ['acmewidgets', 'acmewidgets', 'g-bob'],
      ['info@bob.example', 'acmewidgets', 'g-info'],
    ]);
    // Three runs of the binary: give them room on a busy machine.
  }, 60_000);

  it('reads a file line by line: a line over 8 MiB fails alone, its neighbours import', async () => {
    const b = await server(false);
    const file = `${b.root}.long.ndjson`;
    cleanups.push(() => rmSync(file, { force: true }));
    const link = (app: string) => JSON.stringify({ type: 'integration_link', user: 'bob', app, userconfig: { url: 'https://ok/' }, token: 't' });
    writeFileSync(file, `${link('one')}\n{"type":"integration_link","pad":"${'x'.repeat(9 * 1024 * 1024)}"}\n${link('two')}\n`);
    const r = linkstore(b.root, ['import', file]);
    expect(r.status).toBe(1);
    const out = r.stdout.split('\n');
    expect(out[0]).toBe('line 1: created integration_link bob/one');
    expect(out[1]).toMatch(/^line 2: failed: the line is longer than the limit \(\d+ bytes\)$/);
    expect(out[2]).toBe('line 3: created integration_link bob/two');
    expect(linkstore(b.root, ['import', b.root]).status).toBe(2);
  });

  it('usage errors exit 2', async () => {
    const b = await server(false);
    expect(linkstore(b.root, ['import']).status).toBe(2);
    const missing = linkstore(b.root, ['import', `${b.root}/no-such-file`]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    expect(linkstore(b.root, ['export', '--fix']).status).toBe(2);
  });
});
