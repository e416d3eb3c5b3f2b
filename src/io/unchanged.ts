/**
 * Idempotent writes: drop the file operations that would leave the disk as it is. A write whose
 * target is already a regular file with the same bytes, mode and (when owners are managed) owner
 * is dropped, and so is the removal of a file that is not there. Mutations run this under their
 * lock just before committing, so an identical re-run writes nothing: same inode, same mtime, and
 * cPanel's mtime-validated DynamicUI cache stays valid.
 *
 * Kept apart from commit.ts on purpose: commit-level no-op detection may subsume it; until then
 * the domain layer calls it and reports `changed` from what is left.
 */
import type { Disk } from './disk.js';
import type { FileOp } from './commit.js';

/** Whether the file at `op.path` already is exactly what `op` would write. */
async function alreadyWritten(disk: Disk, op: Extract<FileOp, { op: 'write' }>): Promise<boolean> {
  const st = await disk.statPath(op.path);
  if (st === undefined || !st.isFile() || st.size !== op.content.length || (st.mode & 0o7777) !== (op.mode & 0o7777)) return false;
  if (disk.owners && op.uid !== undefined && (st.uid !== op.uid || st.gid !== (op.gid ?? op.uid))) return false;
  const bytes = await disk.readFile(op.path);
  return bytes !== undefined && bytes.equals(op.content);
}

/** The operations of `ops` that change something, in their order. */
export async function changedOps(disk: Disk, ops: readonly FileOp[]): Promise<FileOp[]> {
  const out: FileOp[] = [];
  for (const op of ops) {
    if (op.op === 'write' ? !(await alreadyWritten(disk, op)) : (await disk.statPath(op.path)) !== undefined) out.push(op);
  }
  return out;
}
