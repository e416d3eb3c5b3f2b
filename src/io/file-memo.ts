/**
 * Parsed-file memo validated by stat: a file is re-read only when its identity or timestamps
 * change (device, inode, size, mtime, ctime). cPanel replaces the files we memoize by rename, so
 * every write gives a new inode. Used on read-only hot paths (e.g. "is this provider enabled?");
 * writers read fresh under their lock instead.
 */
import type { Disk } from './disk.js';

export class FileMemo<T> {
  readonly #disk: Disk;
  readonly #parse: (bytes: Buffer | undefined, hostPath: string) => T;
  readonly #entries = new Map<string, { sig: string; value: T }>();

  constructor(disk: Disk, parse: (bytes: Buffer | undefined, hostPath: string) => T) {
    this.#disk = disk;
    this.#parse = parse;
  }

  async get(cpanelPath: string): Promise<T> {
    const { host, stat } = await this.#disk.resolveStat(cpanelPath);
    const sig = stat === undefined ? 'missing' : `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
    const hit = this.#entries.get(cpanelPath);
    if (hit && hit.sig === sig) return hit.value;
    const value = this.#parse(stat === undefined ? undefined : await this.#disk.readFile(cpanelPath), host);
    // Keep only what was read against the signature it was read under; a change meanwhile
    // gives a different signature next time and a fresh read.
    this.#entries.set(cpanelPath, { sig, value });
    return value;
  }

  clear(): void {
    this.#entries.clear();
  }
}
