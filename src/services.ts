/**
 * The composition root: one Disk and, on first use, the Users, Integration and Authn stores that
 * share it. Stores are loaded with dynamic imports so that a CLI call touching only usernames never
 * loads the integration or authn code (CLI start-up budget), while library users simply await them.
 */
import { Disk, type DiskOptions } from './io/disk.js';
import { LinkstoreError } from './io/errors.js';
import type { FsPort } from './io/fs-port.js';
import type { AuthnStore, AuthnStoreOptions } from './authn/store.js';
import type { IntegrationStore, IntegrationStoreOptions } from './integration/store.js';
import type { Users, UsersOptions } from './users/index.js';
import type { UserLookup } from './users/lookup.js';

export interface LinkstoreOptions extends Omit<DiskOptions, 'fs'> {
  /** Node's fs (default) or an object with its interface, such as memfs's `createFsFromVolume(vol)`. */
  fs?: FsPort;
  /** Use this Disk instead of building one from `fs`/`root`/`owners`/`lock`. */
  disk?: Disk;
  /** Options of the username/passwd readers (cache interval, DB prefix length, ...). */
  users?: UsersOptions;
  /** Server hostname for OpenID Connect redirect URIs (default: /etc/hostname under the root). */
  hostname?: string;
  /** Clock in epoch milliseconds (authn `link_time`). */
  now?: () => number;
  /** Email-account existence check for authn links (default: cPanel's rule, the owner's `mail/<domain>/<local>` exists). */
  mailUserExists?: AuthnStoreOptions['mailUserExists'];
  /** Hashes that identify cPanel's default DynamicUI image (see IntegrationStoreOptions). */
  cpanelDefaultImageSha256?: IntegrationStoreOptions['cpanelDefaultImageSha256'];
}

export class Linkstore {
  readonly disk: Disk;
  readonly options: LinkstoreOptions;
  #users?: Promise<Users>;
  #integration?: Promise<IntegrationStore>;
  #authn?: Promise<AuthnStore>;

  constructor(options: LinkstoreOptions = {}) {
    this.options = options;
    this.disk = options.disk ?? openDisk(options);
  }

  /** Username checks and /etc look-ups (cached; shared by the other stores). */
  users(): Promise<Users> {
    return (this.#users ??= import('./users/index.js').then((m) => new m.Users(this.disk, this.options.users)));
  }

  /** The look-ups the stores ask of the users module (not public: see `userLookup`). */
  #userLookup(): Promise<UserLookup> {
    return Promise.all([import('./users/index.js'), this.users()]).then(([m, users]) => m.userLookup(users));
  }

  /** Integration links, groups and DynamicUI entries. */
  integration(): Promise<IntegrationStore> {
    return (this.#integration ??= Promise.all([import('./integration/store.js'), this.#userLookup()]).then(
      ([m, users]) => new m.IntegrationStore({ disk: this.disk, users, cpanelDefaultImageSha256: this.options.cpanelDefaultImageSha256 }),
    ));
  }

  /**
   * Close the directory handles kept open between calls now (they close by themselves after two
   * idle seconds): for a host about to unmount the disk it worked on. The linkstore stays usable.
   */
  close(): void {
    this.disk.closeKeptHandles();
  }

  /** External Authentication (OpenID Connect) links and providers. */
  authn(): Promise<AuthnStore> {
    return (this.#authn ??= Promise.all([import('./authn/store.js'), this.#userLookup()]).then(
      ([m, users]) =>
        new m.AuthnStore({ disk: this.disk, users, hostname: this.options.hostname, now: this.options.now, mailUserExists: this.options.mailUserExists }),
    ));
  }
}

/** The Disk of `options`; an unusable `fs` is a LinkstoreError like every other bad option. */
function openDisk(options: LinkstoreOptions): Disk {
  try {
    return new Disk(options);
  } catch (e) {
    if (e instanceof LinkstoreError || !(e instanceof TypeError)) throw e;
    throw new LinkstoreError('E_INVALID_PARAM', e.message, { param: 'fs', cause: e });
  }
}

/** Open the cPanel files under `root` (default `/`) through `fs` (default Node's fs). */
export function openLinkstore(options: LinkstoreOptions = {}): Linkstore {
  return new Linkstore(options);
}
