/**
 * The top directory of a tarball: pkgacct puts everything inside `cpmove-USER/`, and a restore
 * takes the account from it and finds the sections there. Splicing into a tarball whose top names
 * another account, or into one without a top directory (`tar -C cpmove-bob -czf … .`), is refused
 * with nothing written; restoring one without a top directory is refused, not an empty success.
 */
import { expect, it } from 'vitest';
import { withPopulatedServer } from './backups.js';
import { exportAccountArchive, restoreAccountArchive } from '../../src/archive/index.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks, snapshotTree } from '../helpers/disks.js';
import { AUTHN, INT } from '../doctor/server.js';
import { rejectsWith } from '../authn/setup.js';
import { tarball, type Craft } from './tarballs.js';

const DB = '{"__VERSION":"1.0","openid_connect":{"google":{"g-x":{"preferred_username":"x","link_time":1600000000}}}}';

/** bob's sections as members under `top` (`''` for the tar root, written `./`). */
function sections(top: string): Craft[] {
  const at = (p: string) => (top === '' ? `./${p}` : `${top}/${p}`);
  return [
    { path: top === '' ? './' : `${top}/`, type: 'Directory' },
    { path: at('integration/'), type: 'Directory' },
    { path: at('integration/links/'), type: 'Directory' },
    { path: at('integration/links/old.userconfig'), content: '{"url":"https://old.example/"}' },
    { path: at('authnlinks/'), type: 'Directory' },
    { path: at('authnlinks/bob.db'), content: DB, mode: 0o640 },
  ];
}

describeOnDisks('tarball top directories', (ctx) => {
  let ls: Linkstore;
  let out: string;
  const write = (p: string, b: Buffer) => ctx.fs.writeFileSync(p, b, { mode: 0o600 });
  const read = (p: string) => ctx.fs.readFileSync(p);
  const trees = () => ({ ...snapshotTree(ctx, INT), ...snapshotTree(ctx, AUTHN) });
  withPopulatedServer(ctx, (b) => ({ ls, out } = b));

  it('refuses to splice bob’s sections into cpmove-bob.tar.gz whose top directory is cpmove-alice/, writing nothing', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    const bytes = tarball(sections('cpmove-alice'));
    write(file, bytes);
    const e = await rejectsWith(exportAccountArchive(ls, 'bob', file), 'E_INVALID_PARAM');
    expect(e.message).toBe(
      `Refusing the archive “${file}”: its top directory is “cpmove-alice/”, not “cpmove-bob/”, and a restore would put the links of “bob” into the account “alice”. Nothing was written.`,
    );
    await rejectsWith(exportAccountArchive(ls, 'bob', file, { dryRun: true }), 'E_INVALID_PARAM');
    expect(read(file).equals(bytes)).toBe(true);
    expect(ctx.fs.readdirSync(out)).toEqual(['cpmove-bob.tar.gz']);
  });

  it('restoring a tarball whose name and top directory name different accounts warns that the top directory decides', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    write(file, tarball(sections('cpmove-alice')));
    const r = await restoreAccountArchive(ls, file, { dryRun: true });
    expect(r.user).toBe('alice');
    expect(r.warnings).toContain(
      'The archive’s file name names the account “bob”, but its top directory “cpmove-alice/” names “alice”; a restore goes by the top directory.',
    );
  });

  for (const [what, members, first] of [
    ['at the tar root (./)', sections(''), './'],
    [
      'at the tar root (no ./)',
      sections('')
        .slice(1)
        .map((m) => ({ ...m, path: m.path.slice(2) })),
      'integration/',
    ],
    ['under two top directories', [...sections('cpmove-bob'), { path: 'cpmove-alice/authnlinks/alice.db', content: DB }], 'cpmove-alice/authnlinks/alice.db'],
  ] as const) {
    it(`refuses a tarball with its sections ${what}, in export and restore alike, naming the member`, async () => {
      const file = `${out}/cpmove-bob.tar.gz`;
      const bytes = tarball(members);
      write(file, bytes);
      const message = `Refusing the archive “${file}”: its member “${first}” is not inside a top directory (an account archive holds everything inside one cpmove-USER/ directory). Nothing was written.`;
      await rejectsWith(exportAccountArchive(ls, 'bob', file), 'E_INVALID_PARAM', message);
      expect(read(file).equals(bytes)).toBe(true);
      expect(ctx.fs.readdirSync(out)).toEqual(['cpmove-bob.tar.gz']);
      const before = trees();
      await rejectsWith(restoreAccountArchive(ls, file), 'E_INVALID_PARAM', message);
      await rejectsWith(restoreAccountArchive(ls, file, { dryRun: true }), 'E_INVALID_PARAM', message);
      expect(trees()).toEqual(before);
    });
  }

  it('a tarball with no link sections restores nothing and says so', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    write(
      file,
      tarball([
        { path: 'cpmove-bob/', type: 'Directory' },
        { path: 'cpmove-bob/cp/bob', content: 'DNS=bob.example\n' },
      ]),
    );
    const r = await restoreAccountArchive(ls, file);
    expect([r.integration.restored, r.authn.restored, r.ops]).toEqual([[], [], []]);
    expect(r.warnings).toEqual(['The archive holds neither an “integration/links/” nor an “authnlinks/” section: there were no links to restore.']);
  });
});
