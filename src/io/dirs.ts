/**
 * Directory creation with exact modes and owners. cPanel creates its directories through the
 * umask and re-chowns them on every call (a bug); we create with the exact mode whatever the
 * umask, repair a wrong mode, and chown only when the owner actually differs.
 */
import { posix as path } from 'node:path';
import type { Disk } from './disk.js';
import { LinkstoreError, errnoCode, ioError } from './errors.js';
import type { PlannedOp } from './plan.js';
import { formatMode } from './plan.js';

export interface DirSpec {
  /** cPanel path of the directory. */
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

/** What `ensureDirs` would do, without doing it. */
export async function planDirs(disk: Disk, specs: readonly DirSpec[]): Promise<PlannedOp[]> {
  const out: PlannedOp[] = [];
  for (const spec of specs) {
    const host = await disk.resolve(spec.path);
    const st = await disk.lstatOrUndefined(host);
    const owner = `${spec.uid}:${spec.gid}`;
    if (st === undefined) {
      out.push({ op: 'mkdir', path: host, mode: formatMode(spec.mode), owner });
      continue;
    }
    if (!st.isDirectory()) throw notDir(host);
    if ((st.mode & 0o7777) !== spec.mode) out.push({ op: 'chmod', path: host, mode: formatMode(spec.mode) });
    if (disk.owners && (st.uid !== spec.uid || st.gid !== spec.gid)) out.push({ op: 'chown', path: host, owner });
  }
  return out;
}

function notDir(host: string): LinkstoreError {
  return new LinkstoreError('E_NOT_DIRECTORY', `“${host}” must be a directory but is not; move it out of the way and retry.`, { path: host });
}

/**
 * What `ensureDirs` changed, so that a call failing before it publishes can put it back: the
 * directories it made and the existing ones whose mode or owner it repaired (with what they had),
 * in order, and the same as the operations a dry run plans (`planDirs`).
 */
export class DirChangeLog {
  /** cPanel paths of the directories made, parents first. */
  readonly created: string[] = [];
  /** Existing directories whose mode or owner was repaired, and what they had before. */
  readonly repaired: { path: string; mode: number; uid: number; gid: number }[] = [];
  /** The changes as planned operations, in the order they were made. */
  readonly ops: PlannedOp[] = [];
}

/**
 * Make sure each directory exists with its mode and owner, parents first (the caller lists
 * them in order). Each is made and fixed through a verified handle on its parent (mkdir, then an
 * fchmod/fchown of the new directory opened without following links), never by a path walked
 * again. Returns the host paths of directories it created, whose parents need an fsync; what it
 * changed is also recorded in `log` (for `undoDirChanges` when the call fails before publishing).
 */
export async function ensureDirs(disk: Disk, specs: readonly DirSpec[], log: DirChangeLog = new DirChangeLog()): Promise<string[]> {
  const created: string[] = [];
  for (const spec of specs) {
    const host = await disk.resolve(spec.path);
    let st = await disk.lstatOrUndefined(host);
    let made = false;
    if (st === undefined) {
      try {
        await disk.mkdirEntry(spec.path, spec.mode);
        created.push(path.dirname(host));
        log.created.push(spec.path);
        log.ops.push({ op: 'mkdir', path: host, mode: formatMode(spec.mode), owner: `${spec.uid}:${spec.gid}` });
        made = true;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw ioError(e, 'create the directory', host);
      }
      st = await disk.lstatOrUndefined(host);
      if (st === undefined) throw new LinkstoreError('E_IO', `The directory “${host}” vanished while it was being created.`, { path: host });
    }
    if (st.isSymbolicLink()) {
      throw new LinkstoreError('E_SYMLINK', `Refusing to use the symbolic link “${host}” as a directory.`, { path: host });
    }
    if (!st.isDirectory()) throw notDir(host);
    // chmod after mkdir: mkdir's mode went through the umask.
    const modeWrong = (st.mode & 0o7777) !== spec.mode;
    const ownerWrong = disk.owners && (st.uid !== spec.uid || st.gid !== spec.gid);
    if (modeWrong || ownerWrong) {
      if (!made) {
        // Recorded before the change, so a failure halfway through it is put back too.
        log.repaired.push({ path: spec.path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
        if (modeWrong) log.ops.push({ op: 'chmod', path: host, mode: formatMode(spec.mode) });
        if (ownerWrong) log.ops.push({ op: 'chown', path: host, owner: `${spec.uid}:${spec.gid}` });
      }
      await disk.setModeOwner(spec.path, { mode: modeWrong ? spec.mode : undefined, ...(ownerWrong ? { uid: spec.uid, gid: spec.gid } : {}) });
    }
  }
  return created;
}

/**
 * Undo `ensureDirs` after a call failed before publishing: remove the directories it made,
 * deepest first, each only if it is still empty (something else may have written there since),
 * then give the repaired ones back their old mode and owner. Best effort: it runs while handling
 * a failure, which is the error the caller reports.
 */
export async function undoDirChanges(disk: Disk, log: DirChangeLog): Promise<void> {
  for (const dir of [...log.created].reverse()) {
    try {
      await disk.rmdirEntry(dir);
    } catch {
      // not empty, or already gone: leave it
    }
  }
  for (const r of [...log.repaired].reverse()) {
    try {
      await disk.setModeOwner(r.path, { mode: r.mode, ...(disk.owners ? { uid: r.uid, gid: r.gid } : {}) });
    } catch {
      // gone or replaced since: nothing of ours to put back
    }
  }
}
