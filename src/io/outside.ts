/**
 * Explicit access to host paths outside the root prefix, for cPanel account archives only: an
 * extracted `cpmove-USER/` directory or a `cpmove-USER.tar.gz` may sit anywhere (a backup disk,
 * /home/backups). Everything else in the library speaks cPanel paths under the root; this module
 * is the one deliberate exception, and it is narrow:
 * - reads are of regular files only (lstat first, then `O_NOFOLLOW | O_NONBLOCK` and an fstat that
 *   must be the same inode), bounded by a byte limit, and never block on a FIFO or a device, even
 *   one swapped in between the lstat and the open;
 * - listings report each entry's kind from lstat, so callers can refuse links and devices;
 * - writes are atomic (hidden temp file with its final mode, fsync, rename, directory fsync) and
 *   never go through a symlink.
 * The caller passes the fs port; nothing here imports `node:fs`.
 */
import { posix as path } from 'node:path';
import type { FsPort, PortStats } from './fs-port.js';
import { LinkstoreError, errnoCode, ioError, isEnoent } from './errors.js';
import { tempNameFor } from './commit.js';
import { closeQuietly, fsyncFds, unlinkQuietly } from './sys.js';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export interface HostEntry {
  name: string;
  kind: EntryKind;
  stat: PortStats;
}

export function kindOf(st: PortStats): EntryKind {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

/** lstat a host path; undefined when it does not exist. */
export function lstatHost(fs: FsPort, host: string): PortStats | undefined {
  try {
    return fs.lstatSync(host);
  } catch (e) {
    if (isEnoent(e) || errnoCode(e) === 'ENOTDIR') return undefined;
    throw ioError(e, 'inspect', host);
  }
}

/** The entries of a host directory with their lstat kinds, sorted by name; undefined when missing. */
export function listHostDir(fs: FsPort, host: string): HostEntry[] | undefined {
  const st = lstatHost(fs, host);
  if (st === undefined) return undefined;
  if (!st.isDirectory()) {
    throw new LinkstoreError(st.isSymbolicLink() ? 'E_SYMLINK' : 'E_NOT_DIRECTORY', `“${host}” must be a directory (not a link or a file).`, { path: host });
  }
  let names: string[];
  try {
    names = fs.readdirSync(host).map(String);
  } catch (e) {
    throw ioError(e, 'list', host);
  }
  const out: HostEntry[] = [];
  for (const name of names.sort()) {
    const s = lstatHost(fs, path.join(host, name));
    if (s !== undefined) out.push({ name, kind: kindOf(s), stat: s });
  }
  return out;
}

/** Read a regular host file of at most `limit` bytes (E_NOT_FILE, E_SYMLINK or E_INVALID_PARAM otherwise). */
export function readHostFile(fs: FsPort, host: string, limit: number): Buffer {
  const before = lstatHost(fs, host);
  if (before === undefined) throw new LinkstoreError('E_NOT_FOUND', `“${host}” does not exist.`, { path: host });
  if (before.isSymbolicLink()) throw new LinkstoreError('E_SYMLINK', `Refusing to read through the symbolic link “${host}”.`, { path: host });
  if (!before.isFile()) throw new LinkstoreError('E_NOT_FILE', `“${host}” is not a regular file.`, { path: host });
  if (before.size > limit) throw tooLarge(host, limit);
  let fd: number;
  try {
    fd = fs.openSync(host, readFlags(fs));
  } catch (e) {
    throw ioError(e, 'open', host);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) {
      throw new LinkstoreError('E_NOT_FILE', `“${host}” changed while it was being opened.`, { path: host });
    }
    const buf = Buffer.allocUnsafe(Math.min(st.size, limit) + 1);
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, total, buf.length - total, total);
      if (n <= 0) break;
      total += n;
      if (total > limit) throw tooLarge(host, limit);
      if (total === buf.length) break;
    }
    return buf.subarray(0, total);
  } finally {
    closeQuietly(fs, fd);
  }
}

