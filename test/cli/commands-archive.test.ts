/**
 * `linkstore archive …`, `linkstore account …` and `linkstore rebuild-linkdb` through the real
 * binary, with real tarballs on disk — ours, and ones made by node-tar's own `create` from a real
 * directory (including one holding a real symlink, which is refused).
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { create } from 'tar';
import { snapshotTree, settle } from '../helpers/disks.js';
import { AUTHN, INT } from '../doctor/server.js';
import { linkstore, tempServer } from './commands-helpers.js';

describe('linkstore archive / account / rebuild-linkdb (binary)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  async function server() {
    const s = await tempServer(true);
    const out = `${s.root}.backups`;
    mkdirSync(out);
    cleanups.push(s.cleanup, () => rmSync(out, { recursive: true, force: true }));
    await settle();
    return { ...s, out, trees: () => ({ ...snapshotTree(s.ctx, INT), ...snapshotTree(s.ctx, AUTHN) }) };
  }

  it('exports a tarball, purges, restores it (dry run first, --dry-run before the command or after the arguments)', async () => {
    const s = await server();
    const file = `${s.out}/cpmove-bob.tar.gz`;
    const before = s.trees();
    const ex = linkstore(s.root, ['archive', 'export', 'bob', file]);
    expect([ex.status, ex.stderr]).toEqual([0, '']);
    expect(ex.stdout).toContain('format: tarball');
    expect(linkstore(s.root, ['account', 'purge', 'bob']).status).toBe(0);
    await settle();
    const purged = s.trees();
    const dry1 = linkstore(s.root, ['archive', 'restore', file, '--dry-run', '--output', 'json']);
    const dry2 = linkstore(s.root, ['--dry-run', 'archive', 'restore', file, '--output', 'json']);
    expect([dry1.status, dry2.status]).toEqual([0, 0]);
    expect(JSON.parse(dry1.stdout)).toEqual(JSON.parse(dry2.stdout));
    expect(JSON.parse(dry1.stdout)).toMatchObject({ dryRun: true, user: 'bob', integration: { restored: ['chat', 'group_tools', 'wiki'], failed: [] } });
    expect(s.trees()).toEqual(purged);
    const r = linkstore(s.root, ['archive', 'restore', file]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    await settle();
    expect(s.trees()).toEqual(before);
  });

  it('restores a tarball made by node-tar’s create from an extracted directory, into another account', async () => {
    const s = await server();
    expect(linkstore(s.root, ['archive', 'export', 'bob', `${s.out}/cpmove-bob`]).status).toBe(0);
    mkdirSync(`${s.out}/cpmove-bob/homedir/public_html`, { recursive: true });
    writeFileSync(`${s.out}/cpmove-bob/homedir/public_html/index.html`, '<h1>bob</h1>');
    const file = `${s.out}/made-by-tar.tar.gz`;
    await create({ gzip: true, file, cwd: s.out }, ['cpmove-bob']);
    const r = linkstore(s.root, ['archive', 'restore', file, '--as', 'alice', '--output', 'json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ user: 'alice', authn: { restored: ['alice cpanelid c-bob', 'alice google g-bob'], skipped: ['info@bob.example'] } });
    expect(out.warnings).toEqual([
      'The system skipped the External Authentication links of “info@bob.example” because that address does not belong to “alice”.',
    ]);

    // The same directory with a real symlink in it: node-tar stores it as a link member; refused whole.
    symlinkSync('public_html', `${s.out}/cpmove-bob/homedir/www`);
    const hostile = `${s.out}/with-link.tar.gz`;
    await create({ gzip: true, file: hostile, cwd: s.out }, ['cpmove-bob']);
    const before = s.trees();
    const bad = linkstore(s.root, ['archive', 'restore', hostile, '--as', 'alice']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(`linkstore archive: Refusing the archive “${hostile}”: its member “cpmove-bob/homedir/www” is a link. Nothing was written.\n`);
    expect(s.trees()).toEqual(before);
  });

  it('restore exits 1 when a link could not be restored (its provider is not enabled here)', async () => {
    const s = await server();
    const dir = `${s.out}/cpmove-bob`;
    expect(linkstore(s.root, ['archive', 'export', 'bob', dir]).status).toBe(0);
    writeFileSync(`${dir}/authnlinks/bob.db`, '{"__VERSION":"1.0","openid_connect":{"slack":{"s1":{}}}}');
    const r = linkstore(s.root, ['archive', 'restore', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('The provider “slack” is not enabled for any services with OpenID Connect authentication.');
  });

  it('account rename, domain-change and rebuild-linkdb; usage errors exit 2', async () => {
    const s = await server();
    const before = s.trees();
    const dry = linkstore(s.root, ['account', 'rename', 'bob', 'robert', '--dry-run', '--output', 'json']);
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout).dryRun).toBe(true);
    expect(s.trees()).toEqual(before);
    const dc = linkstore(s.root, ['account', 'domain-change', 'bob', 'bob.example', 'bob.test', '--output', 'json']);
    expect(dc.status).toBe(0);
    expect(JSON.parse(dc.stdout).ops.some((o: { path: string }) => o.path.endsWith('/users/bob/info@bob.test.db'))).toBe(true);
    const rb = linkstore(s.root, ['rebuild-linkdb', '--include-root', '--output', 'json']);
    expect([rb.status, JSON.parse(rb.stdout).providers]).toEqual([0, ['cpanelid', 'google']]);
    expect(linkstore(s.root, ['account', 'rename', 'ghost', 'phantom']).stderr).toBe('linkstore account: You do not have a user named “ghost”.\n');
    for (const args of [
      ['archive'],
      ['archive', 'frob', 'x'],
      ['account', 'rename', 'bob'],
      ['account', 'purge', 'bob', '--as', 'alice'],
      ['rebuild-linkdb', 'extra'],
      ['account', 'purge', 'bob', '--include-root'],
    ]) {
      expect(linkstore(s.root, args).status, args.join(' ')).toBe(2);
    }
    expect(linkstore(s.root, ['archive', '--help']).stdout).toContain('Usage: linkstore [--root DIR] archive export USER TARGET');
  });
});
