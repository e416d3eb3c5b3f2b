/**
 * An export to a directory that fails part-way leaves nothing behind it cannot account for: what
 * it created (a new target, new sections) is removed again and the error stands; once it has
 * replaced or removed a file that was there, E_PARTIAL lists what is in place.
 */
import { expect, it } from 'vitest';
import { withPopulatedServer } from './backups.js';
import { exportAccountArchive } from '../../src/archive/index.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks, snapshotTree } from '../helpers/disks.js';
import { makeLinkstore } from '../doctor/server.js';
import { rejectsWith } from '../authn/setup.js';
import { faultyFs } from '../helpers/faulty-fs.js';

describeOnDisks('archive export failures', (ctx) => {
  let ls: Linkstore;
  let out: string;
  const backups = () => snapshotTree({ ...ctx, root: out }, '/');
  /** A Linkstore whose nth write of a file into the backups fails with ENOSPC. */
  const fullAt = (nth: number) => makeLinkstore(ctx.make({ fs: faultyFs(ctx.fs, [{ op: 'write', path: out, code: 'ENOSPC', nth }]).fs }));
  withPopulatedServer(ctx, (b) => ({ ls, out } = b));

  it('a new cpmove-USER/ that fails part-way (3 directories made, 2 files written) is removed again, directories included', async () => {
    const e = await rejectsWith(exportAccountArchive(fullAt(3), 'bob', `${out}/cpmove-bob`), 'E_IO');
    expect(e.message).toMatch(/ENOSPC/);
    expect(backups()).toEqual({});
  });

  it('new sections in an existing cpmove-USER/ are removed again; what was there stays', async () => {
    const dir = `${out}/cpmove-bob`;
    ctx.fs.mkdirSync(`${dir}/cp`, { recursive: true });
    ctx.fs.writeFileSync(`${dir}/cp/bob`, 'DNS=bob.example\n');
    const before = backups();
    await rejectsWith(exportAccountArchive(fullAt(6), 'bob', dir), 'E_IO');
    expect(backups()).toEqual(before);
  });

  it('a sync that removed a file before failing is E_PARTIAL listing what is in place, and a retry finishes it', async () => {
    const dir = `${out}/cpmove-bob`;
    await exportAccountArchive(ls, 'bob', dir);
    ctx.fs.writeFileSync(`${dir}/integration/links/stray.userconfig`, '{}');
    ctx.fs.unlinkSync(`${dir}/authnlinks/bob.db`);
    const e = await rejectsWith(exportAccountArchive(fullAt(1), 'bob', dir), 'E_PARTIAL');
    expect(e.done).toEqual([{ op: 'remove', path: `${dir}/integration/links/stray.userconfig` }]);
    expect(e.message).toMatch(
      /^The call failed part-way: 1 change was made and is in place \(the error's “done” lists them\), the rest was not made \(Could not write .*ENOSPC/,
    );
    expect((await exportAccountArchive(ls, 'bob', dir)).ops.map((o) => o.op)).toEqual(['write']);
  });
  it('a replacing write that fails before its rename (ENOSPC) replaced nothing: the new section made before it is removed again and the error stands', async () => {
    const dir = `${out}/cpmove-bob`;
    await exportAccountArchive(ls, 'bob', dir);
    ctx.fs.rmSync(`${dir}/integration`, { recursive: true });
    ctx.fs.writeFileSync(`${dir}/authnlinks/bob.db`, '{"old":1}');
    const before = backups();
    const full = makeLinkstore(ctx.make({ fs: faultyFs(ctx.fs, [{ op: 'write', path: `${dir}/authnlinks/`, code: 'ENOSPC' }]).fs }));
    const e = await rejectsWith(exportAccountArchive(full, 'bob', dir), 'E_IO');
    expect(e.message).toMatch(/ENOSPC/);
    expect(backups()).toEqual(before);
  });
});
