/**
 * The cPanel account list: names of regular files in /var/cpanel/users (symlinks followed, as
 * Perl's `-f`, but only inside the root). Cached on the directory's own stat: adding, removing
 * or replacing an entry changes the directory's mtime.
 */
import { posix as path } from 'node:path';
import type { Disk } from '../io/disk.js';
import { pace } from '../io/pace.js';
import { CPANEL_USERS_DIR } from './cpuser.js';
import { isAbsence, Watched, type CacheClock } from './file-cache.js';

export class WatchedAccounts extends Watched<ReadonlySet<string>> {
  constructor(
    clock: CacheClock,
    private readonly disk: Disk,
  ) {
    super(clock);
  }

  protected async sign(): Promise<string | undefined> {
    try {
      const st = await this.disk.statPath(CPANEL_USERS_DIR);
      return st === undefined ? 'missing' : `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (e) {
      return isAbsence(e) ? 'missing' : undefined;
    }
  }

  /** A missing directory is no accounts; any other failure propagates (an unreadable list is not "none"). */
  protected async load(): Promise<{ value: ReadonlySet<string>; cacheable: boolean }> {
    const names = await this.disk.readdir(CPANEL_USERS_DIR);
    const accounts = new Set<string>();
    if (names === undefined) return { value: accounts, cacheable: true };
    const hostDir = await this.disk.resolve(CPANEL_USERS_DIR);
    for (const name of names.sort()) {
      // One entry per account: on a big server, let the host's event loop turn between stretches.
      await pace();
      const st = await this.disk.lstatOrUndefined(path.join(hostDir, name));
      if (st?.isFile()) accounts.add(name);
      else if (st?.isSymbolicLink() && (await this.followsToFile(name))) accounts.add(name);
    }
    return { value: accounts, cacheable: true };
  }

  private async followsToFile(name: string): Promise<boolean> {
    try {
      return (await this.disk.statPath(`${CPANEL_USERS_DIR}/${name}`))?.isFile() === true;
    } catch {
      return false; // dangling, or pointing outside the root: not an account we will read
    }
  }
}
