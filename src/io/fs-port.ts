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

export interface PortDirent {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
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
  constants: { O_NOFOLLOW: number; O_CREAT: number; O_EXCL: number; O_WRONLY: number; O_RDONLY: number; O_DIRECTORY?: number };
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
  /** `realpathSync.native` (one libc call) is used when present. */
  realpathSync: ((path: string) => string) & { native?: (path: string) => string };
  /** The call on the write path that waits for the disk: inline or on the thread pool (Disk `fsync`). */
  fsync(fd: number, callback: (err: Error | null) => void): void;
  fsyncSync(fd: number): void;
}

/** Node's own fs, the default port. */
export const nodeFsPort: FsPort = nodeFs as unknown as FsPort;

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
