/**
 * A `Disk` is the fs port plus a root prefix: cPanel's absolute paths (`/var/cpanel/...`,
 * `/etc/passwd`) are mapped under `root`, so a migration can work on a mounted disk and tests can
 * work on memfs. Every domain module receives a Disk and speaks only cPanel paths to it.
 *
 * Symlink policy:
 * - inside a managed tree (`/var/cpanel/integration`, `/var/cpanel/authn`) no component may be a
 *   symlink (E_SYMLINK): cPanel follows them there and we deliberately do not;
 * - anywhere else (`/var/cpanel` itself, `/etc`) a symlink is followed only when its real path is
 *   still inside the root (E_OUTSIDE_ROOT otherwise), so an untrusted tree cannot point us at the
 *   host's own files.
 */
import { posix as path } from 'node:path';
import { LinkstoreError, errnoCode, ioError, isEnoent } from './errors.js';
import type { DotLockOptions } from './dot-lock.js';
import { asFsPort, capabilitiesOf, keptStat, nodeFsPort, type FsPort, type PortCapabilities, type PortStats } from './fs-port.js';
import type { PlannedWrites } from './planned-writes.js';
import type { DirHandle } from './dir-handle.js';
import { DirHandleCache } from './dir-cache.js';
import { openDirHandle } from './dir-handle.js';
import { pace } from './pace.js';
import { readLimitFor, resolveReadLimits, type ReadLimits } from './read-limits.js';
import { closeQuietly, openRegularForRead, readBounded, tooLarge } from './sys.js';

/**
 * A directory larger than this (its own size: about 3,000 entries on ext4, where a 2,000-entry
 * listing is 84 KiB) is listed on the thread pool. One synchronous listing of a server's 20,000
 * account directories held the event loop 18–45 ms (more when its blocks are not cached); a small
 * one stays synchronous, cheaper than a thread-pool round trip (`integration.list_1k`).
 */
const LARGE_DIRECTORY_BYTES = 128 * 1024;

export const MANAGED_TREES = ['/var/cpanel/integration', '/var/cpanel/authn'] as const;

export interface DiskOptions {
  /** Node's fs (default) or a compatible object such as memfs's `createFsFromVolume(vol)`. */
  fs?: unknown;
  /** Directory that stands for `/` (default `/`). */
  root?: string;
  /**
   * Whether to chown files and directories to the owners cPanel uses. Default: true when running
   * as root. (memfs also checks permissions against the real uid, so a normal user cannot hand
   * files to root there either.)
   */
  owners?: boolean;
  /** Defaults for every dot-lock taken through this disk (timeout, poll, critical-section bound). */
  lock?: Omit<DotLockOptions, 'dataMode'>;
  /**
   * How fsync runs: `thread-pool` (default) hands each fsync to libuv's thread pool, so the event
   * loop keeps serving the host process's timers and requests while the disk flushes (0.2–2 ms per
   * file, far more on a busy disk); `inline` blocks the loop for each flush, and is what the
   * one-shot CLI uses (nothing else shares its loop).
   */
  fsync?: 'inline' | 'thread-pool';
  /** Largest file read, in bytes, per kind of file (see read-limits.ts for the kinds and defaults). */
  limits?: Partial<ReadLimits>;
}

/** A resolved host path and the lstat of its last component (undefined when it is missing). */
export interface Resolved {
  host: string;
  stat: PortStats | undefined;
  /** The real path the checks established (the kernel's name for it), when known. */
  real?: string;
}

interface DiskScope {
  /** Resolved existing directories by normalized cPanel path. */
  dirs: Map<string, Resolved>;
  /** Files read through the view: host path → the fstat they were read under and their bytes. */
  reads: Map<string, { stat: PortStats; content: Buffer }>;
  /** Open directory handles shared by the view's locks and commits, by host path. */
  handles: Map<string, DirHandle>;
}

/**
 * What a tree scan already read, waiting for the first later reader of the same host path (see
 * `withReadAhead`): file bytes with the fstat they were read under, and directory listings.
 */
interface ReadAhead {
  files: Map<string, { stat: PortStats; content: Buffer }>;
  listings: Map<string, string[]>;
}

function isInside(base: string, p: string): boolean {
  return base === '/' || p === base || p.startsWith(base + '/');
}

