/**
 * Small descriptor-level helpers over the port's synchronous calls (see FsPort for why the hot
 * path is synchronous except for fsync). Errors are the raw errno errors; callers wrap them.
 */
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

/** Write all of `data` at offset 0 onward (short writes are retried). */
export function writeAll(fs: FsPort, fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    const n = fs.writeSync(fd, data, off, data.length - off, off);
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
