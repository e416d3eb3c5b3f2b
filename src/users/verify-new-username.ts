/**
 * WHM API 1 `verify_new_username` and `verify_new_username_for_restore` (spec §6): six checks in
 * cPanel's order, the first failure wins, each with cPanel's exact message (curly quotes and the
 * `’` in "username’s" included).
 */
import { hasLineStartingWith, type ColonFile } from './colon-file.js';
import { dbownerForm } from './dbowners.js';
import { isReserved } from './reserved.js';
import { validForNew, validForTransfer, type NameContext } from './validate-system-user.js';

/** Everything the checks read, parsed. Built by `Users` from its caches. */
export interface VerifyContext extends NameContext {
  /** /etc/group, or `undefined` when it cannot be opened (then every group "exists"). */
  group: ColonFile | undefined;
  /** /etc/dbowners as dbowner → user (empty when missing or unreadable). */
  dbowners: ReadonlyMap<string, string>;
  /** Leading characters of a dbowner that must be unique (8 or 16, spec §6.2). */
  prefixLength: number;
}

export interface VerifyOptions {
  /** `verify_new_username_for_restore`: the format check is the looser transfer one. */
  forRestore?: boolean;
  /** On a rename, the account's current name (byte form): its own dbowner does not collide. */
  oldKey?: string;
}

/** Which check failed, for callers that branch; the message is what WHM puts in `reason`. */
export type UsernameCheck = 'format' | 'reserved' | 'user' | 'group' | 'dbowner' | 'dbprefix';

export interface UsernameProblem {
  check: UsernameCheck;
  message: string;
}

/**
 * cPanel's `user_exists`/`group_exists`: a Perl-false name is never found, a file that cannot be
 * opened (missing included) means found, otherwise any line starting with `NAME:` — no UID
 * condition, unlike the `exists` flag.
 */
export function lineExists(file: ColonFile | undefined, key: string): boolean {
  if (key === '' || key === '0') return false;
  return file === undefined || hasLineStartingWith(file, key);
}

/**
 * The first failing check for a byte-form name, or `undefined` when the name is acceptable.
 * `shown` is the name as it appears in messages (the caller's text).
 */
export function usernameProblem(ctx: VerifyContext, key: string, shown: string, options: VerifyOptions = {}): UsernameProblem | undefined {
  const wellFormed = options.forRestore
    ? validForTransfer(key, ctx.allowStupidStuff)
    : !key.includes('.') && validForNew(key, ctx.allowStupidStuff, ctx.databasePrefix);
  if (!wellFormed) return { check: 'format', message: `“${shown}” is not a valid username on this system.` };
  if (isReserved(key, ctx.reservedNames)) return { check: 'reserved', message: `“${shown}” is a reserved username on this system.` };
  if (lineExists(ctx.passwd, key)) return { check: 'user', message: `This system already has an account named “${shown}”.` };
  if (lineExists(ctx.group, key)) return { check: 'group', message: `This system already has a group named “${shown}”.` };

  const dbowner = dbownerForm(key);
  const owner = ctx.dbowners.get(dbowner);
  if (owner !== undefined && (options.oldKey === undefined || owner !== options.oldKey)) {
    return { check: 'dbowner', message: `This system already has a database owner named “${dbowner}”.` };
  }

  const n = ctx.prefixLength;
  if (key.length >= n) {
    const prefix = dbowner.slice(0, n);
    const oldDbowner = options.oldKey === undefined ? undefined : dbownerForm(options.oldKey);
    for (const existing of ctx.dbowners.keys()) {
      if (existing !== oldDbowner && existing.startsWith(prefix)) {
        return {
          check: 'dbprefix',
          message: `The name of another account on this server has the same initial ${n} characters as the given username (${shown}). Each username’s first ${n} characters must be unique.`,
        };
      }
    }
  }
  return undefined;
}

/**
 * The DB prefix length N (spec §6.2): 8 when `force_short_prefix` is on; else the caller's
 * explicit length; else from the MySQL/MariaDB version (16 from MySQL 5.7 and MariaDB 10 on,
 * 8 before); else 8, since the library cannot ask the server.
 */
export function resolvePrefixLength(forceShortPrefix: boolean, prefixLength?: number, mysqlVersion?: string): number {
  if (forceShortPrefix) return 8;
  if (prefixLength !== undefined) return prefixLength;
  if (mysqlVersion === undefined) return 8;
  const m = /^(\d+)\.(\d+)/.exec(mysqlVersion);
  if (!m) return 8;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 5 || (major === 5 && minor >= 7) ? 16 : 8;
}
