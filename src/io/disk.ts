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
import { asFsPort, nodeFsPort, type FsPort, type PortStats } from './fs-port.js';
import { closeQuietly, readAll } from './sys.js';

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
   * How fsync runs: `inline` (default) blocks the event loop for the disk's flush latency
   * (typically 0.2–2 ms per file) and measured 30–50% faster per durable write than handing each
   * fsync to the thread pool, whose wake-ups are costly on small VMs; `thread-pool` keeps the loop
   * free during flushes, for daemons that serve other latency-sensitive work on the same thread.
   */
  fsync?: 'inline' | 'thread-pool';
}

/** A resolved host path and the lstat of its last component (undefined when it is missing). */
export interface Resolved {
  host: string;
  stat: PortStats | undefined;
}

interface DiskScope {
  /** Resolved existing directories by normalized cPanel path. */
  dirs: Map<string, Resolved>;
  /** Files read through the view: host path → the fstat they were read under and their bytes. */
  reads: Map<string, { stat: PortStats; content: Buffer }>;
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
    this.fsyncMode = options.fsync ?? 'inline';
  }

  get p(): FsPort['promises'] {
    return this.fs.promises;
  }

  /** Host path for a cPanel absolute path, without any checks. */
  host(cpanelPath: string): string {
    if (!cpanelPath.startsWith('/')) {
      throw new LinkstoreError('E_INVALID_PARAM', `Internal error: “${cpanelPath}” is not an absolute cPanel path.`);
    }
    const norm = path.normalize(cpanelPath);
    return this.root === '/' ? norm : path.join(this.root, norm);
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
    return stat?.isSymbolicLink() ? undefined : { host, stat };
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
    view.scope = { dirs: new Map(), reads: new Map() };
    return view;
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
    const realRoot = this.realRoot();
    if (realRoot === undefined) return undefined;
    let real: string;
    try {
      real = this.realpath(host);
    } catch {
      return undefined;
    }
    const expected = realRoot === '/' ? path.normalize(cpanelPath) : path.join(realRoot, path.normalize(cpanelPath));
    if (real !== expected) return undefined;
    const stat = this.lstatSyncOrUndefined(host);
    return stat === undefined ? undefined : { host, stat };
  }

  private realRootMemo: string | null | undefined;

  /** The root's own real path (the root may itself sit behind a symlink, which is allowed). */
  private realRoot(): string | undefined {
    if (this.realRootMemo === undefined) {
      try {
        this.realRootMemo = this.realpath(this.root);
      } catch {
        this.realRootMemo = null;
      }
    }
    return this.realRootMemo ?? undefined;
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
    let cpSoFar = '';
    let st: PortStats | undefined = undefined;
    if (parts.length === 0) return { host: hostSoFar, stat: this.lstatSyncOrUndefined(hostSoFar) };
    for (let i = 0; i < parts.length; i++) {
      cpSoFar += '/' + parts[i];
      const next = path.join(hostSoFar, parts[i] as string);
      st = this.lstatSyncOrUndefined(next);
      if (st === undefined) return { host: path.join(next, ...parts.slice(i + 1)), stat: undefined };
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
        if (!isInside(this.root, real)) {
          throw new LinkstoreError(
            'E_OUTSIDE_ROOT',
            `The symbolic link “${next}” resolves to “${real}”, outside the root “${this.root}”; refusing to follow it.`,
            { path: next },
          );
        }
        hostSoFar = real;
        st = this.lstatSyncOrUndefined(real);
      } else {
        hostSoFar = next;
      }
    }
    return { host: hostSoFar, stat: st };
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
   * opens through one anywhere (O_NOFOLLOW on the resolved path).
   */
  async readFile(cpanelPath: string): Promise<Buffer | undefined> {
    const hostPath = this.scopedOpenPath(cpanelPath) ?? (await this.resolve(cpanelPath));
    const fs = this.fs;
    let fd: number;
    try {
      fd = fs.openSync(hostPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (e) {
      if (isEnoent(e) || errnoCode(e) === 'ENOTDIR') return undefined;
      if (errnoCode(e) === 'ELOOP') {
        throw new LinkstoreError('E_SYMLINK', `Refusing to read through the symbolic link “${hostPath}”.`, { path: hostPath, cause: e });
      }
      throw ioError(e, 'open', hostPath);
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        throw new LinkstoreError('E_NOT_FILE', `“${hostPath}” is not a regular file.`, { path: hostPath });
      }
      const content = readAll(fs, fd, st);
      this.scope?.reads.set(hostPath, { stat: st, content });
      return content;
    } catch (e) {
      if (errnoCode(e) === 'EISDIR') throw new LinkstoreError('E_NOT_FILE', `“${hostPath}” is not a regular file.`, { path: hostPath, cause: e });
      throw ioError(e, 'read', hostPath);
    } finally {
      closeQuietly(fs, fd);
    }
  }

  /**
   * In a scoped view, a file directly below a directory it resolved inside a managed tree: the
   * path to open with O_NOFOLLOW, without an lstat first. Inside managed trees a symlink is
   * refused at every component, and O_NOFOLLOW refuses one at the last (ELOOP → E_SYMLINK).
   */
  private scopedOpenPath(cpanelPath: string): string | undefined {
    if (this.scope === undefined) return undefined;
    const norm = path.normalize(cpanelPath);
    const parent = this.scope.dirs.get(path.dirname(norm));
    return parent !== undefined && this.managedTreeOf(norm) !== undefined ? path.join(parent.host, path.basename(norm)) : undefined;
  }

  /** Names in a directory (cPanel path), or `undefined` when it does not exist. */
  async readdir(cpanelPath: string): Promise<string[] | undefined> {
    const hostPath = await this.resolve(cpanelPath);
    const st = await this.lstatOrUndefined(hostPath);
    if (st === undefined) return undefined;
    if (!st.isDirectory()) {
      throw new LinkstoreError('E_NOT_DIRECTORY', `“${hostPath}” is not a directory.`, { path: hostPath });
    }
    try {
      return this.fs.readdirSync(hostPath).map(String);
    } catch (e) {
      if (isEnoent(e)) return undefined;
      throw ioError(e, 'list', hostPath);
    }
  }

  /** Stat by cPanel path after the symlink checks; `undefined` when missing. */
  async statPath(cpanelPath: string): Promise<PortStats | undefined> {
    return this.lstatOrUndefined(await this.resolve(cpanelPath));
  }
}