/**
 * How a host file is opened for reading: never through a symlink, and never blocking. The lstat
 * before the open already refused a FIFO, but one swapped in after it would block a plain open
 * (and the event loop) until a writer came; with O_NONBLOCK the open returns and the fstat refuses it.
 */
function readFlags(fs: FsPort): number {
  const c = fs.constants;
  return c.O_RDONLY | c.O_NOFOLLOW | (c.O_NONBLOCK ?? 0);
}

function tooLarge(host: string, limit: number): LinkstoreError {
  return new LinkstoreError('E_INVALID_PARAM', `“${host}” is larger than the limit of ${limit} bytes.`, { path: host });
}

/** An open regular host file to read in chunks (tarballs are streamed, not loaded whole). */
export interface HostReader {
  size: number;
  read(buf: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export async function openHostFile(fs: FsPort, host: string): Promise<HostReader> {
  const before = lstatHost(fs, host);
  if (before === undefined) throw new LinkstoreError('E_NOT_FOUND', `“${host}” does not exist.`, { path: host });
  if (before.isSymbolicLink()) throw new LinkstoreError('E_SYMLINK', `Refusing to read through the symbolic link “${host}”.`, { path: host });
  if (!before.isFile()) throw new LinkstoreError('E_NOT_FILE', `“${host}” is not a regular file.`, { path: host });
  const fh = await fs.promises.open(host, readFlags(fs)).catch((e: unknown) => Promise.reject(ioError(e, 'open', host)));
  const st = await fh.stat();
  if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev) {
    await fh.close();
    throw new LinkstoreError('E_NOT_FILE', `“${host}” changed while it was being opened.`, { path: host });
  }
  return {
    size: st.size,
    read: async (buf, position) => (await fh.read(buf, 0, buf.length, position)).bytesRead,
    close: () => fh.close(),
  };
}

/** Make a real directory with an exact mode unless it exists (E_SYMLINK / E_NOT_DIRECTORY if it is something else). */
export async function ensureHostDir(fs: FsPort, host: string, mode: number, dryRun = false, fsync: FsyncMode = 'thread-pool'): Promise<boolean> {
  const st = lstatHost(fs, host);
  if (st !== undefined) {
    if (st.isDirectory()) return false;
    throw new LinkstoreError(st.isSymbolicLink() ? 'E_SYMLINK' : 'E_NOT_DIRECTORY', `“${host}” must be a directory (not a link or a file).`, { path: host });
  }
  if (dryRun) return true;
  try {
    await fs.promises.mkdir(host, { mode });
    // mkdir's mode went through the umask.
    await fs.promises.chmod(host, mode);
  } catch (e) {
    throw ioError(e, 'create the directory', host);
  }
  await syncHostDir(fs, path.dirname(host), fsync);
  return true;
}

/** How a host write's fsyncs run: on the thread pool (the library's default) or inline (the CLI's). */
export type FsyncMode = 'inline' | 'thread-pool';

export interface HostWrite {
  mode: number;
  /** Owner to give the file when `owners` is set. */
  uid?: number;
  gid?: number;
  owners: boolean;
  /** Default `thread-pool`: a tarball of hundreds of MB takes a long fsync, which must not hold the host's loop. */
  fsync?: FsyncMode;
  /**
   * Asked once every chunk is in the temp file, before it is flushed or renamed: false discards
   * the temp and leaves the target as it was (a content known only as it streams, such as a
   * tarball, can then turn out to be the file's own).
   */
  publish?: () => boolean;
}

/**
 * Write `chunks` to `host` atomically: a hidden temp file beside it (O_EXCL|O_NOFOLLOW, final
 * mode and owner before any content), fsync, rename over the target, fsync of the directory.
 * A symlink or directory at the target is refused; on any failure the temp file is removed.
 * Returns whether the target was replaced (see `publish`).
 */
export async function writeHostFile(fs: FsPort, host: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, w: HostWrite): Promise<boolean> {
  const st = lstatHost(fs, host);
  if (st !== undefined && !st.isFile()) {
    throw new LinkstoreError(st.isSymbolicLink() ? 'E_SYMLINK' : 'E_NOT_FILE', `Refusing to replace “${host}”: it is not a regular file.`, { path: host });
  }
  const dir = path.dirname(host);
  const temp = path.join(dir, tempNameFor(path.basename(host)));
  const c = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(temp, c.O_CREAT | c.O_EXCL | c.O_WRONLY | c.O_NOFOLLOW, w.mode);
  } catch (e) {
    throw ioError(e, 'create', temp);
  }
  try {
    fs.fchmodSync(fd, w.mode);
    if (w.owners && w.uid !== undefined && w.gid !== undefined) fs.fchownSync(fd, w.uid, w.gid);
    let offset = 0;
    for await (const chunk of chunks) {
      writeAt(fs, fd, chunk, offset);
      offset += chunk.length;
    }
    if (w.publish?.() === false) {
      closeQuietly(fs, fd);
      unlinkQuietly(fs, temp);
      return false;
    }
    await fsyncFds(fs, [fd], w.fsync ?? 'thread-pool');
  } catch (e) {
    closeQuietly(fs, fd);
    unlinkQuietly(fs, temp);
    throw e instanceof LinkstoreError ? e : ioError(e, 'write', temp);
  }
  closeQuietly(fs, fd);
  try {
    fs.renameSync(temp, host);
  } catch (e) {
    unlinkQuietly(fs, temp);
    throw ioError(e, 'replace', host);
  }
  await syncHostDir(fs, dir, w.fsync ?? 'thread-pool');
  return true;
}

