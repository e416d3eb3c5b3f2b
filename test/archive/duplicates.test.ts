/**
 * A tarball holding a member twice (`tar -r` appends a newer copy): extracting it, which is what
 * cPanel's restore reads, leaves only the last copy, so a restore from the tarball replays only
 * the last copy too, and warns naming the member.
 */
import { expect, it } from 'vitest';
import { withPopulatedServer } from './backups.js';
import { restoreAccountArchive } from '../../src/archive/index.js';
import { purgeAccount } from '../../src/account/index.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks, peek } from '../helpers/disks.js';
import { L, USERS } from '../doctor/server.js';
import { tarball } from './tarballs.js';

const db = (subject: string) =>
  JSON.stringify({ __VERSION: '1.0', openid_connect: { google: { [subject]: { preferred_username: 'x', link_time: 1_600_000_000 } } } });
const link = (url: string) => JSON.stringify({ url });

describeOnDisks('duplicated tarball members', (ctx) => {
  let ls: Linkstore;
  let out: string;
  withPopulatedServer(
    ctx,
    (b) => ({ ls, out } = b),
    (ls) => purgeAccount(ls, 'bob'),
  );

  it('restores only the last copy of a member held twice, and warns naming it', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    const bytes = tarball([
      { path: 'cpmove-bob/', type: 'Directory' },
      { path: 'cpmove-bob/integration/links/app.userconfig', content: link('https://first.example/') },
      { path: 'cpmove-bob/authnlinks/bob.db', content: db('g-first'), mode: 0o640 },
      { path: 'cpmove-bob/integration/links/app.userconfig', content: link('https://last.example/') },
      { path: 'cpmove-bob/authnlinks/bob.db', content: db('g-last'), mode: 0o640 },
      { path: 'cpmove-bob/authnlinks/bob.db', content: db('g-latest'), mode: 0o640 },
    ]);
    ctx.fs.writeFileSync(file, bytes, { mode: 0o600 });
    const r = await restoreAccountArchive(ls, file);
    expect(r.integration.restored).toEqual(['app']);
    expect(r.authn.restored).toEqual(['bob google g-latest']);
    expect(r.warnings).toEqual([
      'The archive holds “integration/links/app.userconfig” more than once; the system restored only its last copy, as extracting the archive does.',
      'The archive holds “authnlinks/bob.db” more than once; the system restored only its last copy, as extracting the archive does.',
    ]);
    expect(JSON.parse(peek(ctx, `${L}/bob/app.userconfig`) as string).url).toBe('https://last.example/');
    expect(Object.keys(JSON.parse(peek(ctx, `${USERS}/bob/bob.db`) as string).openid_connect.google)).toEqual(['g-latest']);
  });
});
