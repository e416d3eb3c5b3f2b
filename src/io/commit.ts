/**
 * Atomic, durable replacement of one or many files.
 *
 * 1. Inspect: open a verified handle on each target's directory (dir-handle.ts) and check every
 *    target (no symlink, a regular file or absent). A write whose bytes, mode and owner already
 *    match the file, and a removal of an absent file, are dropped: nothing changes, nothing is
 *    written (no new inode, no new mtime).
 * 2. Keep the old version of every target but the last, for rollback: the content the operation
 *    already read, or else a hard link to the old inode (no read, so a huge file costs nothing).
 * 3. Stage: a hidden temp file per write in the target's directory, created O_EXCL|O_NOFOLLOW
 *    with the final mode (the umask can only remove bits, and an fchmod follows), chowned before
 *    it has any content, written fully; all temps are then fsynced together.
 * 4. Publish in the given order, after checking every directory is still where it was: rename
 *    each temp over its target, unlink removals. If step k fails, steps < k are undone from the
 *    kept versions (cPanel's rollback deletes files instead), and the remaining temps are removed.
 * 5. fsync every touched directory once. A failure from here on is E_AFTER_PUBLISH: the new
 *    content is in place, only its durability across a crash is not guaranteed.
 *
 * Every name is used through the directory handles, never by a path walked again. A failure
 * before publishing leaves every old file intact and no temp file behind.
 */
import { randomBytes } from 'node:crypto';
import { posix as path } from 'node:path';
import type { Disk } from './disk.js';
import type { DirHandle } from './dir-handle.js';
import { LinkstoreError, errnoCode, ioError, isEnoent } from './errors.js';
import type { FsPort, PortStats } from './fs-port.js';
import { closeQuietly, fsyncFds, openRegularForRead, readBounded, unlinkQuietly, writeAll } from './sys.js';
import { filesystemFlushIsCheap, flushFilesystems } from './flush.js';
import { pace } from './pace.js';
import { readLimitFor } from './read-limits.js';
import { formatMode, plannedContent, sha256, type PlannedOp } from './plan.js';

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

/** What a commit did. */
export interface CommitOutcome {
  /** False when every operation already matched the disk and nothing was written. */
  changed: boolean;
  /** The operations that were carried out (those that matched the disk are left out). */
  applied: FileOp[];
}

const TEMP_PREFIX = '.tmp.';
const TEMP_SUFFIX = '.tmp';

/**
 * The library's temp name for `base`: dot-prefixed (listers skip it), no cPanel suffix
 * (`.db`, `.userconfig`, `.adminconfig`), never starting with `dynamicui_` or `group_`, and
 * carrying the writer's PID, so `linkstore doctor` removes a dead writer's temp at once and never
 * a live writer's: `.tmp.<16 hex>-<pid>.<base>.tmp`.
 */
// Unpredictability is not what makes temp files safe (O_EXCL|O_NOFOLLOW does); uniqueness is.
// A random per-process prefix plus a counter is unique and far cheaper than randomBytes per file.
const tempPrefix = randomBytes(4).toString('hex');
let tempCounter = 0;

export function tempNameFor(base: string): string {
  tempCounter = (tempCounter + 1) % 0x100000000;
  const hex = `${tempPrefix}${tempCounter.toString(16).padStart(8, '0')}-${process.pid}`;
  const full = `${TEMP_PREFIX}${hex}.${base}${TEMP_SUFFIX}`;
  return Buffer.byteLength(full) <= 255 ? full : `${TEMP_PREFIX}${hex}.long${TEMP_SUFFIX}`;
}

const LIBRARY_TEMP = /^\.tmp\.[0-9a-f]{16}(?:-([1-9][0-9]*))?\..*\.tmp$/s;

/** Whether a directory entry is one of our temp files (for doctor and listers). */
export function isLibraryTempName(name: string): boolean {
  return LIBRARY_TEMP.test(name);
}

/** The PID of the writer that made one of our temp files (undefined for names from before PIDs). */
export function libraryTempPid(name: string): number | undefined {
  const m = LIBRARY_TEMP.exec(name);
  const pid = m?.[1] === undefined ? undefined : Number(m[1]);
  return pid !== undefined && Number.isSafeInteger(pid) ? pid : undefined;
}