export class Disk {
  readonly fs: FsPort;
  readonly root: string;
  readonly owners: boolean;
  readonly lockDefaults: Omit<DotLockOptions, 'dataMode'>;
  readonly fsyncMode: 'inline' | 'thread-pool';
  readonly capabilities: PortCapabilities;
  readonly limits: ReadLimits;

  constructor(options: DiskOptions = {}) {
    this.fs = options.fs === undefined ? nodeFsPort : asFsPort(options.fs);
    const root = options.root ?? '/';
    if (!root.startsWith('/')) {
      throw new LinkstoreError('E_INVALID_PARAM', `The root prefix “${root}” must be an absolute path.`, { param: 'root' });
    }
    this.root = path.resolve(root);
    const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
    this.owners = options.owners ?? euid === 0;
    this.lockDefaults = { ...options.lock };
    this.fsyncMode = options.fsync ?? 'thread-pool';
    this.capabilities = capabilitiesOf(this.fs);
    this.limits = resolveReadLimits(options.limits);
    this.keptDirs = this.capabilities.procFdPaths ? new DirHandleCache() : undefined;
  }

  /** Verified directory handles kept open between calls (descriptor-path ports; dir-cache.ts). */
  private readonly keptDirs: DirHandleCache | undefined;

  get p(): FsPort['promises'] {
    return this.fs.promises;
  }

  /** Host path for a cPanel absolute path, without any checks. */
  host(cpanelPath: string): string {
    if (!cpanelPath.startsWith('/')) {
      throw new LinkstoreError('E_INVALID_PARAM', `Internal error: “${cpanelPath}” is not an absolute cPanel path.`);
    }
    const norm = path.normalize(cpanelPath);
    // The root is a resolved path (no trailing slash) and `norm` starts with one: the concatenation
    // is already what path.join would return, without a second normalization.
    return this.root === '/' ? norm : this.root + norm;
  }

  /** The managed tree that contains `cpanelPath`, if any. */
  managedTreeOf(cpanelPath: string): string | undefined {
    return MANAGED_TREES.find((t) => isInside(t, cpanelPath));
  }

  /**
   * Check every component of `cpanelPath` and return the host path to use. Components that do not
   * exist are fine (the caller decides whether that is an error); the walk stops at the first one.
   */
  async resolve(cpanelPath: string): Promise<string> {
    return (await this.resolveStat(cpanelPath)).host;
  }

  /**
   * `resolve`, also returning the lstat of the final component (undefined when it is missing).
   *
   * The walk uses synchronous lstat on purpose: it runs on every file operation, the entries are
   * a handful of hot directory entries, and a synchronous lstat costs ~1 µs where a thread-pool
   * round trip costs ~40 µs each (measured by io.atomic_write_1k).
   */
  async resolveStat(cpanelPath: string): Promise<Resolved> {
    // Every operation resolves paths: the one place that keeps the host's event loop turning.
    await pace();
    const scope = this.scope;
    if (scope === undefined) return this.resolveFast(cpanelPath) ?? this.resolveWalk(cpanelPath);
    const norm = path.normalize(cpanelPath);
    const known = scope.dirs.get(norm);
    if (known !== undefined) return known;
    const r = this.resolveFromParent(norm, scope.dirs.get(path.dirname(norm))) ?? this.resolveFast(norm) ?? (await this.resolveWalk(norm));
    if (r.stat?.isDirectory()) scope.dirs.set(norm, r);
    return r;
  }

  /**
   * One step below a directory this scope already resolved: a single lstat of the last component.
   * A symlink there (or no resolved parent) returns undefined, and the full resolution decides.
   */
  private resolveFromParent(norm: string, parent: Resolved | undefined): Resolved | undefined {
    if (parent === undefined) return undefined;
    const host = path.join(parent.host, path.basename(norm));
    const stat = this.lstatSyncOrUndefined(host);
    if (stat?.isSymbolicLink()) return undefined;
    return { host, stat, real: parent.real === undefined ? undefined : path.join(parent.real, path.basename(norm)) };
  }

  private scope: DiskScope | undefined;

