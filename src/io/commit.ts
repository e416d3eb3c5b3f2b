/**
 * Atomic, durable replacement of one or many files.
 *
 * 1. Check every target (no symlink, a regular file or absent, parent directory present).
 * 2. Keep the old content of every target but the last, for rollback.
 * 3. Stage: a hidden temp file per write in the target's directory, created O_EXCL|O_NOFOLLOW
 *    with the final mode (the umask can only remove bits, and an fchmod follows), chowned before
 *    it has any content, written fully; all temps are then fsynced together.
 * 4. Publish in the given order: rename each temp over its target, unlink removals.
 *    If step k fails, steps < k are undone from the saved old content (cPanel's rollback deletes
 *    files instead), and the remaining temps are removed.
 * 5. fsync every touched directory once.
 *
 * A failure before publishing leaves every old file intact and no temp file behind.
 */
import { randomBytes } from 'node:crypto';
import { posix as path } from 'node:path';
import type { Disk, Resolved } from './disk.js';
import { LinkstoreError, errnoCode, ioError, isEnoent } from './errors.js';
import type { PortStats } from './fs-port.js';
import { closeQuietly, fsyncFds, readAll, unlinkQuietly, writeAll } from './sys.js';
import { flushFilesystems } from './flush.js';
import { umaskNow } from './umask.js';
import { formatMode, sha256, type PlannedOp } from './plan.js';

export type FileOp =
  | { op: 'write'; /** cPanel path */ path: string; content: Uint8Array; mode: number; uid?: number; gid?: number }
  | { op: 'remove'; /** cPanel path */ path: string };

export interface CommitOptions {
  /**
   * Called after everything is staged and just before the first rename; throwing aborts the
   * commit with nothing changed. Locks use it to check that they are still held and in time.
   */
  beforePublish?: () => void | Promise<void>;
  /** Collect directories to fsync here instead of syncing them now (batches sync once at the end). */
  deferDirSync?: Set<string>;
  /**
   * How staged temp files are made durable before the renames: `fsync` each (default), or one
   * filesystem flush (`syncfs`, see flush.ts) — for batches, falling back to fsync where unavailable.
   */
  flush?: 'fsync' | 'filesystem';
}

const TEMP_PREFIX = '.tmp.';
const TEMP_SUFFIX = '.tmp';

/**
 * The library's temp name for `base`: dot-prefixed (listers skip it), no cPanel suffix
 * (`.db`, `.userconfig`, `.adminconfig`), never starting with `dynamicui_` or `group_`.
 */
// Unpredictability is not what makes temp files safe (O_EXCL|O_NOFOLLOW does); uniqueness is.
// A random per-process prefix plus a counter is unique and far cheaper than randomBytes per file.
const tempPrefix = randomBytes(4).toString('hex');
let tempCounter = 0;

export function tempNameFor(base: string): string {
  tempCounter = (tempCounter + 1) % 0x100000000;
  const hex = tempPrefix + tempCounter.toString(16).padStart(8, '0');
  const full = `${TEMP_PREFIX}${hex}.${base}${TEMP_SUFFIX}`;
  return Buffer.byteLength(full) <= 255 ? full : `${TEMP_PREFIX}${hex}.long${TEMP_SUFFIX}`;
}

/** Whether a directory entry is one of our temp files (for doctor and listers). */
export function isLibraryTempName(name: string): boolean {
  return /^\.tmp\.[0-9a-f]{16}\..*\.tmp$/s.test(name);
}

interface Target {
  op: FileOp;
  host: string;
  dir: string;
  existed: boolean;
  /** The target's lstat when it was inspected (undefined when it did not exist). */
  stat?: PortStats;
  backup?: { content: Buffer; mode: number; uid: number; gid: number };
  temp?: string;
}

/** The plan for `ops` as a dry run would print it. */
export function describeOps(disk: Disk, ops: readonly FileOp[]): PlannedOp[] {
  return ops.map((o) => {
    if (o.op === 'remove') return { op: 'remove', path: disk.host(o.path) };
    const planned: PlannedOp = {
      op: 'write',
      path: disk.host(o.path),
      mode: formatMode(o.mode),
      owner: o.uid === undefined ? undefined : `${o.uid}:${o.gid ?? o.uid}`,
      sha256: '', // replaced in place (same key order) by the lazy property below
      bytes: o.content.length,
    };
    return withLazySha256(planned, o.content);
  });
}

/**
 * Adds `sha256` as an enumerable property computed on first read: most callers of a mutation
 * never look at the plan's digests, and hashing every file written showed up in the link
 * benchmark. Reading, spreading, JSON or structuredClone all see an ordinary string property.
 */