interface Target {
  op: FileOp;
  dir: DirHandle;
  name: string;
  /** Host path, for messages. */
  host: string;
  existed: boolean;
  /** The target's lstat when it was inspected (undefined when it did not exist). */
  stat?: PortStats;
  /** The target's bytes when the no-op test read them (same inode as `stat`). */
  current?: Buffer;
  /** The old version for rollback: its content, or a hard link to it named `linked`. */
  backup?: { content: Buffer; mode: number; uid: number; gid: number } | { linked: string };
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
  plannedContent.set(planned, content);
  return Object.defineProperty(planned, 'sha256', {
    enumerable: true,
    configurable: true,
    get: () => (digest ??= sha256(content)),
    set: (v: string) => {
      digest = v;
    },
  });
}

/** Open (once per directory) the handles of the targets' directories and inspect each target. */
async function inspectTargets(disk: Disk, ops: readonly FileOp[], handles: Map<string, DirHandle>): Promise<Target[]> {
  const targets: Target[] = [];
  for (const op of ops) {
    const norm = path.normalize(op.path);
    const parent = path.dirname(norm);
    let dir = handles.get(parent);
    if (dir === undefined) {
      dir = await openTargetDir(disk, op, parent);
      handles.set(parent, dir);
    }
    const name = path.basename(norm);
    targets.push(inspectEntry(op, dir, name, disk.lstatSyncOrUndefined(dir.at(name))));
  }
  return targets;
}

async function openTargetDir(disk: Disk, op: FileOp, parent: string): Promise<DirHandle> {
  try {
    return await disk.openDir(parent);
  } catch (e) {
    if (e instanceof LinkstoreError && e.code === 'E_NOT_DIRECTORY') {
      const host = disk.host(op.path);
      throw new LinkstoreError('E_NOT_DIRECTORY', `Cannot write “${host}”: its directory does not exist.`, { path: host, cause: e });
    }
    throw e;
  }
}

function inspectEntry(op: FileOp, dir: DirHandle, name: string, st: PortStats | undefined): Target {
  const host = dir.hostOf(name);
  if (st?.isSymbolicLink()) {
    throw new LinkstoreError('E_SYMLINK', `Refusing to replace the symbolic link “${host}”; remove it and retry.`, { path: host });
  }
  if (st !== undefined && !st.isFile()) {
    throw new LinkstoreError('E_NOT_FILE', `“${host}” must be a regular file but is not.`, { path: host });
  }
  if (op.op === 'write' && op.content.length === 0) {
    throw new LinkstoreError('E_WRITE_FAILED', `Refusing to write an empty file “${host}”.`, { path: host });
  }
  return { op, dir, name, host, existed: st !== undefined, stat: st };
}

/**
 * Whether a target already is what the operation would make it: an absent file for a removal;
 * the same bytes, mode and (when owners are managed) owner for a write. Bytes are compared only
 * when the sizes match, from what the operation already read where possible.
 */
function alreadyInPlace(disk: Disk, t: Target): boolean {
  const op = t.op;
  if (op.op === 'remove') return !t.existed;
  const st = t.stat;
  if (st === undefined || st.size !== op.content.length || (st.mode & 0o7777) !== (op.mode & 0o7777)) return false;
  if (disk.owners && op.uid !== undefined && (st.uid !== op.uid || st.gid !== (op.gid ?? op.uid))) return false;
  const current = disk.recentRead(t.host, st) ?? readCurrent(disk, t, st);
  t.current = current;
  return current !== undefined && Buffer.compare(current, op.content) === 0;
}

