/**
 * The filesystem port: the one object through which the library touches a disk.
 *
 * It is the subset of Node's `fs` that the library uses, typed structurally so that Node's own
 * `fs` module and memfs's `createFsFromVolume(vol)` both satisfy it without adapters. This file
 * is the only place that imports `node:fs`, and only to provide the default.
 */
import * as nodeFs from 'node:fs';

export interface PortStats {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  ino: number;
  dev: number;
  nlink: number;
  mtimeMs: number;
  ctimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

export interface PortFileHandle {
  readonly fd: number;
  write(buffer: Uint8Array, offset?: number, length?: number, position?: number | null): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  readFile(): Promise<Buffer | Uint8Array>;
  stat(): Promise<PortStats>;
  sync(): Promise<void>;
  chmod(mode: number): Promise<void>;
  chown(uid: number, gid: number): Promise<void>;
  close(): Promise<void>;
}

export interface PortPromises {
  open(path: string, flags: string | number, mode?: number): Promise<PortFileHandle>;
  readFile(path: string): Promise<Buffer | Uint8Array>;
  readdir(path: string): Promise<string[]>;
  lstat(path: string): Promise<PortStats>;
  stat(path: string): Promise<PortStats>;
  mkdir(path: string, options?: { mode?: number; recursive?: boolean }): Promise<string | undefined | void>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  lchown(path: string, uid: number, gid: number): Promise<void>;
  realpath(path: string): Promise<string>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
}

/**
 * What the library needs from an fs implementation.
 *
 * The hot write path (atomic commits and dot-locks) uses the synchronous metadata calls: each
 * is a few microseconds on a local filesystem, while a thread-pool round trip costs 20–60 µs and
 * a locked two-file commit makes dozens of them. Only `fsync` — the call that waits for the disk —
 * stays asynchronous, so the event loop never blocks on I/O latency. The exit-time lock release
 * also needs the sync calls, since nothing asynchronous runs at exit.
 */
export interface FsPort {
  promises: PortPromises;
  constants: {
    O_NOFOLLOW: number;
    O_CREAT: number;
    O_EXCL: number;
    O_WRONLY: number;
    O_RDONLY: number;
    O_DIRECTORY?: number;
    O_NONBLOCK?: number;
    O_NOATIME?: number;
  };
  /** What this port can do beyond the calls below (see `capabilitiesOf`); absent means none. */
  linkstoreCapabilities?: Partial<PortCapabilities>;
  lstatSync(path: string): PortStats;
  unlinkSync(path: string): void;
  openSync(path: string, flags: number, mode?: number): number;
  closeSync(fd: number): void;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  fstatSync(fd: number): PortStats;
  fchmodSync(fd: number, mode: number): void;
  fchownSync(fd: number, uid: number, gid: number): void;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, newPath: string): void;
  readdirSync(path: string): string[];
  readlinkSync(path: string): string;
  mkdirSync(path: string, options?: { mode?: number }): unknown;
  rmdirSync(path: string): void;
  chmodSync(path: string, mode: number): void;
  lchownSync(path: string, uid: number, gid: number): void;
  /** `realpathSync.native` (one libc call) is used when present. */
  realpathSync: ((path: string) => string) & { native?: (path: string) => string };
  /** The call on the write path that waits for the disk: inline or on the thread pool (Disk `fsync`). */
  fsync(fd: number, callback: (err: Error | null) => void): void;
  /**
   * `open` on the thread pool. Optional: when present, commits that overlap (a daemon serving many
   * users at once) create their temp files with it, so one commit's create waiting on the
   * filesystem journal does not hold up the others' work on the event loop.
   */
  open?(path: string, flags: number, mode: number, callback: (err: Error | null, fd: number) => void): void;
  fsyncSync(fd: number): void;
}

/** Node's own fs, the default port. */
export const nodeFsPort: FsPort = nodeFs as unknown as FsPort;

/**
 * What a port can do beyond the common calls. Behaviour that needs a real kernel is switched on
 * these flags, never on which object the port is, so a wrapping fs (the fault-injecting one in our
 * tests, a user's instrumentation) declares them and runs the same production paths.
 */