function withLazySha256(planned: PlannedOp, content: Uint8Array): PlannedOp {
  let digest: string | undefined;
  return Object.defineProperty(planned, 'sha256', {
    enumerable: true,
    configurable: true,
    get: () => (digest ??= sha256(content)),
    set: (v: string) => {
      digest = v;
    },
  });
}

async function inspectTarget(disk: Disk, op: FileOp, dirs: Map<string, Promise<Resolved>>): Promise<Target> {
  const parent = path.dirname(op.path);
  let resolved = dirs.get(parent);
  if (!resolved) {
    resolved = disk.resolveStat(parent);
    dirs.set(parent, resolved);
  }
  const { host: dir, stat: dst } = await resolved;
  const host = path.join(dir, path.basename(op.path));
  return inspectResolved(disk, op, dir, host, dst, disk.lstatSyncOrUndefined(host));
}

function inspectResolved(disk: Disk, op: FileOp, dir: string, host: string, dst: PortStats | undefined, st: PortStats | undefined): Target {
  if (st?.isSymbolicLink()) {
    throw new LinkstoreError('E_SYMLINK', `Refusing to replace the symbolic link “${host}”; remove it and retry.`, { path: host });
  }
  if (st !== undefined && !st.isFile()) {
    throw new LinkstoreError('E_NOT_FILE', `“${host}” must be a regular file but is not.`, { path: host });
  }
  if (op.op === 'write') {
    if (dst === undefined || !dst.isDirectory()) {
      throw new LinkstoreError('E_NOT_DIRECTORY', `Cannot write “${host}”: its directory does not exist.`, { path: host });
    }
    if (op.content.length === 0) {
      throw new LinkstoreError('E_WRITE_FAILED', `Refusing to write an empty file “${host}”.`, { path: host });
    }
  }
  return { op, host, dir, existed: st !== undefined, stat: st };
}

