/**
 * How a move shows in a plan. A rename moves a directory with everything in it in one step; a
 * report that showed only the directory appearing and going would read, literally, as deleting
 * its files. So a move is one `rename` operation for the entry and, for a directory, one for each
 * entry it holds (depth first, in code-point order): the plan names every file that moves.
 */
import { posix as path } from 'node:path';
import type { Disk } from './disk.js';
import { isLockEntryName } from './dot-lock.js';
import { compareCodePoints } from './json-codec.js';
import type { PlannedOp } from './plan.js';

/**
 * The operations of moving the host entry `from` to `to`: `head` (mode, owner) goes on the entry's
 * own operation. `names` maps a name directly inside `from` to the one it will have by the time of
 * the move (an earlier step of the same call renames it). Lock files and their temps are not
 * listed: they are not data, and come and go with whoever holds a lock.
 */
export async function plannedMove(
  disk: Disk,
  from: string,
  to: string,
  head: Pick<PlannedOp, 'mode' | 'owner'> = {},
  names: ReadonlyMap<string, string> = new Map(),
): Promise<PlannedOp[]> {
  const ops: PlannedOp[] = [{ op: 'rename', from, path: to, ...head }];
  await listMoved(disk, from, from, to, names, ops);
  return ops;
}

/** The entries below `onDisk` (listed now), shown as moving from `shownFrom` to `shownTo`. */
async function listMoved(disk: Disk, onDisk: string, shownFrom: string, shownTo: string, names: ReadonlyMap<string, string>, out: PlannedOp[]): Promise<void> {
  const st = await disk.lstatOrUndefined(onDisk);
  if (st === undefined || !st.isDirectory()) return;
  const entries = ((await disk.p.readdir(onDisk)) as string[])
    .filter((n) => !isLockEntryName(n))
    .map((n) => ({ n, shown: names.get(n) ?? n }))
    .sort((a, b) => compareCodePoints(a.shown, b.shown));
  for (const { n, shown } of entries) {
    out.push({ op: 'rename', from: path.join(shownFrom, shown), path: path.join(shownTo, shown) });
    await listMoved(disk, path.join(onDisk, n), path.join(shownFrom, shown), path.join(shownTo, shown), new Map(), out);
  }
}
