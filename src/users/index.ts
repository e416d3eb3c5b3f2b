/**
 * The users module: cached readers of /etc and /var/cpanel, the look-ups other modules need
 * (`UserLookup`), and WHM's username answers (`validate_system_user`, `verify_new_username*`).
 *
 * Every file is read through the Disk (root prefix, injected fs) and cached until it changes
 * (see file-cache.ts). What a missing or unreadable file means depends on the question, exactly
 * as in cPanel (usernames.md §7):
 * - `exists` flag: passwd unreadable or missing → 0;
 * - verify checks (`user_exists`/`group_exists`): passwd/group unreadable or missing → the name
 *   is taken (cPanel fails safe); with `strict: true` a typed error is thrown instead;
 * - aliases, dbowners, cpanel.config: missing or unreadable → no aliases / empty map / defaults;
 * - `UserLookup` look-ups (passwd entry, gid, cpuser, domain owner): a missing file means "not
 *   there" (`undefined`); any other failure is thrown, because a caller about to chown must not
 *   mistake "cannot read" for "no such user".
 */
import type { Disk } from '../io/disk.js';
import { LinkstoreError } from '../io/errors.js';
import { nodeNameProblem } from '../io/node-name.js';
import type { PasswdEntry, UserLookup } from './lookup.js';
import { WatchedAccounts } from './accounts.js';
import { ALIAS_PATHS, parseAliasNames } from './aliases.js';
import { byteKey, displayName, type NameInput } from './bytes.js';
import { parseColonFile, type ColonFile } from './colon-file.js';
import { ALLOW_STUPID_STUFF_PATH, CPANEL_CONFIG_PATH, DEFAULT_CPANEL_CONFIG, parseCpanelConfig, type CpanelConfigFlags } from './cpanel-config.js';
import { CPANEL_USERS_DIR, parseCpuser } from './cpuser.js';
import { DBOWNERS_PATH, parseDbowners } from './dbowners.js';
import { valueOr, WatchedExistence, WatchedFile, type CacheClock, type FileRead, type Watched } from './file-cache.js';
import { NameContextCache } from './name-context.js';
import { GROUP_PATH, groupGidOf } from './group.js';
import { PASSWD_PATH, passwdEntryOf } from './passwd.js';
import { isReserved } from './reserved.js';
import { USERDOMAINS_PATH, parseUserdomains } from './userdomains.js';
import type { SystemUserFlags } from './validate-system-user.js';
import { resolvePrefixLength, lineExists, usernameProblem, type UsernameProblem, type VerifyContext } from './verify-new-username.js';

export type { PasswdEntry, UserLookup } from './lookup.js';
export type { NameInput } from './bytes.js';
export type { CpanelConfigFlags } from './cpanel-config.js';
export type { UsernameCheck, UsernameProblem } from './verify-new-username.js';
export { flagsToInts, type SystemUserFlagInts, type SystemUserFlags } from './validate-system-user.js';
export { RESERVED_NAMES, RESERVED_PREFIXES, RESERVED_SUFFIXES, RESERVED_REGEX_SOURCE, reservedUsernamePatterns } from './reserved.js';

export interface UsersOptions {
  /** Minimum ms between two stats of the same file (default 1000; 0 = stat on every question). */
  checkIntervalMs?: number;
  /** DB prefix length for the collision check when `force_short_prefix` is off (default: from `mysqlVersion`, else 8). */
  prefixLength?: number;
  /** MySQL/MariaDB server version (e.g. "8.0", "10.6"): 16 from MySQL 5.7 / MariaDB 10 on, else 8. */
  mysqlVersion?: string;
  /** Throw instead of cPanel's "taken" when passwd or group cannot be read in the verify checks. */
  strict?: boolean;
  /** Monotonic ms clock (default `performance.now`); tests inject one to step the interval. */
  clock?: () => number;
}

/** Per-call options of `verifyNewUsername*`. */
export interface VerifyNewUsernameOptions {
  /** Overrides the constructor's `prefixLength` (still 8 when `force_short_prefix` is on). */
  prefixLength?: number;
  /** Overrides the constructor's `mysqlVersion`. */
  mysqlVersion?: string;
  /** On a rename, the account's current name: its own dbowner entry is not a collision. */
  oldName?: NameInput;
}

const MISSING_USER = 'No user name supplied: “user” is a required argument.';

/** ok → value, missing → undefined, unreadable → the typed error. */
function okOrThrow<T>(r: FileRead<T>): T | undefined {
  if (r.status === 'unreadable') throw r.error;
  return r.status === 'ok' ? r.value : undefined;
}