  /**
   * A view of this disk for one operation (one locked transaction): directories it resolves are
   * remembered for the view's lifetime, so the per-user and LinkDB directories are checked once
   * rather than by each read, lock and commit; and the files it reads are remembered with their
   * stat, so a commit can keep the content it already read as its rollback copy (see
   * `recentRead`). Only existing directories are remembered; the operation must not rename or
   * remove directories while it uses the view. The same symlink policy applies: a directory is
   * remembered only after the checks of `resolveStat` passed for it.
   */
  scoped(): Disk {
    // The view shares everything with this disk through the prototype chain and owns only its
    // scope; no state of the disk itself changes.
    const view = Object.create(this) as Disk;
    view.scope = { dirs: new Map(), reads: new Map(), handles: new Map() };
    return view;
  }

  private planned: PlannedWrites | undefined;

  /**
   * A view of this disk for one step of a dry run made of many: a file an earlier step plans to
   * write reads as that planned content (and one it plans to remove as absent), so the step
   * computes what the real run would compute after the earlier steps (planned-writes.ts).
   */
  withPlannedWrites(planned: PlannedWrites): Disk {
    const view = Object.create(this) as Disk;
    view.planned = planned;
    return view;
  }

  private ahead: ReadAhead | undefined;

  /**
   * A view of this disk for a read-only tree scan (doctor) that hands what the scan read to the
   * checks that run after it, instead of reading it all again: a file the scan read with `keep`
   * and a directory it listed through `keepListing` are served once, to the first `readFile` or
   * `readdir` of the same host path through this view or a scoped view made from it; every later
   * call reads the disk. The scan reached those paths by lstat from a resolved tree root (no
   * symlink followed, regular files opened O_NOFOLLOW | O_NONBLOCK and bounded, directories
   * checked to be directories), so what is served passed the same checks a fresh read makes; it
   * is only earlier. A removal through the view forgets the entry and its directory's listing.
   */
  withReadAhead(): Disk {
    const view = Object.create(this) as Disk;
    view.ahead = { files: new Map(), listings: new Map() };
    return view;
  }

  /** In a read-ahead view, keep the names of the directory `dirHost` (as readdir gave them) for one later `readdir`. */
  keepListing(dirHost: string, names: readonly string[]): void {
    this.ahead?.listings.set(dirHost, [...names]);
  }

  /** The kept bytes of `hostPath` (see withReadAhead), taken: the next read goes to the disk. */
  private takeKept(hostPath: string, limit: number): Buffer | undefined {
    const kept = this.ahead?.files.get(hostPath);
    if (kept === undefined) return undefined;
    this.ahead?.files.delete(hostPath);
    if (kept.stat.size > limit || kept.content.length > limit) throw tooLarge(hostPath, limit);
    this.scope?.reads.set(hostPath, kept);
    return kept.content;
  }

  /**
   * The content this scoped view read from `hostPath`, if the file is still the one it read:
   * same inode, size, mtime and ctime as `now` (an lstat taken by the caller). Files here are
   * replaced by rename, so an unchanged identity means unchanged content.
   */
  recentRead(hostPath: string, now: PortStats): Buffer | undefined {
    const r = this.scope?.reads.get(hostPath);
    if (r === undefined) return undefined;
    const s = r.stat;
    return s.ino === now.ino && s.dev === now.dev && s.size === now.size && s.mtimeMs === now.mtimeMs && s.ctimeMs === now.ctimeMs ? r.content : undefined;
  }

  /**
   * Fast path: when the real path of an existing target is exactly the path we built, no
   * component below the root is a symlink, which is all the walk would have checked. One
   * `realpath` (a single libc call) replaces one lstat per component. Anything else — a missing
   * component, a symlink anywhere, an error — takes the walk, which decides and explains.
   */
  private resolveFast(cpanelPath: string): Resolved | undefined {
    const host = this.host(cpanelPath);
    const expected = this.canonicalPath(cpanelPath);
    if (expected === undefined) return undefined;
    let real: string;
    try {
      real = this.realpath(host);
    } catch {
      return undefined;
    }
    if (real !== expected) return undefined;
    const stat = this.lstatSyncOrUndefined(host);
    return stat === undefined ? undefined : { host, stat, real: expected };
  }

  private realRootMemo: string | undefined;

