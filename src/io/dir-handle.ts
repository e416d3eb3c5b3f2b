/**
 * Verified directory handles: every change inside a managed tree is made relative to a directory
 * that was resolved and checked once, not by a path the kernel walks again at each call.
 *
 * Checking a path and then using it is a race: a process that can rename entries along the path
 * (`renameat2(RENAME_EXCHANGE)` of a managed directory with a symlink to somewhere else) makes the
 * later `open(O_CREAT)`, `rename`, `link` or `unlink` land outside the root. `O_NOFOLLOW` guards
 * only the last component. So, where the port has `procFdPaths` (Linux, Node's fs):
 * - the directory is opened once with `O_DIRECTORY | O_NOFOLLOW`, and `readlink` of its
 *   `/proc/self/fd/<fd>` (the kernel's own name for the open directory) must be the real path the
 *   resolution checked; anything else is `E_PATH_CHANGED` and nothing was done;
 * - every entry is then named `/proc/self/fd/<fd>/<name>`: the kernel resolves `<name>` from the
 *   open directory, whatever happens to the path meanwhile (the `openat` family, through Node's
 *   path-based API);
 * - `verify()` right before publishing asks the kernel again where the directory is now, so a
 *   directory moved away mid-call is not published into (the call fails, and cleans up through
 *   the same descriptor).
 * With an injected fs (memfs) the handle keeps the path form, and `verify()` compares the
 * directory's identity (device and inode) with what the resolution saw.
 */
import { posix as path } from 'node:path';
import { LinkstoreError, errnoCode, ioError } from './errors.js';
import type { FsPort, PortStats } from './fs-port.js';
import { closeQuietly } from './sys.js';

export class DirHandle {
  readonly fs: FsPort;
  /** The host path the directory was resolved at (for messages and plans). */
  readonly host: string;
  /** The kernel's path of the directory when it was verified (procFd ports). */
  readonly real: string;
  /** An open descriptor of the directory (also used to fsync it). */
  readonly fd: number;
  readonly dev: number;
  readonly ino: number;
  private readonly procBase: string | undefined;
  private refs = 1;
  private readonly onClose: (h: DirHandle) => void;

  constructor(init: { fs: FsPort; host: string; real: string; fd: number; stat: PortStats; proc: boolean; onClose?: (h: DirHandle) => void }) {
    this.fs = init.fs;
    this.host = init.host;
    this.real = init.real;
    this.fd = init.fd;
    this.dev = init.stat.dev;
    this.ino = init.stat.ino;
    this.procBase = init.proc ? `/proc/self/fd/${init.fd}` : undefined;
    this.onClose = init.onClose ?? (() => undefined);
  }

  /** The path to use in a system call for the entry `name` of this directory. */
  at(name: string): string {
    return this.procBase === undefined ? path.join(this.host, name) : `${this.procBase}/${name}`;
  }

  /** The host path of the entry `name`, for messages. */
  hostOf(name: string): string {
    return path.join(this.host, name);
  }

  /** Whether entries are named through the descriptor (and so immune to path races). */
  get pinned(): boolean {
    return this.procBase !== undefined;
  }

  /**
   * Throw E_PATH_CHANGED unless the directory is still the one at its path: asked of the kernel
   * (procFd), or by comparing device and inode with an lstat of the path.
   */
  verify(): void {
    if (this.procBase !== undefined) {
      let now: string;
      try {
        now = this.fs.readlinkSync(this.procBase);
      } catch (e) {
        throw ioError(e, 'check the directory', this.host);
      }
      if (now !== this.real) throw pathChanged(this.host);
      return;
    }
    let st: PortStats;
    try {
      st = this.fs.lstatSync(this.host);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') throw pathChanged(this.host);
      throw ioError(e, 'check the directory', this.host);
    }
    if (!st.isDirectory() || st.ino !== this.ino || st.dev !== this.dev) throw pathChanged(this.host);
  }

  /** Whether the kernel's path of the open directory is `real` now (procFd ports; false on any error). */
  stillAt(real: string): boolean {
    if (this.procBase === undefined) return false;
    try {
      return this.fs.readlinkSync(this.procBase) === real;
    } catch {
      return false;
    }
  }

  /** Whether the descriptor is still open (some holder has not released it). */
  get isOpen(): boolean {
    return this.refs > 0;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  /** Drop one reference; the descriptor closes with the last. */
  release(): void {
    if (--this.refs > 0) return;
    closeQuietly(this.fs, this.fd);
    this.onClose(this);
  }
}

export function pathChanged(host: string): LinkstoreError {
  return new LinkstoreError(
    'E_PATH_CHANGED',
    `The directory “${host}” was moved or replaced while it was in use (another process is changing the tree); nothing was changed there. Check the tree (\`linkstore doctor\`) and retry.`,
    { path: host },
  );
}

/**
 * Open and verify the directory resolved at `host`, whose checked real path is `real` and whose
 * lstat during the resolution was `seen`.
 */
export function openDirHandle(fs: FsPort, host: string, real: string, seen: PortStats, proc: boolean, onClose?: (h: DirHandle) => void): DirHandle {
  const c = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(host, c.O_RDONLY | (c.O_DIRECTORY ?? 0) | c.O_NOFOLLOW | (c.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = errnoCode(e);
    // ELOOP: the last component became a symlink; ENOTDIR: it (or a parent) is no longer a directory.
    if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT') throw pathChanged(host);
    throw ioError(e, 'open the directory', host);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isDirectory() || st.ino !== seen.ino || st.dev !== seen.dev) throw pathChanged(host);
    const h = new DirHandle({ fs, host, real, fd, stat: st, proc, onClose });
    if (proc) h.verify();
    return h;
  } catch (e) {
    closeQuietly(fs, fd);
    throw e;
  }
}