function checkPrefixLength(n: number | undefined, param: string): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) {
    throw new LinkstoreError('E_INVALID_PARAM', `The “${param}” option must be a positive integer, not “${String(n)}”.`, { param });
  }
}

/** A failed check as the typed error the verify methods throw. */
function throwProblem(problem: UsernameProblem | undefined): void {
  if (problem !== undefined) throw new LinkstoreError('E_USERNAME', problem.message, { param: 'user' });
}

/** A username question's target: the name exactly as given (a string compared as UTF-8, or bytes). */
export interface UsernameTarget {
  user: NameInput;
}
/** `checkNewUsername`'s target: `forRestore` adds the transfer format check of `verify_new_username_for_restore`. */
export interface NewUsernameTarget extends UsernameTarget {
  forRestore?: boolean;
}
/** `checkGroupExists`'s target. */
export interface GroupNameTarget {
  group: NameInput;
}

// Set by the class's static block: the one way to reach a Users' look-ups.
let lookupOf: (users: Users) => UserLookup;

/** The look-ups the integration and authn stores (and doctor) ask of `users`; not part of the public surface. */
export function userLookup(users: Users): UserLookup {
  return lookupOf(users);
}

export class Users {
  private readonly clock: CacheClock;
  private readonly options: UsersOptions;
  private readonly passwd: WatchedFile<ColonFile>;
  private readonly group: WatchedFile<ColonFile>;
  private readonly config: WatchedFile<CpanelConfigFlags>;
  private readonly stupid: WatchedExistence;
  private readonly dbowners: WatchedFile<Map<string, string>>;
  private readonly userdomains: WatchedFile<Map<string, string>>;
  private readonly accounts: WatchedAccounts;
  private readonly cpusers = new Map<string, WatchedFile<Record<string, string>>>();
  /** The account set `cpusers` was last pruned against (see #cpuserRecord). */
  private cpusersPrunedFor: ReadonlySet<string> | undefined;
  private readonly names: NameContextCache;
  /** Every file cache except the per-account cpuser ones, for refresh(). */
  private readonly caches: Watched<unknown>[];

  constructor(
    private readonly disk: Disk,
    options: UsersOptions = {},
  ) {
    const interval = options.checkIntervalMs ?? 1000;
    if (!(typeof interval === 'number' && interval >= 0)) {
      throw new LinkstoreError('E_INVALID_PARAM', `The “checkIntervalMs” option must be a number ≥ 0, not “${String(interval)}”.`, {
        param: 'checkIntervalMs',
      });
    }
    checkPrefixLength(options.prefixLength, 'prefixLength');
    this.options = { ...options };
    const now = options.clock ?? (() => performance.now());
    this.clock = { now, intervalMs: interval };
    const file = <T>(p: string, parse: (text: string) => T) => new WatchedFile(this.clock, disk, p, parse);
    this.passwd = file(PASSWD_PATH, parseColonFile);
    this.group = file(GROUP_PATH, parseColonFile);
    const [aliases, localAliases] = ALIAS_PATHS.map((p) => file(p, parseAliasNames)) as [WatchedFile<string[]>, WatchedFile<string[]>];
    this.config = file(CPANEL_CONFIG_PATH, parseCpanelConfig);
    this.stupid = new WatchedExistence(this.clock, disk, ALLOW_STUPID_STUFF_PATH);
    this.dbowners = file(DBOWNERS_PATH, parseDbowners);
    this.userdomains = file(USERDOMAINS_PATH, parseUserdomains);
    this.accounts = new WatchedAccounts(this.clock, disk);
    this.names = new NameContextCache(this.clock, { passwd: this.passwd, aliases, localAliases, config: this.config, allowStupidStuff: this.stupid });
    this.caches = [this.passwd, this.group, aliases, localAliases, this.config, this.stupid, this.dbowners, this.userdomains, this.accounts];
  }

  // ---- UserLookup: what the other stores ask (reached through `userLookup`, not public) ----