  /**
   * The root's own real path (the root may itself sit behind a symlink, which is allowed). Only
   * a success is kept: a root whose target is not there yet (a volume mounted later) is resolved
   * again at the next call.
   */
  private realRoot(): string | undefined {
    if (this.realRootMemo === undefined) {
      try {
        this.realRootMemo = this.realpath(this.root);
      } catch {
        return undefined;
      }
    }
    return this.realRootMemo;
  }

  private realpath(p: string): string {
    const rp = this.fs.realpathSync;
    return typeof rp.native === 'function' ? rp.native(p) : rp(p);
  }

  /** The component-by-component walk (see the class comment for the symlink policy). */
  private async resolveWalk(cpanelPath: string): Promise<Resolved> {
    const norm = path.normalize(cpanelPath);
    const tree = this.managedTreeOf(norm);
    const parts = norm.split('/').filter(Boolean);
    let hostSoFar = this.root;
    // The kernel's name for where we are: the root's real path, then a symlink's real target.
    let realSoFar = this.realRoot() ?? this.root;
    let cpSoFar = '';
    let st: PortStats | undefined = undefined;
    if (parts.length === 0) return { host: hostSoFar, stat: this.lstatSyncOrUndefined(hostSoFar), real: realSoFar };
    for (let i = 0; i < parts.length; i++) {
      cpSoFar += '/' + parts[i];
      const next = path.join(hostSoFar, parts[i] as string);
      st = this.lstatSyncOrUndefined(next);
      if (st === undefined) return { host: path.join(next, ...parts.slice(i + 1)), stat: undefined, real: path.join(realSoFar, ...parts.slice(i)) };
      if (st.isSymbolicLink()) {
        if (tree !== undefined && isInside(tree, cpSoFar)) {
          throw new LinkstoreError(
            'E_SYMLINK',
            `Refusing to follow the symbolic link “${next}” inside the managed tree ${tree}. Replace it with a real ${i === parts.length - 1 ? 'file' : 'directory'} (\`linkstore doctor\` reports these).`,
            { path: next },
          );
        }
        let real: string;
        try {
          real = await this.p.realpath(next);
        } catch (e) {
          if (isEnoent(e)) {
            throw new LinkstoreError('E_SYMLINK', `The symbolic link “${next}” points to nothing.`, { path: next, cause: e });
          }
          throw ioError(e, 'resolve', next);
        }
        if (!isInside(this.root, real) && !isInside(this.realRoot() ?? this.root, real)) {
          throw new LinkstoreError(
            'E_OUTSIDE_ROOT',
            `The symbolic link “${next}” resolves to “${real}”, outside the root “${this.root}”; refusing to follow it.`,
            { path: next },
          );
        }
        hostSoFar = real;
        realSoFar = real;
        st = this.lstatSyncOrUndefined(real);
      } else {
        hostSoFar = next;
        realSoFar = path.join(realSoFar, parts[i] as string);
      }
    }
    return { host: hostSoFar, stat: st, real: realSoFar };
  }

  /** Synchronous lstat for the path walk; `undefined` when missing. */
  lstatSyncOrUndefined(hostPath: string): PortStats | undefined {
    try {
      return this.fs.lstatSync(hostPath);
    } catch (e) {
      if (isEnoent(e) || errnoCode(e) === 'ENOTDIR') return undefined;
      throw ioError(e, 'inspect', hostPath);
    }
  }

  /** lstat a resolved host path; `undefined` when it does not exist (synchronous inside, see resolveStat). */
  async lstatOrUndefined(hostPath: string): Promise<PortStats | undefined> {
    return this.lstatSyncOrUndefined(hostPath);
  }

