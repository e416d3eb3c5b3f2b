/**
 * WHM API 1 `validate_system_user` (spec §2): four independent flags about a name.
 *
 * `systemUserFlags` is synchronous and pure over a `NameContext` (everything the flags read,
 * already parsed), so a daemon's warm path is a few Map/Set look-ups and two regex tests.
 */
import { type ColonFile } from './colon-file.js';
import { passwdExists } from './passwd.js';
import { isReserved } from './reserved.js';

/** What the flags depend on, parsed. Built by `Users` from its caches. */
export interface NameContext {
  /** /etc/passwd, or `undefined` when it cannot be opened (then `exists` is 0). */
  passwd: ColonFile | undefined;
  /** Built-in reserved names ∪ alias names. */
  reservedNames: ReadonlySet<string>;
  /** /etc/allowstupidstuff exists: leading digits are allowed. */
  allowStupidStuff: boolean;
  /** cpanel.config `database_prefix` is true: `_` is not allowed in new names. */
  databasePrefix: boolean;
}

/** The flags as booleans. */
export interface SystemUserFlags {
  valid_for_transfer: boolean;
  reserved: boolean;
  exists: boolean;
  valid_for_new: boolean;
}

/** The flags as the API returns them: integers 0/1, in cPanel's key order. */
export interface SystemUserFlagInts {
  exists: 0 | 1;
  reserved: 0 | 1;
  valid_for_new: 0 | 1;
  valid_for_transfer: 0 | 1;
}

/** The API's `data` shape for `validate_system_user`. */
export function flagsToInts(f: Readonly<SystemUserFlags>): SystemUserFlagInts {
  return { exists: f.exists ? 1 : 0, reserved: f.reserved ? 1 : 0, valid_for_new: f.valid_for_new ? 1 : 0, valid_for_transfer: f.valid_for_transfer ? 1 : 0 };
}

// Format patterns (spec §2.3, §2.4). JS `$` without the m flag is Perl's `\z`.
const TRANSFER = /^(?![-.0-9])[-._a-z0-9]{1,16}$/;
const TRANSFER_STUPID = /^(?![-.])[-._a-z0-9]{1,16}$/;
const NEW = /^(?![-.0-9])[a-z0-9]{1,16}$/;
const NEW_STUPID = /^(?![-.])[a-z0-9]{1,16}$/;
const NEW_UNDERSCORE = /^(?![-.0-9])[_a-z0-9]{1,16}$/;
const NEW_UNDERSCORE_STUPID = /^(?![-.])[_a-z0-9]{1,16}$/;

/** `is_valid`: the transfer/restore format, exact anchors (a trailing `\n` fails). */
export function validForTransfer(key: string, allowStupidStuff: boolean): boolean {
  return (allowStupidStuff ? TRANSFER_STUPID : TRANSFER).test(key);
}

/**
 * `is_strictly_valid` outside transfer mode: no `-` or `.`, `_` only when `database_prefix` is
 * false. Perl's `$` accepts one trailing `\n`, so exactly one is removed before the exact test.
 */
export function validForNew(key: string, allowStupidStuff: boolean, databasePrefix: boolean): boolean {
  const re = databasePrefix ? (allowStupidStuff ? NEW_STUPID : NEW) : allowStupidStuff ? NEW_UNDERSCORE_STUPID : NEW_UNDERSCORE;
  return re.test(key.endsWith('\n') ? key.slice(0, -1) : key);
}

/** The four flags for a byte-form name (see bytes.ts). The empty name gives all false. */
export function systemUserFlags(ctx: NameContext, key: string): SystemUserFlags {
  return {
    valid_for_transfer: validForTransfer(key, ctx.allowStupidStuff),
    reserved: isReserved(key, ctx.reservedNames),
    exists: passwdExists(ctx.passwd, key),
    valid_for_new: validForNew(key, ctx.allowStupidStuff, ctx.databasePrefix),
  };
}
