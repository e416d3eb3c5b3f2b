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
 * Make sure each directory exists with its mode and owner, parents first (the caller lists
 * them in order). Each is made and fixed through a verified handle on its parent (mkdir, then an
 * fchmod/fchown of the new directory opened without following links), never by a path walked
 * again. Returns the host paths of directories it created, whose parents need an fsync; the
 * cPanel paths of the directories it created are also appended to `createdLog` (for
 * `removeCreatedDirs` when the call fails before publishing).
 */
export async function ensureDirs(disk: Disk, specs: readonly DirSpec[], createdLog?: string[]): Promise<string[]> {
  const created: string[] = [];
  for (const spec of specs) {
    const host = await disk.resolve(spec.path);
    let st = await disk.lstatOrUndefined(host);
    if (st === undefined) {
      try {
        await disk.mkdirEntry(spec.path, spec.mode);
        created.push(path.dirname(host));
        createdLog?.push(spec.path);
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
      await disk.setModeOwner(spec.path, { mode: modeWrong ? spec.mode : undefined, ...(ownerWrong ? { uid: spec.uid, gid: spec.gid } : {}) });
    }
  }
  return created;
}

/**
 * Undo `ensureDirs` after a call failed before publishing: remove the directories it created,
 * deepest first, each only if it is still empty (something else may have written there since).
 */
export async function removeCreatedDirs(disk: Disk, createdLog: readonly string[]): Promise<void> {
  for (const dir of [...createdLog].reverse()) {
    try {
      await disk.rmdirEntry(dir);
    } catch {
      // not empty, or already gone: leave it
    }
  }
}