  /**
   * Read a whole regular file by cPanel path. Returns `undefined` when it does not exist.
   * Refuses symlinks at the final component inside managed trees (via `resolve`) and never
   * opens through one anywhere (O_NOFOLLOW on the resolved path); never blocks on a FIFO or a
   * device (O_NONBLOCK, then fstat: anything but a regular file is E_NOT_FILE); and never reads
   * more than the limit for its kind of file (E_CORRUPT_FILE, checked before and while reading).
   */
  async readFile(cpanelPath: string, options: { maxBytes?: number } = {}): Promise<Buffer | undefined> {
    await pace();
    const planned = this.planned?.contentOf(cpanelPath);
    if (planned !== undefined) return planned ?? undefined;
    const limit = options.maxBytes ?? readLimitFor(this.limits, cpanelPath);
    const kept = this.ahead === undefined ? undefined : this.takeKept(this.host(cpanelPath), limit);
    if (kept !== undefined) return kept;
    const { host: hostPath, real } = this.scopedOpenPath(cpanelPath) ?? (await this.resolveStat(cpanelPath));
    const opened = this.openForRead(hostPath, real);
    if (opened === undefined) return undefined;
    try {
      const content = readBounded(this.fs, opened.fd, opened.stat, limit, hostPath);
      this.scope?.reads.set(hostPath, { stat: keptStat(opened.stat), content });
      return content;
    } finally {
      closeQuietly(this.fs, opened.fd);
    }
  }

  /**
   * Read a file by host path (doctor walks host paths) with the same rules as `readFile`:
   * regular files only, no blocking, bounded by the limit of its kind. With `keep`, a read-ahead
   * view keeps the bytes for the next reader of the path (see withReadAhead).
   */
  readHostFile(hostPath: string, options: { maxBytes?: number; keep?: boolean } = {}): Buffer | undefined {
    // Doctor's paths are built from the root, not resolved: an allowed symlink may lie on the way.
    const opened = this.openForRead(hostPath, this.kernelPathOf(hostPath), true);
    if (opened === undefined) return undefined;
    try {
      const limit = options.maxBytes ?? readLimitFor(this.limits, this.cpanelPathOf(hostPath) ?? hostPath);
      const content = readBounded(this.fs, opened.fd, opened.stat, limit, hostPath);
      if (options.keep === true) this.ahead?.files.set(hostPath, { stat: keptStat(opened.stat), content });
      return content;
    } finally {
      closeQuietly(this.fs, opened.fd);
    }
  }

  /**
   * Open a regular file to read (O_NOFOLLOW | O_NONBLOCK, then fstat) and, where the port has
   * descriptor paths, check that the file opened is the one at `real`, the path the checks
   * established. O_NOFOLLOW guards only the last component: a directory on the way exchanged with a
   * symlink between the checks and the open makes the kernel open a file elsewhere, whose bytes (a
   * token) must not be returned. The kernel's name for the open file says where it really is; a
   * file renamed over meanwhile (another writer's atomic replace) reads as “… (deleted)” there,
   * which is still the file that was at `real`.
   */
  private openForRead(hostPath: string, real: string | undefined, viaAllowedLinks = false): { fd: number; stat: PortStats } | undefined {
    const opened = openRegularForRead(this.fs, hostPath);
    if (opened === undefined || real === undefined || !this.capabilities.procFdPaths) return opened;
    let now: string;
    try {
      now = this.fs.readlinkSync(`/proc/self/fd/${opened.fd}`);
    } catch (e) {
      closeQuietly(this.fs, opened.fd);
      throw ioError(e, 'check the file', hostPath);
    }
    const at = (p: string) => now === p || now === `${p} (deleted)`;
    if (at(real) || (viaAllowedLinks && at(this.realInsideRoot(hostPath) ?? real))) return opened;
    closeQuietly(this.fs, opened.fd);
    throw fileMoved(hostPath);
  }