  readonly #lookup: UserLookup = {
    passwdEntry: (name) => this.#passwdEntry(name),
    groupGid: (name) => this.#groupGid(name),
    isCpanelAccount: (name) => this.#isCpanelAccount(name),
    viewIdentity: () => this.#viewIdentity(),
    cpanelAccounts: () => this.#cpanelAccounts(),
    cpanelUserFile: (name) => this.#cpanelUserFile(name),
    themeOf: (name) => this.#themeOf(name),
    domainOwner: (domain) => this.#domainOwner(domain),
    refresh: () => this.refresh(),
  };

  static {
    lookupOf = (users) => users.#lookup;
  }

  async #passwdEntry(name: string): Promise<PasswdEntry | undefined> {
    const passwd = okOrThrow(await this.passwd.current());
    return passwd && passwdEntryOf(passwd, byteKey(name));
  }

  async #groupGid(name: string): Promise<number | undefined> {
    const group = okOrThrow(await this.group.current());
    return group && groupGidOf(group, byteKey(name));
  }

  async #isCpanelAccount(name: string): Promise<boolean> {
    return nodeNameProblem(name) === undefined && (await this.accounts.current()).has(name);
  }

  /** The cached account set and userdomains map themselves: the same objects while unchanged. */
  async #viewIdentity(): Promise<readonly unknown[]> {
    return [await this.accounts.current(), await this.userdomains.current()];
  }

  async #cpanelAccounts(): Promise<string[]> {
    return [...(await this.accounts.current())];
  }

  async #cpanelUserFile(name: string): Promise<Record<string, string> | undefined> {
    const record = await this.#cpuserRecord(name);
    return record && Object.assign(Object.create(null) as Record<string, string>, record);
  }

  async #themeOf(name: string): Promise<string | undefined> {
    return (await this.#cpuserRecord(name))?.RS;
  }

  async #domainOwner(domain: string): Promise<string | undefined> {
    return okOrThrow(await this.userdomains.current())?.get(byteKey(domain));
  }

  /** Drop every cache now (the next question re-reads the files). */
  refresh(): void {
    for (const w of this.caches) w.invalidate();
    this.cpusers.clear();
    this.cpusersPrunedFor = undefined;
    this.names.invalidate(); // the sync path keeps answering from the old context until the reload lands
  }

  /**
   * The cached record of an account's cpuser file. Only accounts get a cache entry (so asking
   * about arbitrary names cannot grow memory), and only current ones: whenever the account list
   * changed, the entries of names no longer in it are dropped. Without that, a daemon on a server
   * whose accounts come and go kept one entry (and its parsed file) per account it ever saw,
   * since a terminated account is rarely asked about again.
   */
  async #cpuserRecord(name: string): Promise<Record<string, string> | undefined> {
    if (nodeNameProblem(name) !== undefined) return undefined; // never an account, never cached
    const accounts = await this.accounts.current();
    if (accounts !== this.cpusersPrunedFor) {
      // The cached set is the same object while /var/cpanel/users is unchanged: one pass per change.
      for (const n of this.cpusers.keys()) if (!accounts.has(n)) this.cpusers.delete(n);
      this.cpusersPrunedFor = accounts;
    }
    if (!accounts.has(name)) return undefined; // pruned above if it was cached
    let w = this.cpusers.get(name);
    if (w === undefined) {
      w = new WatchedFile(this.clock, this.disk, `${CPANEL_USERS_DIR}/${name}`, parseCpuser);
      this.cpusers.set(name, w);
    }
    const r = await w.current();
    if (r.status === 'unreadable' && r.error.code === 'E_NOT_FILE') return undefined;
    return okOrThrow(r);
  }

  // ---- Username answers ------------------------------------------------------------------

  /**
   * WHM's `validate_system_user` (usernames.md §2). The name is used exactly as given (a string
   * compared as UTF-8, or bytes). Warm, this is one clock read and one memo look-up; the result
   * is frozen because it is shared. Use `flagsToInts` for the API's 0/1 `data`.
   * @throws LinkstoreError `E_MISSING_PARAM` with cPanel's reason when `user` is undefined.
   */
  async validateSystemUser(params: UsernameTarget): Promise<Readonly<SystemUserFlags>> {
    const name = params.user;
    if (name === undefined) throw new LinkstoreError('E_MISSING_PARAM', MISSING_USER, { param: 'user' });
    const ctx = this.names.fresh() ?? (await this.names.load());
    return this.names.flags(ctx, byteKey(name));
  }

  /**
   * `validateSystemUser` without a Promise, for a daemon's hot loop. It answers from the files
   * as last read; when the check interval has passed it starts the stat (and any re-read) in the
   * background and keeps answering from the previous state until that finishes, so an answer can
   * be late by the interval plus one stat — and the check only completes when the caller lets the
   * event loop run. Returns `undefined` until the files were read once (await `validateSystemUser`
   * or `isReserved` first).
   * @throws LinkstoreError `E_MISSING_PARAM` when `user` is undefined.
   */
  validateSystemUserSync(params: UsernameTarget): Readonly<SystemUserFlags> | undefined {
    const name = params.user;
    if (name === undefined) throw new LinkstoreError('E_MISSING_PARAM', MISSING_USER, { param: 'user' });
    const ctx = this.names.lastRevalidating();
    return ctx && this.names.flags(ctx, byteKey(name));
  }

  /** The `reserved` flag alone (built-ins, aliases, prefixes, suffixes, the digits regex). */
  async checkReserved(params: UsernameTarget): Promise<boolean> {
    return isReserved(byteKey(params.user), (await this.names.current()).reservedNames);
  }

  /** cPanel's `user_exists`: any passwd line `NAME:…`; Perl-false names never; unreadable file → true (unless `strict`). */
  async checkUserExists(params: UsernameTarget): Promise<boolean> {
    return lineExists(await this.#colonFileForVerify(this.passwd), byteKey(params.user));
  }

  /** cPanel's `group_exists` on /etc/group, with the same rules as `checkUserExists`. */
  async checkGroupExists(params: GroupNameTarget): Promise<boolean> {
    return lineExists(await this.#colonFileForVerify(this.group), byteKey(params.group));
  }

  /** The cpanel.config flags the checks use (defaults when the file or a key is missing). */
  async getCpanelConfig(): Promise<CpanelConfigFlags> {
    return valueOr(await this.config.current(), DEFAULT_CPANEL_CONFIG);
  }

  /**
   * WHM's `verify_new_username` (usernames.md §6). Resolves when the name may be used for a new
   * account. On failure it throws `LinkstoreError` with code `E_USERNAME`, `param: 'user'` and
   * cPanel's exact message, so a WHM facade answers `{result: 0, reason: e.message}` for any
   * LinkstoreError and `result: 1` (no data) when this resolves. For a branchable answer without
   * exceptions use `checkNewUsername`.
   * @throws `E_MISSING_PARAM` (“user” absent) or `E_INVALID_PARAM` (empty) before any check.
   */
  async verifyNewUsername(params: UsernameTarget, options: VerifyNewUsernameOptions = {}): Promise<void> {
    throwProblem(await this.checkNewUsername({ user: params.user }, options));
  }

  /** WHM's `verify_new_username_for_restore`: as `verifyNewUsername` with the transfer format check. */
  async verifyNewUsernameForRestore(params: UsernameTarget, options: VerifyNewUsernameOptions = {}): Promise<void> {
    throwProblem(await this.checkNewUsername({ user: params.user, forRestore: true }, options));
  }

  /**
   * The first failing check of `verify_new_username[_for_restore]`, or `undefined` when the name
   * is acceptable. Parameter errors (absent or empty name) are still thrown.
   */
  async checkNewUsername(params: NewUsernameTarget, options: VerifyNewUsernameOptions = {}): Promise<UsernameProblem | undefined> {
    const { user: name, forRestore = false } = params;
    if (name === undefined) throw new LinkstoreError('E_MISSING_PARAM', 'Provide the “user” parameter.', { param: 'user' });
    if (name.length === 0) throw new LinkstoreError('E_INVALID_PARAM', 'The value of “user” may not be empty.', { param: 'user' });
    checkPrefixLength(options.prefixLength, 'prefixLength');
    const [nameCtx, passwd, group, dbowners, config] = await Promise.all([
      this.names.current(),
      this.#colonFileForVerify(this.passwd),
      this.#colonFileForVerify(this.group),
      this.dbowners.current(),
      this.getCpanelConfig(),
    ]);
    const ctx: VerifyContext = {
      ...nameCtx,
      passwd,
      group,
      dbowners: valueOr(dbowners, new Map<string, string>()),
      prefixLength: resolvePrefixLength(
        config.forceShortPrefix,
        options.prefixLength ?? this.options.prefixLength,
        options.mysqlVersion ?? this.options.mysqlVersion,
      ),
    };
    return usernameProblem(ctx, byteKey(name), displayName(name), {
      forRestore,
      ...(options.oldName === undefined ? {} : { oldKey: byteKey(options.oldName) }),
    });
  }

  /** passwd/group for the verify checks: `undefined` = cannot be opened (taken), or throw when strict. */
  async #colonFileForVerify(w: WatchedFile<ColonFile>): Promise<ColonFile | undefined> {
    const r = await w.current();
    if (r.status === 'ok') return r.value;
    if (this.options.strict) {
      throw r.status === 'unreadable' ? r.error : new LinkstoreError('E_NOT_FOUND', `“${w.path}” does not exist.`, { path: w.path });
    }
    return undefined;
  }
}

export { usernameProblem, resolvePrefixLength } from './verify-new-username.js';
export { systemUserFlags, validForNew, validForTransfer } from './validate-system-user.js';