function readBackup(disk: Disk, t: Target): void {
  if (!t.existed) return;
  // A scoped disk that read this very file during the operation already holds its content.
  const seen = t.stat && disk.recentRead(t.host, t.stat);
  if (seen && t.stat) {
    t.backup = { content: seen, mode: t.stat.mode & 0o7777, uid: t.stat.uid, gid: t.stat.gid };
    return;
  }
  const fs = disk.fs;
  let fd: number;
  try {
    fd = fs.openSync(t.host, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if (isEnoent(e)) {
      t.existed = false;
      return;
    }
    throw ioError(e, 'read', t.host);
  }
  try {
    const st = fs.fstatSync(fd);
    t.backup = { content: readAll(fs, fd, st), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (e) {
    throw ioError(e, 'read', t.host);
  } finally {
    closeQuietly(fs, fd);
  }
}

/** Create, chmod, chown and fill a temp file; returns it open so the caller can fsync. */
function stageTemp(
  disk: Disk,
  dir: string,
  base: string,
  content: Uint8Array,
  mode: number,
  uid: number | undefined,
  gid: number | undefined,
  umask: number,
): { temp: string; fd: number } {
  const fs = disk.fs;
  const c = fs.constants;
  const temp = path.join(dir, tempNameFor(base));
  const fd = fs.openSync(temp, c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, mode & 0o7777);
  try {
    // The umask may have removed bits; it can never have added any, so the file was never
    // more open than `mode`. Restore the removed ones.
    if ((mode & umask) !== 0) fs.fchmodSync(fd, mode & 0o7777);
    if (disk.owners && uid !== undefined) fs.fchownSync(fd, uid, gid ?? uid);
    writeAll(fs, fd, content);
    return { temp, fd };
  } catch (e) {
    closeQuietly(fs, fd);
    unlinkQuietly(fs, temp);
    throw e;
  }
}

async function syncDir(disk: Disk, dir: string): Promise<void> {
  const fd = disk.fs.openSync(dir, disk.fs.constants.O_RDONLY);
  try {
    await fsyncFds(disk.fs, [fd], disk.fsyncMode);
  } catch (e) {
    // Some filesystems cannot fsync a directory; that is not a failure of ours.
    if (errnoCode(e) !== 'EINVAL' && errnoCode(e) !== 'ENOTSUP') throw e;
  } finally {
    closeQuietly(disk.fs, fd);
  }
}

/**
 * fsync each directory once; used by batches that deferred their directory syncs. With
 * `filesystem`, one filesystem flush replaces the per-directory fsyncs where available.
 */
export async function syncDirs(disk: Disk, dirs: Iterable<string>, options: { filesystem?: boolean } = {}): Promise<void> {
  const list = [...dirs];
  try {
    if (options.filesystem && (await flushFilesystems(disk, list))) return;
    if (disk.fsyncMode === 'inline') for (const d of list) await syncDir(disk, d);
    else await Promise.all(list.map((d) => syncDir(disk, d)));
  } catch (e) {
    throw wrapFailure(e, 'The files were replaced but the directory could not be flushed');
  }
}

function wrapFailure(e: unknown, what: string): LinkstoreError {
  if (e instanceof LinkstoreError) return e;
  const p = typeof e === 'object' && e !== null && 'path' in e ? String((e as { path: unknown }).path) : undefined;
  return new LinkstoreError('E_WRITE_FAILED', `${what}: ${errnoCode(e) ?? ''} ${e instanceof Error ? e.message : String(e)}`.trim(), {
    path: p,
    cause: e,
  });
}

function removeTemps(disk: Disk, targets: readonly Target[]): void {
  for (const t of targets) if (t.temp) unlinkQuietly(disk.fs, t.temp);
}

/** Put back what publishing step `t` replaced. Best effort: it runs while handling a failure. */
async function undo(disk: Disk, t: Target): Promise<void> {
  if (t.backup) {
    const { temp, fd } = stageTemp(disk, t.dir, path.basename(t.host), t.backup.content, t.backup.mode, t.backup.uid, t.backup.gid, umaskNow());
    try {
      await fsyncFds(disk.fs, [fd], disk.fsyncMode);
    } finally {
      closeQuietly(disk.fs, fd);
    }
    disk.fs.renameSync(temp, t.host);
  } else if (t.op.op === 'write') {
    try {
      disk.fs.unlinkSync(t.host);
    } catch (e) {
      if (!isEnoent(e)) throw e;
    }
  }
}

/**
 * Apply `ops` atomically per file and all-or-nothing across files (see the file comment).
 * Throws a LinkstoreError; on E_COMMIT_FAILED the old files were restored.
 */
export async function commitFiles(disk: Disk, ops: readonly FileOp[], options: CommitOptions = {}): Promise<void> {
  if (ops.length === 0) return;
  const targets: Target[] = [];
  try {
    const dirs = new Map<string, Promise<Resolved>>();
    for (const op of ops) targets.push(await inspectTarget(disk, op, dirs));
    // The last target never needs a backup: nothing after it can fail and require an undo.
    for (let i = 0; i < targets.length - 1; i++) readBackup(disk, targets[i] as Target);
    const open: number[] = [];
    // Read once per commit: the no-argument umask() is two system calls (set and restore).
    const umask = umaskNow();
    try {
      for (const t of targets) {
        if (t.op.op !== 'write') continue;
        const { temp, fd } = stageTemp(disk, t.dir, path.basename(t.host), t.op.content, t.op.mode, t.op.uid, t.op.gid, umask);
        t.temp = temp;
        open.push(fd);
      }
      const flushed = options.flush === 'filesystem' && open.length > 0 && (await flushFilesystems(disk, new Set(targets.map((t) => t.dir))));
      if (!flushed) await fsyncFds(disk.fs, open, disk.fsyncMode);
    } finally {
      for (const fd of open) closeQuietly(disk.fs, fd);
    }
    await options.beforePublish?.();
  } catch (e) {
    removeTemps(disk, targets);
    throw wrapFailure(e, 'Nothing was changed because a file could not be prepared');
  }

  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as Target;
    try {
      if (t.op.op === 'write') {
        disk.fs.renameSync(t.temp as string, t.host);
        t.temp = undefined;
      } else {
        try {
          disk.fs.unlinkSync(t.host);
        } catch (e) {
          if (!isEnoent(e)) throw e;
        }
      }
    } catch (e) {
      const undoErrors: unknown[] = [];
      for (let j = i - 1; j >= 0; j--) {
        await undo(disk, targets[j] as Target).catch((u: unknown) => undoErrors.push(u));
      }
      removeTemps(disk, targets);
      const restored = undoErrors.length === 0 ? 'the earlier files were restored' : `restoring the earlier files also failed (${undoErrors.length})`;
      throw new LinkstoreError('E_COMMIT_FAILED', `Could not replace “${t.host}” (${errnoCode(e) ?? 'error'}); ${restored}.`, {
        path: t.host,
        cause: e,
      });
    }
  }

  const dirs = new Set(targets.map((t) => t.dir));
  if (options.deferDirSync) {
    for (const d of dirs) options.deferDirSync.add(d);
  } else {
    await syncDirs(disk, dirs);
  }
}

/** One file, atomically and durably: the single-target case of `commitFiles`. */
export async function writeFileAtomic(
  disk: Disk,
  cpanelPath: string,
  content: Uint8Array,
  options: { mode: number; uid?: number; gid?: number } & CommitOptions,
): Promise<void> {
  const { mode, uid, gid, ...rest } = options;
  await commitFiles(disk, [{ op: 'write', path: cpanelPath, content, mode, uid, gid }], rest);
}
