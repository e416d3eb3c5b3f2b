/**
 * Doctor's loops over a tree's top directory (an entry per account) let the host's timers run:
 * with 50,000 entries and no disk wait in between, a timer set before the loop fires before it
 * ends. Without the pacing points the whole loop ran in one step (104 ms at 20,000 accounts).
 */
import { expect, it } from 'vitest';
import { Disk } from '../../src/io/disk.js';
import type { PortStats } from '../../src/io/fs-port.js';
import { checkLocks, type ScanCtx } from '../../src/doctor/scan.js';

const dirStat = {
  mode: 0o40755,
  uid: 0,
  gid: 0,
  size: 4096,
  ino: 1,
  dev: 1,
  nlink: 2,
  mtimeMs: 0,
  ctimeMs: 0,
  isFile: () => false,
  isDirectory: () => true,
  isSymbolicLink: () => false,
} satisfies PortStats;

it('checkLocks over 50,000 account entries lets a timer run before it ends', async () => {
  const sc: ScanCtx = { disk: new Disk({ root: '/nonexistent-root' }), fix: false, user: undefined, graceMs: 0, now: 0, pidAlive: () => true, findings: [] };
  const entries = new Map(Array.from({ length: 50_000 }, (_, i) => [`user${i}`, dirStat as PortStats]));
  const order: string[] = [];
  setTimeout(() => order.push('timer'), 0);
  const locks = await checkLocks(sc, 'integration', '/links', entries, (n) => n).then((r) => (order.push('checked'), r));
  expect(order).toEqual(['timer', 'checked']);
  expect(locks.states.size).toBe(0);
  expect(sc.findings).toEqual([]);
});
