/**
 * Small descriptor-level helpers over the port's synchronous calls (see FsPort for why the hot
 * path is synchronous except for fsync). Errors are the raw errno errors; callers wrap them.
 */
import { LinkstoreError, errnoCode, ioError, isEnoent } from './errors.js';
import type { FsPort, PortStats } from './fs-port.js';

/** fsync descriptors: inline (one after another), or concurrently on the thread pool. */
export async function fsyncFds(fs: FsPort, fds: readonly number[], mode: 'inline' | 'thread-pool'): Promise<void> {
  if (mode === 'inline') {
    for (const fd of fds) fs.fsyncSync(fd);
    return;
  }
  await Promise.all(fds.map((fd) => new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())))));
}

export function closeQuietly(fs: FsPort, fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // closing is best effort on error paths
  }
}

export function unlinkQuietly(fs: FsPort, path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // already gone, or the caller is reporting a more useful error
  }
}

/** Write `data[start, end)` at file offset `start` onward (short writes are retried). */
export function writeAll(fs: FsPort, fd: number, data: Uint8Array, start = 0, end = data.length): void {
  let off = start;
  while (off < end) {
    const n = fs.writeSync(fd, data, off, end - off, off);
    if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    off += n;
  }
}

/**
 * Read a whole open file (up to `limit` bytes). The first read asks for one byte more than the
 * fstat size, so a file that did not grow is read with one call: a short read of a regular file
 * means its end was reached.
 */
export function readAll(fs: FsPort, fd: number, st: PortStats, limit = Infinity): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let want = Math.min(Math.max(0, st.size) + 1, limit);
  while (want > 0) {
    const buf = Buffer.allocUnsafe(Math.max(want, 1));
    const n = fs.readSync(fd, buf, 0, want, total);
    if (n <= 0) break;
    chunks.push(buf.subarray(0, n));
    total += n;
    if (n < want) break;
    // It grew since the fstat: keep reading in growing steps, up to the limit.
    want = Math.min(Math.max(8192, total), limit - total);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

function notFile(hostPath: string, cause?: unknown): LinkstoreError {
  return new LinkstoreError('E_NOT_FILE', `“${hostPath}” is not a regular file (a FIFO, device, socket or directory is never read); remove or replace it.`, {
    path: hostPath,
    cause,
  });
}

/**
 * Open a file for reading the only way the library reads files: `O_RDONLY | O_NOFOLLOW |
 * O_NONBLOCK`, then fstat. A FIFO or device therefore never blocks the open (a FIFO with no
 * writer would block it forever, and with it the event loop), and anything but a regular file is
 * refused as E_NOT_FILE before a byte is read. Returns undefined when the file does not exist.
 */
export function openRegularForRead(fs: FsPort, hostPath: string): { fd: number; stat: PortStats } | undefined {
  const c = fs.constants;
  const flags = c.O_RDONLY | c.O_NOFOLLOW | (c.O_NONBLOCK ?? 0);
  let fd: number;
  try {
    fd = openNoAtime(fs, hostPath, flags);
  } catch (e) {
    const code = errnoCode(e);
    if (isEnoent(e) || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') {
      throw new LinkstoreError('E_SYMLINK', `Refusing to read through the symbolic link “${hostPath}”.`, { path: hostPath, cause: e });
    }
    // A socket cannot be opened (ENXIO); a device may refuse (ENXIO, ENODEV): not a file either way.
    if (code === 'ENXIO' || code === 'ENODEV' || code === 'EISDIR') throw notFile(hostPath, e);
    throw ioError(e, 'open', hostPath);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notFile(hostPath);
    return { fd, stat };
  } catch (e) {
    closeQuietly(fs, fd);
    throw ioError(e, 'inspect', hostPath);
  }
}

/**
 * Root reads without touching the access time (`O_NOATIME`, where the port has it): a read that
 * updates atime dirties the inode, and every later fsync on the filesystem must journal it — one
 * more metadata write per file read, on every write path that reads before it writes. Only the
 * owner or CAP_FOWNER may ask; an EPERM falls back to a plain open.
 */
const NOATIME_FOR_ROOT = typeof process.geteuid === 'function' && process.geteuid() === 0;

function openNoAtime(fs: FsPort, hostPath: string, flags: number): number {
  const noAtime = NOATIME_FOR_ROOT ? (fs.constants.O_NOATIME ?? 0) : 0;
  if (noAtime === 0) return fs.openSync(hostPath, flags);
  try {
    return fs.openSync(hostPath, flags | noAtime);
  } catch (e) {
    if (errnoCode(e) !== 'EPERM') throw e;
    return fs.openSync(hostPath, flags);
  }
}

export function tooLarge(hostPath: string, limit: number): LinkstoreError {
  return new LinkstoreError(
    'E_CORRUPT_FILE',
    `The file “${hostPath}” is too large to read: it holds more than ${limit} bytes, the limit for its kind of file (the \`limits\` option raises it).`,
    { path: hostPath },
  );
}

/**
 * Read a whole open regular file of at most `limit` bytes: larger by fstat is refused before any
 * read, and a file that grows past the limit while being read is refused too (one byte more than
 * the limit is asked for, never more), so memory stays bounded by the limit, not by the file.
 */
export function readBounded(fs: FsPort, fd: number, st: PortStats, limit: number, hostPath: string): Buffer {
  if (st.size > limit) throw tooLarge(hostPath, limit);
  let content: Buffer;
  try {
    content = readAll(fs, fd, st, limit + 1);
  } catch (e) {
    if (errnoCode(e) === 'EISDIR') throw notFile(hostPath, e);
    throw ioError(e, 'read', hostPath);
  }
  if (content.length > limit) throw tooLarge(hostPath, limit);
  return content;
}