/** The target's current bytes for the comparison; undefined (so: rewrite) when it cannot be read. */
function readCurrent(disk: Disk, t: Target, st: PortStats): Buffer | undefined {
  try {
    const opened = openRegularForRead(disk.fs, t.dir.at(t.name));
    if (opened === undefined || opened.stat.ino !== st.ino) {
      if (opened) closeQuietly(disk.fs, opened.fd);
      return undefined;
    }
    try {
      return readBounded(disk.fs, opened.fd, opened.stat, st.size, t.host);
    } finally {
      closeQuietly(disk.fs, opened.fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Files up to this size are kept for rollback by reading them: open, read and close change no
 * metadata, while a hard link costs two journaled operations (link, later unlink) that wait on
 * every journal commit in flight — with many commits at once, the main cost of a commit.
 */
const READ_BACKUP_MAX = 256 * 1024;

/**
 * Keep the old version of a target for rollback. Content the operation or the no-op test already
 * read is kept as is, and a small file is read; otherwise a hard link to the old inode keeps it
 * without reading (a file of any size, with its mode and owner), and only where links are refused
 * is a large file read, within its read limit.
 */
function keepBackup(disk: Disk, t: Target): void {
  if (!t.existed || t.stat === undefined) return;
  const st = t.stat;
  const seen = disk.recentRead(t.host, st) ?? t.current ?? (st.size <= READ_BACKUP_MAX ? readCurrent(disk, t, st) : undefined);
  if (seen) {
    t.backup = { content: seen, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    return;
  }
  const linked = tempNameFor(t.name);
  try {
    disk.fs.linkSync(t.dir.at(t.name), t.dir.at(linked));
    t.backup = { linked };
    return;
  } catch (e) {
    if (isEnoent(e)) {
      t.existed = false;
      return;
    }
    if (!['EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errnoCode(e) ?? '')) throw ioError(e, 'keep a rollback copy of', t.host);
  }
  const opened = openRegularForRead(disk.fs, t.dir.at(t.name));
  if (opened === undefined) {
    t.existed = false;
    return;
  }
  try {
    const content = readBounded(disk.fs, opened.fd, opened.stat, readLimitFor(disk.limits, t.op.path), t.host);
    t.backup = { content, mode: opened.stat.mode & 0o7777, uid: opened.stat.uid, gid: opened.stat.gid };
  } finally {
    closeQuietly(disk.fs, opened.fd);
  }
}

function dropBackupLinks(disk: Disk, targets: readonly Target[]): void {
  for (const t of targets) {
    if (t.backup !== undefined && 'linked' in t.backup) unlinkQuietly(disk.fs, t.dir.at(t.backup.linked));
  }
}

interface TempSpec {
  content: Uint8Array;
  mode: number;
  uid?: number;
  gid?: number;
}

const tempFlags = (fs: FsPort) => fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/** Create, chmod, chown and fill a temp file in `dir`; returns it open so the caller can fsync. */
function stageTemp(disk: Disk, dir: DirHandle, base: string, spec: TempSpec): { temp: string; fd: number } {
  const temp = tempNameFor(base);
  return fillTemp(disk, dir, temp, disk.fs.openSync(dir.at(temp), tempFlags(disk.fs), spec.mode & 0o7777), spec);
}

/**
 * `stageTemp` with the create on the thread pool (where the port has it): a create waits for the
 * journal when a flush is running, and while several commits overlap that wait must not stop the
 * event loop from running the others.
 */
async function stageTempOverlapped(disk: Disk, dir: DirHandle, base: string, spec: TempSpec): Promise<{ temp: string; fd: number }> {
  const open = disk.fs.open;
  if (open === undefined) return stageTemp(disk, dir, base, spec);
  const temp = tempNameFor(base);
  const fd = await new Promise<number>((resolve, reject) =>
    open.call(disk.fs, dir.at(temp), tempFlags(disk.fs), spec.mode & 0o7777, (err, fd) => (err ? reject(err) : resolve(fd))),
  );
  return fillTemp(disk, dir, temp, fd, spec);
}

function fillTemp(disk: Disk, dir: DirHandle, temp: string, fd: number, spec: TempSpec): { temp: string; fd: number } {
  const fs = disk.fs;
  try {
    // The umask may have removed bits; it can never have added any, so the file was never
    // more open than `mode`. Restore the removed ones. Always: reading the umask is Node's
    // umask(0)-then-restore, and meanwhile another thread of the host would create its files
    // without any umask.
    fs.fchmodSync(fd, spec.mode & 0o7777);
    if (disk.owners && spec.uid !== undefined) fs.fchownSync(fd, spec.uid, spec.gid ?? spec.uid);
    // A large file's remainder is written by stageWrites, a step at a time.
    writeAll(fs, fd, spec.content, 0, Math.min(spec.content.length, WRITE_STEP_BYTES));
    return { temp, fd };
  } catch (e) {
    closeQuietly(fs, fd);
    unlinkQuietly(fs, dir.at(temp));
    throw e;
  }
}

/**
 * Commits of this process between their first inspection and their end. When several overlap
 * (a daemon serving many users at once), their creates and renames run on the thread pool
 * (`stageTempOverlapped`), so one commit waiting on the filesystem journal never stops the others'
 * work. Their flushes: while at least `GROUP_MIN` overlap and filesystem flushes are cheap right
 * now, each joins one shared filesystem flush (group commit: one `syncfs` for all of them instead
 * of five fsyncs each queued on the pool's four threads); otherwise their fsyncs queue side by
 * side on the pool, which the journal commits together. A filesystem flush also writes back every
 * other process's dirty data — seconds on a busy server — so flush.ts watches how long flushes
 * take and stops offering them while they are slow, and no commit waits more than
 * GROUP_FLUSH_PATIENCE_MS for one before it fsyncs its own files.
 */
let commitsInFlight = 0;
const GROUP_MIN = 4;
/** A shared flush slower than this is abandoned for the commit's own fsyncs (see flush.ts). */
const GROUP_FLUSH_PATIENCE_MS = 50;

function overlapping(): boolean {
  return commitsInFlight > 1;
}

function groupFlush(disk: Disk): boolean {
  return commitsInFlight >= GROUP_MIN && filesystemFlushIsCheap(disk);
}

/**
 * Bytes of a temp file written in one step: a 100,000-link LinkDB is 12 MB, and one write of it
 * into the page cache held the event loop for 10–20 ms on top of the rest of its step.
 */
const WRITE_STEP_BYTES = 1024 * 1024;

/** Write what `fillTemp` left of `content` (beyond its first WRITE_STEP_BYTES), a step at a time. */
async function writeRemainder(disk: Disk, fd: number, content: Uint8Array): Promise<void> {
  for (let off = WRITE_STEP_BYTES; off < content.length; off += WRITE_STEP_BYTES) {
    await pace();
    writeAll(disk.fs, fd, content, off, Math.min(content.length, off + WRITE_STEP_BYTES));
  }
}

/** Stage every write's temp and make them durable (fsync each, or one filesystem flush). */
async function stageWrites(disk: Disk, targets: readonly Target[], options: CommitOptions): Promise<void> {
  const open: number[] = [];
  const overlapped = overlapping();
  try {
    for (const t of targets) {
      if (t.op.op !== 'write') continue;
      // A batch's chunk stages dozens of temps, and a create that waits on the journal (a commit
      // in flight, a journal short of space) took 0.5 ms each: let the loop turn between them.
      await pace();
      const spec = { content: t.op.content, mode: t.op.mode, uid: t.op.uid, gid: t.op.gid };
      const { temp, fd } = overlapped ? await stageTempOverlapped(disk, t.dir, t.name, spec) : stageTemp(disk, t.dir, t.name, spec);
      t.temp = temp;
      open.push(fd);
      await writeRemainder(disk, fd, spec.content);
    }
    const dirs = () => new Set(targets.map((t) => t.dir.host));
    const flushed =
      open.length > 0 &&
      (options.flush === 'filesystem'
        ? await flushFilesystems(disk, dirs())
        : groupFlush(disk) && (await flushFilesystems(disk, dirs(), { patienceMs: GROUP_FLUSH_PATIENCE_MS })));
    if (!flushed) await fsyncFds(disk.fs, open, disk.fsyncMode);
  } finally {
    for (const fd of open) closeQuietly(disk.fs, fd);
  }
}

async function fsyncDirFd(disk: Disk, fd: number): Promise<void> {
  try {
    await fsyncFds(disk.fs, [fd], disk.fsyncMode);
  } catch (e) {
    // Some filesystems cannot fsync a directory; that is not a failure of ours.
    if (errnoCode(e) !== 'EINVAL' && errnoCode(e) !== 'ENOTSUP') throw e;
  }
}

async function syncDir(disk: Disk, dir: string): Promise<void> {
  const c = disk.fs.constants;
  const fd = disk.fs.openSync(dir, c.O_RDONLY | (c.O_DIRECTORY ?? 0) | c.O_NOFOLLOW | (c.O_NONBLOCK ?? 0));
  try {
    await fsyncDirFd(disk, fd);
  } finally {
    closeQuietly(disk.fs, fd);
  }
}

/**
 * fsync each directory once; used by batches that deferred their directory syncs. With
 * `filesystem`, one filesystem flush replaces the per-directory fsyncs where available. Runs after
 * publishing, so a failure is E_AFTER_PUBLISH.
 */
export async function syncDirs(disk: Disk, dirs: Iterable<string>, options: { filesystem?: boolean } = {}): Promise<void> {
  const list = [...dirs];
  try {
    if (options.filesystem && (await flushFilesystems(disk, list))) return;
    if (disk.fsyncMode === 'inline') for (const d of list) await syncDir(disk, d);
    else await Promise.all(list.map((d) => syncDir(disk, d)));
  } catch (e) {
    throw afterPublish(e, 'the directories holding them could not be flushed');
  }
}

/** A failure once the new content is in place: say so, and what is not guaranteed. */
export function afterPublish(e: unknown, what: string): LinkstoreError {
  const p = typeof e === 'object' && e !== null && 'path' in e ? String((e as { path: unknown }).path) : undefined;
  const why = e instanceof LinkstoreError ? e.message : `${errnoCode(e) ?? 'error'}: ${e instanceof Error ? e.message : String(e)}`;
  return new LinkstoreError(
    'E_AFTER_PUBLISH',
    `The new content is in place, but ${what} (${why}); it may not survive a crash of the machine. Retrying the same call is safe.`,
    { path: p, cause: e },
  );
}

function beforePublishFailure(e: unknown): LinkstoreError {
  if (e instanceof LinkstoreError) return e;
  const p = typeof e === 'object' && e !== null && 'path' in e ? String((e as { path: unknown }).path) : undefined;
  const text = `Nothing was changed because a file could not be prepared: ${errnoCode(e) ?? ''} ${e instanceof Error ? e.message : String(e)}`;
  return new LinkstoreError('E_WRITE_FAILED', text.replace(/\s+/g, ' ').trim(), { path: p, cause: e });
}

function removeTemps(disk: Disk, targets: readonly Target[]): void {
  for (const t of targets) if (t.temp) unlinkQuietly(disk.fs, t.dir.at(t.temp));
}

/** Put back what publishing step `t` replaced. Best effort: it runs while handling a failure. */
async function undo(disk: Disk, t: Target): Promise<void> {
  const b = t.backup;
  if (b !== undefined && 'linked' in b) {
    disk.fs.renameSync(t.dir.at(b.linked), t.dir.at(t.name));
    t.backup = undefined;
  } else if (b !== undefined) {
    const { temp, fd } = stageTemp(disk, t.dir, t.name, b);
    try {
      await writeRemainder(disk, fd, b.content);
      await fsyncFds(disk.fs, [fd], disk.fsyncMode);
    } catch (e) {
      unlinkQuietly(disk.fs, t.dir.at(temp));
      throw e;
    } finally {
      closeQuietly(disk.fs, fd);
    }
    disk.fs.renameSync(t.dir.at(temp), t.dir.at(t.name));
  } else if (t.op.op === 'write') {
    try {
      disk.fs.unlinkSync(t.dir.at(t.name));
    } catch (e) {
      if (!isEnoent(e)) throw e;
    }
  }
}

/** Publish one target; while commits overlap, a rename runs on the thread pool (see stageTempOverlapped). */
async function publishOne(disk: Disk, t: Target, overlapped: boolean): Promise<void> {
  if (t.op.op === 'write') {
    if (overlapped) await disk.fs.promises.rename(t.dir.at(t.temp as string), t.dir.at(t.name));
    else disk.fs.renameSync(t.dir.at(t.temp as string), t.dir.at(t.name));
    t.temp = undefined;
    return;
  }
  try {
    disk.fs.unlinkSync(t.dir.at(t.name));
  } catch (e) {
    if (!isEnoent(e)) throw e;
  }
}

/** Publish every target in order; on a failure undo the published ones and throw E_COMMIT_FAILED. */
async function publish(disk: Disk, targets: readonly Target[]): Promise<void> {
  const overlapped = overlapping();
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as Target;
    try {
      // Renames wait on the journal as creates do (see stageWrites).
      if (i > 0) await pace();
      await publishOne(disk, t, overlapped);
    } catch (e) {
      const undoErrors: unknown[] = [];
      for (let j = i - 1; j >= 0; j--) {
        await undo(disk, targets[j] as Target).catch((u: unknown) => undoErrors.push(u));
      }
      removeTemps(disk, targets);
      dropBackupLinks(disk, targets);
      const restored = undoErrors.length === 0 ? 'the earlier files were restored' : `restoring the earlier files also failed (${undoErrors.length})`;
      throw new LinkstoreError('E_COMMIT_FAILED', `Could not replace “${t.host}” (${errnoCode(e) ?? 'error'}); ${restored}.`, {
        path: t.host,
        cause: e,
      });
    }
  }
}

/** Prepare everything short of publishing; on failure nothing is left behind. */
async function prepare(disk: Disk, targets: readonly Target[], options: CommitOptions): Promise<void> {
  try {
    // The last target never needs a backup: nothing after it can fail and require an undo.
    for (let i = 0; i < targets.length - 1; i++) keepBackup(disk, targets[i] as Target);
    await stageWrites(disk, targets, options);
    await options.beforePublish?.();
    // Right before the first rename: every directory must still be the one that was checked.
    for (const d of new Set(targets.map((t) => t.dir))) d.verify();
  } catch (e) {
    removeTemps(disk, targets);
    dropBackupLinks(disk, targets);
    throw beforePublishFailure(e);
  }
}

/** fsync each touched directory once, through the handles (or defer them to the caller). */
async function syncTargetDirs(disk: Disk, targets: readonly Target[], options: CommitOptions): Promise<void> {
  const dirs = new Set(targets.map((t) => t.dir));
  if (options.deferDirSync) {
    for (const d of dirs) options.deferDirSync.add(d.host);
    return;
  }
  try {
    const hosts = [...dirs].map((d) => d.host);
    if (groupFlush(disk) && (await flushFilesystems(disk, hosts, { patienceMs: GROUP_FLUSH_PATIENCE_MS }))) return;
    await Promise.all([...dirs].map((d) => fsyncDirFd(disk, d.fd)));
  } catch (e) {
    throw afterPublish(e, 'the directory holding it could not be flushed');
  }
}

/**
 * Apply `ops` atomically per file and all-or-nothing across files (see the file comment).
 * Throws a LinkstoreError: before publishing nothing changed; E_COMMIT_FAILED means the old
 * files were restored; E_AFTER_PUBLISH means the new ones are in place.
 */
export async function commitFiles(disk: Disk, ops: readonly FileOp[], options: CommitOptions = {}): Promise<CommitOutcome> {
  if (ops.length === 0) return { changed: false, applied: [] };
  const handles = new Map<string, DirHandle>();
  commitsInFlight++;
  try {
    const targets = (await inspectTargets(disk, ops, handles)).filter((t) => !alreadyInPlace(disk, t));
    if (targets.length === 0) return { changed: false, applied: [] };
    await prepare(disk, targets, options);
    await publish(disk, targets);
    dropBackupLinks(disk, targets);
    await syncTargetDirs(disk, targets, options);
    return { changed: true, applied: targets.map((t) => t.op) };
  } finally {
    commitsInFlight--;
    for (const h of handles.values()) h.release();
  }
}

/**
 * The operations of `ops` that would change something, in their order: the commit's own no-op
 * test (`alreadyInPlace`) without committing, for dry runs and for callers that report per item.
 * A directory that does not exist yet holds nothing, so every write into it counts.
 */
export async function changedOps(disk: Disk, ops: readonly FileOp[]): Promise<FileOp[]> {
  const handles = new Map<string, DirHandle | null>();
  const out: FileOp[] = [];
  try {
    for (const op of ops) {
      const norm = path.normalize(op.path);
      const parent = path.dirname(norm);
      let dir = handles.get(parent);
      if (dir === undefined) {
        dir = await openTargetDir(disk, op, parent).catch((e: unknown) => {
          if (e instanceof LinkstoreError && e.code === 'E_NOT_DIRECTORY') return null;
          throw e;
        });
        handles.set(parent, dir);
      }
      if (dir === null) {
        if (op.op === 'write') out.push(op);
        continue;
      }
      const name = path.basename(norm);
      if (!alreadyInPlace(disk, inspectEntry(op, dir, name, disk.lstatSyncOrUndefined(dir.at(name))))) out.push(op);
    }
    return out;
  } finally {
    for (const h of handles.values()) h?.release();
  }
}

/** One file, atomically and durably: the single-target case of `commitFiles`. */
export async function writeFileAtomic(
  disk: Disk,
  cpanelPath: string,
  content: Uint8Array,
  options: { mode: number; uid?: number; gid?: number } & CommitOptions,
): Promise<CommitOutcome> {
  const { mode, uid, gid, ...rest } = options;
  return commitFiles(disk, [{ op: 'write', path: cpanelPath, content, mode, uid, gid }], rest);
}

/** Whether an error came after the new content was published (so nothing may be rolled back). */
export function isPublishedFailure(e: unknown): boolean {
  return e instanceof LinkstoreError && e.code === 'E_AFTER_PUBLISH';
}
