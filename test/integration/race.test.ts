/**
 * Concurrent writers in separate processes (real temp dir only: processes cannot share memfs).
 * N processes replace the same link repeatedly while an observer checks, under the user's lock,
 * that the three files always come from the same call; at the end they still do, and no lock or
 * temp file is left anywhere.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Disk } from '../../src/io/disk.js';
import { IntegrationStore } from '../../src/integration/index.js';
import { Users, userLookup } from '../../src/users/index.js';
import { backends, type DiskCtx } from '../helpers/disks.js';
import { seedServer } from './setup.js';

const here = dirname(fileURLToPath(import.meta.url));

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [join(here, 'race-child.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

describe('integration writers racing in separate processes [tmpdir]', () => {
  const tmp = backends.find((b) => b.kind === 'tmpdir')!;
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('six processes replacing one app leave all three files from the same call', async () => {
    const s = tmp.setup();
    cleanup = s.cleanup;
    const ctx = { kind: 'tmpdir', fs: s.fs, root: s.root } as DiskCtx;
    seedServer(ctx);
    const disk = new Disk({ fs: s.fs, root: s.root });
    const store = new IntegrationStore({ disk, users: userLookup(new Users(disk)) });
    await store.createLink({ user: 'alice', app: 'shared', url: 'https://w/init', subscriber_unique_id: 'init', token: 'init', label: 'init' });
    const writers = Array.from({ length: 6 }, (_, id) => run(['write', s.root, `w${id}`, '15']));
    const observer = run(['observe', s.root, '60']);
    const results = await Promise.all([...writers, observer]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(results[6]!.out).toMatch(/^observed \d+\n$/);

    const u = await store.getLinkUserConfig({ user: 'alice', app: 'shared' });
    const token = await store.getLinkToken({ user: 'alice', app: 'shared' });
    const ui = JSON.parse((await disk.readFile('/var/cpanel/integration/dynamicui/alice/dynamicui_shared.conf'))!.toString())[0];
    expect(u.subscriber_unique_id).toMatch(/^w[0-5]-\d+$/);
    expect([token, ui.itemdesc, u.url]).toEqual([u.subscriber_unique_id, `$LANG{'${u.subscriber_unique_id}'}`, `https://w/${u.subscriber_unique_id}`]);
    const ls = (p: string) => (s.fs.readdirSync(join(s.root, p)) as string[]).sort();
    expect([ls('var/cpanel/integration/links'), ls('var/cpanel/integration/links/alice'), ls('var/cpanel/integration/dynamicui/alice')]).toEqual([
      ['alice'],
      ['shared.adminconfig', 'shared.userconfig'],
      ['dynamicui_shared.conf'],
    ]);
  });
});