  /**
   * The kernel's path of `hostPath` through the symlinks the root allows on the way (a
   * `/var/cpanel` that links to `/data/cpanel`), when that path lies inside the root; undefined
   * otherwise. Only asked when the plain mapping did not match, so the common case costs nothing.
   */
  private realInsideRoot(hostPath: string): string | undefined {
    try {
      const real = path.join(this.realpath(path.dirname(hostPath)), path.basename(hostPath));
      const realRoot = this.realRoot();
      return isInside(this.root, real) || (realRoot !== undefined && isInside(realRoot, real)) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The kernel's name for a host path below the root that a walk reached without following a
   * symlink (doctor's tree walk): the root's own real path in place of the root. Undefined for
   * other paths (nothing to compare with).
   */
  private kernelPathOf(hostPath: string): string | undefined {
    const realRoot = this.realRoot();
    if (realRoot !== undefined && isInside(realRoot, hostPath)) return hostPath;
    const cp = this.cpanelPathOf(hostPath);
    if (cp === undefined || realRoot === undefined) return undefined;
    return realRoot === '/' ? cp : cp === '/' ? realRoot : realRoot + cp;
  }

  /** The cPanel path of a host path below the root, if it is one. */
  cpanelPathOf(hostPath: string): string | undefined {
    if (this.root === '/') return hostPath;
    if (hostPath === this.root) return '/';
    return hostPath.startsWith(this.root + '/') ? hostPath.slice(this.root.length) : undefined;
  }

  /** The cPanel path of a host path that must lie below the root (E_OUTSIDE_ROOT otherwise). */
  private cpanelPathBelowRoot(hostPath: string): string {
    const cp = this.cpanelPathOf(hostPath);
    if (cp === undefined) {
      throw new LinkstoreError('E_OUTSIDE_ROOT', `“${hostPath}” is outside the root “${this.root}”; refusing to change it.`, { path: hostPath });
    }
    return cp;
  }

  /**
   * `unlinkEntry` / `rmdirEntry` / `renameEntry` for host paths below the root (as doctor and the
   * tree walkers hold them): the change still goes through a verified handle on the parent.
   */
  async removeHostEntry(hostPath: string, kind: 'file' | 'dir'): Promise<boolean> {
    const cp = this.cpanelPathBelowRoot(hostPath);
    this.ahead?.files.delete(hostPath);
    this.ahead?.listings.delete(path.dirname(hostPath));
    return kind === 'dir' ? this.rmdirEntry(cp) : this.unlinkEntry(cp);
  }

  async renameHostEntry(fromHost: string, toHost: string): Promise<void> {
    await this.renameEntry(this.cpanelPathBelowRoot(fromHost), this.cpanelPathBelowRoot(toHost));
  }

  async setHostModeOwner(hostPath: string, change: { mode?: number; uid?: number; gid?: number }): Promise<void> {
    await this.setModeOwner(this.cpanelPathBelowRoot(hostPath), change);
  }

  /**
   * An open, verified handle on the existing directory `cpanelDir` (see dir-handle.ts). A scoped
   * view shares one handle per directory among its locks and commits. Release it when done.
   */
  async openDir(cpanelDir: string): Promise<DirHandle> {
    const kept = this.keptDirs && (await this.keptDir(cpanelDir));
    if (kept !== undefined) return kept;
    const r = await this.resolveStat(cpanelDir);
    if (r.stat === undefined || !r.stat.isDirectory()) {
      throw new LinkstoreError('E_NOT_DIRECTORY', `“${r.host}” must be an existing directory but is not.`, { path: r.host });
    }
    return this.openResolvedDir(cpanelDir, r, r.stat);
  }

  /** `openDir` once `cpanelDir` is resolved to the existing directory `r`. */
  private openResolvedDir(cpanelDir: string, r: Resolved, stat: PortStats): DirHandle {
    const handles = this.scope?.handles;
    const known = handles?.get(r.host);
    if (known?.isOpen) return known.retain();
    const proc = this.capabilities.procFdPaths;
    const h = openDirHandle(this.fs, r.host, r.real ?? r.host, stat, proc, handles && ((x) => handles.get(x.host) === x && handles.delete(x.host)));
    handles?.set(r.host, h);
    // Kept for later calls only when nothing on the way was a symlink (see dir-cache.ts).
    if (this.keptDirs && r.host === this.host(cpanelDir) && r.real === this.canonicalPath(cpanelDir)) this.keptDirs.keep(h);
    return h;
  }

  /** A kept handle on `cpanelDir`, verified now, shared with this scope; undefined to resolve it. */
  private async keptDir(cpanelDir: string): Promise<DirHandle | undefined> {
    await pace();
    const host = this.host(cpanelDir);
    const handles = this.scope?.handles;
    const known = handles?.get(host);
    if (known?.isOpen) return known.retain();
    const h = this.keptDirs?.take(host);
    if (h !== undefined) handles?.set(host, h);
    return h;
  }

  /** The kernel's path of `cpanelPath` when no component below the root is a symlink. */
  private canonicalPath(cpanelPath: string): string | undefined {
    const realRoot = this.realRoot();
    if (realRoot === undefined) return undefined;
    return realRoot === '/' ? path.normalize(cpanelPath) : path.join(realRoot, path.normalize(cpanelPath));
  }

  /**
   * Close the directory handles this disk keeps open between calls (they also close on their own
   * after two idle seconds). For a host that wants to unmount a disk right after its last call.
   */
  closeKeptHandles(): void {
    this.keptDirs?.clear();
  }

  /** Run `fn` with a handle on the directory of `cpanelPath` and the entry's base name. */
  async inDir<T>(cpanelPath: string, fn: (dir: DirHandle, name: string) => T | Promise<T>): Promise<T> {
    const norm = path.normalize(cpanelPath);
    const dir = await this.openDir(path.dirname(norm));
    try {
      return await fn(dir, path.basename(norm));
    } finally {
      dir.release();
    }
  }

  /** Remove a file (not a directory) through its verified directory; false when it was absent. */
  async unlinkEntry(cpanelPath: string): Promise<boolean> {
    return this.inDir(cpanelPath, (dir, name) => {
      dir.verify();
      try {
        this.fs.unlinkSync(dir.at(name));
        return true;
      } catch (e) {
        if (isEnoent(e)) return false;
        throw ioError(e, 'remove', dir.hostOf(name));
      }
    });
  }

  /** Remove an empty directory through its verified parent; false when it was absent. */
  async rmdirEntry(cpanelPath: string): Promise<boolean> {
    return this.inDir(cpanelPath, (dir, name) => {
      dir.verify();
      try {
        this.fs.rmdirSync(dir.at(name));
        return true;
      } catch (e) {
        if (isEnoent(e)) return false;
        throw ioError(e, 'remove the directory', dir.hostOf(name));
      }
    });
  }

  /** Create a directory (mode through the umask; the caller fixes it) through its verified parent. */
  async mkdirEntry(cpanelPath: string, mode: number): Promise<void> {
    await this.inDir(cpanelPath, (dir, name) => {
      dir.verify();
      this.fs.mkdirSync(dir.at(name), { mode });
    });
  }

  /** Rename an entry to another name (same filesystem), both through verified directories. */
  async renameEntry(fromCpanel: string, toCpanel: string): Promise<void> {
    await this.inDir(fromCpanel, (from, fromName) =>
      this.inDir(toCpanel, (to, toName) => {
        from.verify();
        to.verify();
        try {
          this.fs.renameSync(from.at(fromName), to.at(toName));
        } catch (e) {
          throw ioError(e, 'rename', `${from.hostOf(fromName)}” to “${to.hostOf(toName)}`);
        }
      }),
    );
  }

  /**
   * Set the mode and, when given, the owner of an existing file or directory through its verified
   * directory: the entry is opened without following a symlink or blocking, and changed by its
   * descriptor, so a symlink swapped in meanwhile is never followed.
   */
  async setModeOwner(cpanelPath: string, change: { mode?: number; uid?: number; gid?: number }): Promise<void> {
    await this.inDir(cpanelPath, (dir, name) => {
      const fs = this.fs;
      const c = fs.constants;
      if (!dir.pinned) return this.setModeOwnerByPath(dir.hostOf(name), change);
      let fd: number;
      try {
        fd = fs.openSync(dir.at(name), c.O_RDONLY | c.O_NOFOLLOW | (c.O_NONBLOCK ?? 0));
      } catch (e) {
        if (errnoCode(e) === 'ELOOP')
          throw new LinkstoreError('E_SYMLINK', `Refusing to change the symbolic link “${dir.hostOf(name)}”.`, { path: dir.hostOf(name) });
        throw ioError(e, 'open', dir.hostOf(name));
      }
      try {
        if (change.mode !== undefined) fs.fchmodSync(fd, change.mode);
        if (change.uid !== undefined) fs.fchownSync(fd, change.uid, change.gid ?? change.uid);
      } catch (e) {
        throw ioError(e, 'set the mode or owner of', dir.hostOf(name));
      } finally {
        closeQuietly(fs, fd);
      }
    });
  }

  /**
   * In a scoped view, a file directly below a directory it resolved inside a managed tree: the
   * path to open with O_NOFOLLOW, without an lstat first. Inside managed trees a symlink is
   * refused at every component, and O_NOFOLLOW refuses one at the last (ELOOP → E_SYMLINK).
   */
  private scopedOpenPath(cpanelPath: string): { host: string; real: string | undefined } | undefined {
    if (this.scope === undefined) return undefined;
    const norm = path.normalize(cpanelPath);
    const parent = this.scope.dirs.get(path.dirname(norm));
    if (parent === undefined || this.managedTreeOf(norm) === undefined) return undefined;
    const name = path.basename(norm);
    return { host: path.join(parent.host, name), real: parent.real === undefined ? undefined : path.join(parent.real, name) };
  }

  /**
   * The path form of `setModeOwner` for ports without descriptor paths (memfs, which also refuses
   * root an open of another user's 0640 file): the entry is checked not to be a symlink first.
   */
  private setModeOwnerByPath(hostPath: string, change: { mode?: number; uid?: number; gid?: number }): void {
    const st = this.lstatSyncOrUndefined(hostPath);
    if (st === undefined) throw new LinkstoreError('E_IO', `“${hostPath}” vanished before its mode or owner could be set.`, { path: hostPath });
    if (st.isSymbolicLink()) throw new LinkstoreError('E_SYMLINK', `Refusing to change the symbolic link “${hostPath}”.`, { path: hostPath });
    try {
      if (change.mode !== undefined) this.fs.chmodSync(hostPath, change.mode);
      if (change.uid !== undefined) this.fs.lchownSync(hostPath, change.uid, change.gid ?? change.uid);
    } catch (e) {
      throw ioError(e, 'set the mode or owner of', hostPath);
    }
  }

  /** Names in a directory (cPanel path), or `undefined` when it does not exist. */
  async readdir(cpanelPath: string): Promise<string[] | undefined> {
    const kept = this.ahead === undefined ? undefined : this.takeListing(this.host(cpanelPath));
    if (kept !== undefined) return kept;
    // Listed through a verified handle: a directory exchanged with a symlink after the checks
    // would otherwise list a directory elsewhere, whose names a purge would then act on.
    const dir = await this.listingHandle(cpanelPath);
    if (dir === undefined) return undefined;
    try {
      const at = dir.at('.');
      const names = this.fs.fstatSync(dir.fd).size > LARGE_DIRECTORY_BYTES ? await this.fs.promises.readdir(at) : this.fs.readdirSync(at);
      return names.map(String);
    } catch (e) {
      if (isEnoent(e)) return undefined;
      throw ioError(e, 'list', dir.host);
    } finally {
      dir.release();
    }
  }

  /**
   * A verified handle on the directory `cpanelPath` to list, or undefined when there is none: a
   * kept handle (one readlink), else one resolution and one open. A directory removed between
   * the two (a purge running beside us) is absent, as it would be a moment later.
   */
  private async listingHandle(cpanelPath: string): Promise<DirHandle | undefined> {
    const kept = this.keptDirs && (await this.keptDir(cpanelPath));
    if (kept !== undefined) return kept;
    const r = await this.resolveStat(cpanelPath);
    if (r.stat === undefined) return undefined;
    if (!r.stat.isDirectory()) throw new LinkstoreError('E_NOT_DIRECTORY', `“${r.host}” is not a directory.`, { path: r.host });
    try {
      return this.openResolvedDir(cpanelPath, r, r.stat);
    } catch (e) {
      if (e instanceof LinkstoreError && e.code === 'E_PATH_CHANGED' && this.lstatSyncOrUndefined(r.host) === undefined) return undefined;
      throw e;
    }
  }

  /** The kept listing of `dirHost` (see withReadAhead), taken: the next readdir goes to the disk. */
  private takeListing(dirHost: string): string[] | undefined {
    const kept = this.ahead?.listings.get(dirHost);
    if (kept !== undefined) this.ahead?.listings.delete(dirHost);
    return kept;
  }

  /** Stat by cPanel path after the symlink checks; `undefined` when missing. */
  async statPath(cpanelPath: string): Promise<PortStats | undefined> {
    return this.lstatOrUndefined(await this.resolve(cpanelPath));
  }
}

function fileMoved(host: string): LinkstoreError {
  return new LinkstoreError(
    'E_PATH_CHANGED',
    `A directory on the way to “${host}” was moved or replaced while it was read (another process is changing the tree); nothing was read from it. Check the tree (\`linkstore doctor\`) and retry.`,
    { path: host },
  );
}