export interface PortCapabilities {
  /**
   * `/proc/self/fd/<fd>/<name>` is resolved by the kernel from the open directory `<fd>`, and
   * `readlink(/proc/self/fd/<fd>)` names where that directory is now (Linux). Changes inside a
   * managed tree then go through verified directory descriptors (see dir-handle.ts).
   */
  procFdPaths: boolean;
  /**
   * Inode numbers and nanosecond mtimes identify a file (a real disk): a lock file with our
   * inode and mtime is ours without reading it. memfs recycles inodes eagerly and keeps
   * millisecond mtimes, so there the lock's content is read as well.
   */
  stableIdentity: boolean;
  /** A filesystem flush (`sync -f DIR`, syncfs(2)) makes this port's files durable. */
  filesystemFlush: boolean;
  /** Keep a released dot-lock's temp for the next lock (lock-temps.ts); saves an inode create. */
  reuseLockTemps: boolean;
}

const NO_CAPABILITIES: PortCapabilities = { procFdPaths: false, stableIdentity: false, filesystemFlush: false, reuseLockTemps: false };

function detectNodeCapabilities(): PortCapabilities {
  const linux = process.platform === 'linux';
  let proc = false;
  if (linux) {
    try {
      proc = nodeFs.statSync('/proc/self/fd').isDirectory();
    } catch {
      proc = false;
    }
  }
  return { procFdPaths: proc, stableIdentity: true, filesystemFlush: linux, reuseLockTemps: true };
}

let nodeCapabilities: PortCapabilities | undefined;

/**
 * The capabilities of `fs`: its own `linkstoreCapabilities` when it declares them, Node's fs
 * detected on this host, and none for anything else (memfs).
 */
export function capabilitiesOf(fs: FsPort): PortCapabilities {
  if (fs.linkstoreCapabilities !== undefined) return { ...NO_CAPABILITIES, ...fs.linkstoreCapabilities };
  if (fs === nodeFsPort) return (nodeCapabilities ??= detectNodeCapabilities());
  return NO_CAPABILITIES;
}

/** Node's capabilities on this host, for a wrapping port that passes every call through to Node's fs. */
export function nodeFsCapabilities(): PortCapabilities {
  return capabilitiesOf(nodeFsPort);
}

/**
 * Accept Node's fs, memfs or anything shaped like them. The cast is confined here: memfs's
 * declared types differ from Node's in ways that do not matter for the calls above.
 */
export function asFsPort(fs: unknown): FsPort {
  const f = fs as Partial<FsPort> | undefined;
  if (!f || typeof f !== 'object' || !f.promises || typeof f.promises.open !== 'function') {
    throw new TypeError('The fs option must be Node’s fs module or a compatible object (for example memfs’s createFsFromVolume(vol)).');
  }
  return f as FsPort;
}

/**
 * Whether `/proc/<pid>` exists on this host. Used only to judge PID liveness after an EPERM
 * from `kill(pid, 0)`, exactly as cPanel does; it is a fact about this machine's processes,
 * not about the (possibly injected) disk, so it always asks the real fs.
 */
export function hostProcExists(pid: number): boolean {
  return nodeFs.existsSync(`/proc/${pid}`);
}

// Kept stats. What a long-lived map keeps of a stat: its fields, not the port's Stats object.
// Node 20 builds four Date objects with every `fs.Stats`; a doctor scan of 20,000 accounts kept
// about 75,000 of them alive until its checks took the bytes they came with (some 55 MB of the
// scan's live heap, mostly Dates and boxed numbers), and the garbage collector's pauses grew with
// that heap past the 50 ms the event loop may be held.

/** The file type, asked of the port's object once: memfs and Node agree on these, not on every mode bit. */
const OTHER = 0;
const FILE = 1;
const DIRECTORY = 2;
const SYMLINK = 3;

class KeptStat implements PortStats {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly ino: number;
  readonly dev: number;
  readonly nlink: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  private readonly kind: number;

  constructor(st: PortStats) {
    this.mode = st.mode;
    this.uid = st.uid;
    this.gid = st.gid;
    this.size = st.size;
    this.ino = st.ino;
    this.dev = st.dev;
    this.nlink = st.nlink;
    this.mtimeMs = st.mtimeMs;
    this.ctimeMs = st.ctimeMs;
    this.kind = st.isFile() ? FILE : st.isDirectory() ? DIRECTORY : st.isSymbolicLink() ? SYMLINK : OTHER;
  }

  isFile(): boolean {
    return this.kind === FILE;
  }

  isDirectory(): boolean {
    return this.kind === DIRECTORY;
  }

  isSymbolicLink(): boolean {
    return this.kind === SYMLINK;
  }
}

/** The fields of `st` in a small object of their own (see “Kept stats” above). */
export function keptStat(st: PortStats): PortStats {
  return st instanceof KeptStat ? st : new KeptStat(st);
}
