/**
 * Parsed-file memo validated by stat: a file is re-read only when its identity or timestamps
 * change (device, inode, size, mtime, ctime). cPanel replaces the files we memoize by rename, so
 * every write gives a new inode. Used on read-only hot paths (e.g. "is this provider enabled?");
 * writers read fresh under their lock instead.
 */
import type { Disk } from './disk.js';
import type { PortStats } from './fs-port.js';

function signature(stat: PortStats | undefined): string {
  return stat === undefined ? 'missing' : `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

export class FileMemo<T> {
  readonly #disk: Disk;
  readonly #parse: (bytes: Buffer | undefined, hostPath: string) => T | Promise<T>;
  readonly #entries = new Map<string, { sig: string; value: T }>();

  /** `parse` may be async, so a large file (a LinkDB) is parsed in slices (see pace.ts). */
  constructor(disk: Disk, parse: (bytes: Buffer | undefined, hostPath: string) => T | Promise<T>) {
    this.#disk = disk;
    this.#parse = parse;
  }

  async get(cpanelPath: string): Promise<T> {
    // The hit test lstats the mapped path directly. That is safe without the symlink walk: the
    // value was read through a checked path, and anything planted since (a symlink at or above
    // the file) changes what this lstat sees, so it misses and the checked read below decides.
    const hit = this.#entries.get(cpanelPath);
    if (hit && hit.sig === signature(this.#disk.lstatSyncOrUndefined(this.#disk.host(cpanelPath)))) return hit.value;
    const { host, stat } = await this.#disk.resolveStat(cpanelPath);
    const sig = signature(stat);
    const value = await this.#parse(stat === undefined ? undefined : await this.#disk.readFile(cpanelPath), host);
    // Keep only what was read against the signature it was read under; a change meanwhile
    // gives a different signature next time and a fresh read.
    this.#entries.set(cpanelPath, { sig, value });
    return value;
  }

  clear(): void {
    this.#entries.clear();
  }
}
