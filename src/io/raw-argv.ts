/**
 * The command line as the kernel holds it. Node decodes `process.argv` as UTF-8 and silently
 * turns invalid bytes into U+FFFD, so a value would be stored changed; `/proc/self/cmdline` keeps
 * the bytes. This is a fact about this process, not about the (possibly injected) disk, so it
 * always asks the real fs; where there is no /proc it returns `undefined` and nothing is checked.
 */
import { nodeFsPort as fs } from './fs-port.js';

/**
 * The kernel keeps the whole command line within ARG_MAX (2 MiB with the default 8 MiB stack, a
 * quarter of the stack limit in general); a larger read means something else is at that path.
 */
const MAX_CMDLINE_BYTES = 64 * 1024 * 1024;

/**
 * Bytes of a /proc file (its size reads as 0, so read until the end), opened like every read of
 * the library: no symlink at the last component, never blocking, a regular file by fstat, bounded.
 */
function readProcFile(path: string): Buffer {
  const c = fs.constants;
  const fd = fs.openSync(path, c.O_RDONLY | c.O_NOFOLLOW | (c.O_NONBLOCK ?? 0));
  try {
    if (!fs.fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(65536);
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return Buffer.concat(chunks);
      total += n;
      if (total > MAX_CMDLINE_BYTES) throw new Error(`${path} is larger than ${MAX_CMDLINE_BYTES} bytes`);
      chunks.push(chunk.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The raw bytes of the last `count` command-line arguments, or `undefined` when they cannot be known. */
export function rawArgvTail(count: number): Buffer[] | undefined {
  let bytes: Buffer;
  try {
    bytes = readProcFile('/proc/self/cmdline');
  } catch {
    return undefined; // no /proc (not Linux, or hidden): the check is a capability, not a requirement
  }
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(0); i !== -1; i = bytes.indexOf(0, start)) {
    parts.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) parts.push(bytes.subarray(start));
  return parts.length >= count ? parts.slice(parts.length - count) : undefined;
}
