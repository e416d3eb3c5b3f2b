/**
 * Exporting to a tarball plans what it writes as every other write does (mode, owner, bytes,
 * sha256, the dry run's the same as the real run's), and exporting again when nothing changed is
 * a no-op: the tarball's bytes are compared with the file's, and an equal file is not replaced.
 */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { withPopulatedServer } from './backups.js';
import { exportAccountArchive } from '../../src/archive/index.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks } from '../helpers/disks.js';
import { tarball } from './tarballs.js';

describeOnDisks('tarball re-exports', (ctx) => {
  let ls: Linkstore;
  let out: string;
  let file: string;
  const digest = () => createHash('sha256').update(ctx.fs.readFileSync(file)).digest('hex');
  const identity = () => {
    const st = ctx.fs.statSync(file);
    return [st.ino, st.mtimeMs, st.size];
  };
  withPopulatedServer(ctx, (b) => {
    ({ ls, out } = b);
    file = `${out}/cpmove-bob.tar.gz`;
  });

  it('plans a new tarball with its mode, owner, bytes and sha256, the dry run exactly as the real run', async () => {
    const dry = await exportAccountArchive(ls, 'bob', file, { dryRun: true });
    expect(ctx.fs.readdirSync(out)).toEqual([]);
    const real = await exportAccountArchive(ls, 'bob', file);
    expect(real.ops).toEqual([
      { op: 'write', path: file, mode: '0600', owner: ctx.disk.owners ? '0:0' : undefined, sha256: digest(), bytes: ctx.fs.statSync(file).size },
    ]);
    expect([dry.ops, dry.changed, real.changed]).toEqual([real.ops, true, true]);
  });

  it('exporting again with nothing changed writes nothing and says so, in the dry run and the real run', async () => {
    await exportAccountArchive(ls, 'bob', file);
    const before = identity();
    await new Promise((r) => setTimeout(r, 20)); // a rewrite would show in the mtime
    for (const dryRun of [true, false]) {
      const r = await exportAccountArchive(ls, 'bob', file, { dryRun });
      expect([r.ops, r.changed]).toEqual([[], false]);
    }
    expect(identity()).toEqual(before);
    expect(ctx.fs.readdirSync(out)).toEqual(['cpmove-bob.tar.gz']); // no temp left
  });

  it('splicing into an existing tarball plans its bytes, then a second splice is a no-op', async () => {
    const theirs = tarball([
      { path: 'cpmove-bob/', type: 'Directory' },
      { path: 'cpmove-bob/cp/bob', content: 'DNS=bob.example\n' },
    ]);
    ctx.fs.writeFileSync(file, theirs, { mode: 0o640 });
    ctx.fs.chmodSync(file, 0o640);
    const dry = await exportAccountArchive(ls, 'bob', file, { dryRun: true });
    expect(ctx.fs.readFileSync(file).equals(theirs)).toBe(true);
    const real = await exportAccountArchive(ls, 'bob', file);
    expect(real.ops).toMatchObject([{ op: 'write', path: file, mode: '0640', sha256: digest(), bytes: ctx.fs.statSync(file).size }]);
    expect(dry.ops).toEqual(real.ops);
    const before = identity();
    expect((await exportAccountArchive(ls, 'bob', file)).changed).toBe(false);
    expect(identity()).toEqual(before);
    // A change in the account is a change in the tarball.
    await (await ls.integration()).createLink({ user: 'bob', app: 'mail', url: 'https://mail.example/' });
    const changed = await exportAccountArchive(ls, 'bob', file);
    expect([changed.changed, changed.ops[0]?.sha256]).toEqual([true, digest()]);
  });
});
