/** `linkstore export` / `import` through the real binary: round trip, dry run, bad lines, stdin. */
import { afterEach, expect, it, describe } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { snapshotTree, settle } from '../helpers/disks.js';
import { AUTHN, INT } from '../doctor/server.js';
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
    expect(lines).toHaveLength(9);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'integration_group', user: 'bob', group_id: 'tools' });
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
    expect(dry.stdout).toBe(`${file}: 9 applied, 0 skipped, 0 failed (9 lines) — dry run, nothing was written.\n`);
    expect(dry.stderr).toBe(''); // not a terminal: no progress bar
    expect(snapshotTree(b.ctx, '/')).toEqual(before);

    const imp = linkstore(b.root, ['import', file]);
    expect([imp.status, imp.stdout]).toEqual([0, `${file}: 9 applied, 0 skipped, 0 failed (9 lines).\n`]);
    expect(trees(b)).toEqual(trees(a));
    expect(linkstore(b.root, ['export']).stdout).toBe(ex.stdout);

    const again = linkstore(b.root, ['import', '--output', 'json', '-'], ex.stdout);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: 0, skipped: 9, failed: 0 });
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
    expect(out[0]).toBe('standard input: 1 applied, 0 skipped, 2 failed (3 lines).');
    expect(out[1]).toMatch(/^line 2: failed: not valid JSON/);
    expect(out[2]).toMatch(/^line 3: failed \(nobody@nowhere\.example google s\): .*\(E_NO_SUCH_USER\)$/);
    expect(r.stderr).toContain('] 3/3');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(linkstore(b.root, ['import', '--quiet', '--progress', '-'], input).stderr).toBe('');
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
