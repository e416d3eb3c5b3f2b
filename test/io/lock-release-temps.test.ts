/**
 * A failed lock release leaves nothing behind for good: when the unlink of the lock fails, the
 * unlink of its temp (`<lock>-<hex>-<hex>-<hex>`, a second name of the same inode) usually fails
 * for the same reason (a directory made immutable). Both are kept and retried in the background,
 * and removed by the exit hooks of a process that exits first.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { withDotLock } from '../../src/io/dot-lock.js';
import { runtimeStats } from '../../src/io/runtime-stats.js';
import { backends, describeOnDisks, hostPath } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';

const here = dirname(fileURLToPath(import.meta.url));
const DIR = '/var/cpanel/authn';
const TEMP = /\/d\.lock-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/;

describeOnDisks('a failed lock release', (ctx) => {
  const names = () => ctx.fs.readdirSync(hostPath(ctx, DIR)) as string[];

  it('keeps the lock’s temp whose unlink failed too and removes it with the lock in the background', async () => {
    ctx.fs.mkdirSync(hostPath(ctx, DIR), { recursive: true });
    const { fs } = faultyFs(ctx.fs, [
      { op: 'unlink', path: (p) => p.endsWith('/d.lock'), code: 'EPERM', nth: 1 },
      { op: 'unlink', path: (p) => TEMP.test(p), code: 'EPERM', nth: 1 },
    ]);
    const warnings: string[] = [];
    // Temps kept until release (as with Node's fs), so the release is what removes the temp.
    await withDotLock(ctx.make({ fs }), `${DIR}/d`, { dataMode: 0o600, reuseTemps: true, warnings }, async () => undefined);
    expect(warnings).toEqual([expect.stringContaining('could not be released yet')]);
    expect(names().sort()).toEqual(['d.lock', expect.stringMatching(/^d\.lock-/)]);
    expect(runtimeStats().leftoverLocks).toBe(1);
    for (let i = 0; i < 100 && names().length > 0; i++) await new Promise((res) => setTimeout(res, 20));
    // The temp went too (it used to be forgotten on disk for good).
    expect(names()).toEqual([]);
    expect(runtimeStats()).toMatchObject({ installedLocks: 0, leftoverLocks: 0, leftoverLockTemps: 0 });
  });

  it('keeps at most 64 temps whose unlink keeps failing, and removes them once it works again', async () => {
    ctx.fs.mkdirSync(hostPath(ctx, DIR), { recursive: true });
    let failing = true;
    const { fs } = faultyFs(ctx.fs, [{ op: 'unlink', path: (p) => failing && /\.lock-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/.test(p), code: 'EPERM' }]);
    const disk = ctx.make({ fs });
    // Without reuse each lock's temp is removed right after its link(): 70 failed removals.
    for (let i = 0; i < 70; i++) await withDotLock(disk, `${DIR}/f${i}`, { dataMode: 0o600, reuseTemps: false }, async () => undefined);
    expect(runtimeStats().leftoverLockTemps).toBe(64);
    failing = false;
    for (let i = 0; i < 100 && runtimeStats().leftoverLockTemps > 0; i++) await new Promise((res) => setTimeout(res, 20));
    expect(runtimeStats().leftoverLockTemps).toBe(0);
    // The 6 given up stay on disk (holding our PID) for doctor once this process is gone.
    expect(names().length).toBe(6);
  });
});

for (const backend of backends) {
  it(`removes the lock and its temp at exit when the process exits before a retry [${backend.kind}]`, () => {
    const s = backend.setup();
    try {
      const r = spawnSync(process.execPath, [join(here, 'lock-release-fail-child.mjs'), backend.kind, s.root], { encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      // Both unlinks failed during the call, and the directory is empty once the exit hooks ran.
      expect(JSON.parse(r.stdout)).toEqual({ failed: true, warnings: 1, left: [] });
      if (backend.kind === 'tmpdir') expect(s.fs.readdirSync(join(s.root, DIR))).toEqual([]);
    } finally {
      s.cleanup();
    }
  });
}