function writeAt(fs: FsPort, fd: number, chunk: Uint8Array, offset: number): void {
  let off = 0;
  while (off < chunk.length) {
    const n = fs.writeSync(fd, chunk, off, chunk.length - off, offset + off);
    if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    off += n;
  }
}

/** Remove a regular file (or nothing); refuses anything else. */
export function removeHostFile(fs: FsPort, host: string): void {
  const st = lstatHost(fs, host);
  if (st === undefined) return;
  if (st.isDirectory()) throw new LinkstoreError('E_NOT_FILE', `Refusing to remove the directory “${host}”.`, { path: host });
  try {
    fs.unlinkSync(host);
  } catch (e) {
    if (!isEnoent(e)) throw ioError(e, 'remove', host);
  }
}

/** Remove an empty directory (or nothing); refuses anything else (a link, a file). */
export function removeHostDir(fs: FsPort, host: string): void {
  const st = lstatHost(fs, host);
  if (st === undefined) return;
  if (!st.isDirectory()) throw new LinkstoreError('E_NOT_DIRECTORY', `Refusing to remove “${host}”: it is not a directory.`, { path: host });
  try {
    fs.rmdirSync(host);
  } catch (e) {
    if (!isEnoent(e)) throw ioError(e, 'remove the directory', host);
  }
}

/** fsync a host directory (best effort where the filesystem cannot). */
export async function syncHostDir(fs: FsPort, dir: string, mode: FsyncMode = 'thread-pool'): Promise<void> {
  const c = fs.constants;
  let fd: number;
  try {
    // A directory only: anything else swapped in (a FIFO) is neither flushed nor waited on. The
    // operator chose this directory, and a symlink to it is flushed like the directory itself.
    fd = fs.openSync(dir, c.O_RDONLY | (c.O_DIRECTORY ?? 0) | (c.O_NONBLOCK ?? 0));
  } catch {
    return;
  }
  try {
    await fsyncFds(fs, [fd], mode);
  } catch (e) {
    if (errnoCode(e) !== 'EINVAL' && errnoCode(e) !== 'ENOTSUP') throw ioError(e, 'flush', dir);
  } finally {
    closeQuietly(fs, fd);
  }
}
