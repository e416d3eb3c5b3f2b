/**
 * One error family for the whole library. Callers switch on `code`, which is stable and listed
 * in the README; `message` is for people and may be cPanel's exact wording; `cause` keeps the
 * underlying errno error when there is one.
 */
import type { PlannedOp } from './plan.js';

/** Every code the library throws. Adding one is fine; renaming one is a breaking change. */
export const ERROR_CODES = {
  E_INVALID_NAME: 'A name used as a file or directory name is not valid.',
  E_INVALID_PARAM: 'A parameter value is not valid.',
  E_MISSING_PARAM: 'A required parameter is missing.',
  E_SYMLINK: 'A symbolic link was found where the library refuses to follow one.',
  E_OUTSIDE_ROOT: 'A path resolved outside the configured root prefix.',
  E_NOT_DIRECTORY: 'A path that must be a directory is something else.',
  E_NOT_FILE: 'A path that must be a regular file is something else.',
  E_CORRUPT_FILE: 'A file on disk could not be decoded or does not match its format.',
  E_SCHEMA: 'A value does not match the JSON Schema of its file format.',
  E_ENCODE: 'A value cannot be encoded in the file format (for example a lone surrogate).',
  E_LOCK_TIMEOUT: 'A lock could not be taken before the timeout.',
  E_LOCK_LOST: 'A held lock was broken or replaced by another process.',
  E_LOCK_INVALID: 'A lock path cannot be used (for example it contains < or >).',
  E_CRITICAL_SECTION_TIMEOUT: 'Work under a lock took longer than the allowed bound and was abandoned.',
  E_WRITE_FAILED: 'A file could not be written; nothing was changed.',
  E_COMMIT_FAILED: 'A multi-file update failed; files were restored to their previous content.',
  E_AFTER_PUBLISH: 'The new content is in place, but a step after publishing failed (its durability across a crash is not guaranteed).',
  E_PARTIAL: 'A call of several steps failed after some of them were made: those changes are in place (the error lists them), the rest was not made.',
  E_PATH_CHANGED: 'A directory was moved or replaced while the library was reading or writing in it; nothing was read from it or changed there.',
  E_IO: 'An unexpected filesystem error.',
  E_NO_SUCH_USER: 'The user does not exist.',
  E_NOT_CPANEL_USER: 'The user is not a cPanel account.',
  E_USERNAME: 'The username is not acceptable for a new account.',
  E_NO_SUCH_LINK: 'The link does not exist.',
  E_NO_SUCH_GROUP: 'The group does not exist.',
  E_NOT_FOUND: 'A file that must exist does not.',
  E_PROVIDER: 'The authentication provider is unknown or not enabled.',
  E_PROVIDER_MODULE: 'A provider module file is missing, too large, or does not define a value in a form the library can read.',
  E_USAGE: 'The command line is not valid.',
  E_UNKNOWN_FUNCTION: 'The API function is not known.',
  E_INVALID_STATE: 'A desired-state file for `linkstore apply` cannot be parsed or does not match its schema.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetails {
  /** The host path (after the root prefix) the error is about. */
  path?: string;
  /** The API parameter the error is about. */
  param?: string;
  cause?: unknown;
  /** E_PARTIAL: the changes the call made before it failed (they are in place). */
  done?: readonly PlannedOp[];
}

export class LinkstoreError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly param: string | undefined;
  /** E_PARTIAL: the changes the call made before it failed (they are in place). */
  readonly done: readonly PlannedOp[] | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'LinkstoreError';
    this.code = code;
    this.path = details.path;
    this.param = details.param;
    this.done = details.done;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, path: this.path, param: this.param, ...(this.done ? { done: this.done } : {}) };
  }
}

/**
 * The error of a call of several steps (an account's purge or rename, a rebuild of every LinkDB)
 * that failed after it had made the changes `done`: `e` itself when nothing was done yet (it then
 * says truly whether anything changed), else E_PARTIAL listing them, so that no error after a
 * change says "nothing was changed". An E_PARTIAL from a step adds its own changes.
 */
export function failedAfter(e: unknown, done: readonly PlannedOp[]): unknown {
  // An E_PARTIAL of a step (with its own `done`); a combined error of several is not one, even
  // when it took its first error's code.
  const inner = e instanceof LinkstoreError && e.code === 'E_PARTIAL' && e.done !== undefined ? e : undefined;
  if (done.length === 0) return e;
  const all = [...done, ...(inner?.done ?? [])];
  // What went wrong is the first failure's text (an inner E_PARTIAL keeps it as its cause).
  const first = inner ? inner.cause : e;
  // A step's own "Nothing was changed because …" is true of that step only: keep its reason.
  const why = (first instanceof Error ? first.message : String(first)).replace(/^Nothing was changed because /, '');
  const made = all.length === 1 ? '1 change was made and is' : `${all.length} changes were made and are`;
  // A retry meets the same cause until it is fixed (a stray file stays in the way): say so.
  const text = `The call failed part-way: ${made} in place (the error's “done” lists them), the rest was not made (${why}). Once the cause is fixed, the same call can be retried to make the rest.`;
  return new LinkstoreError('E_PARTIAL', text, {
    cause: first,
    done: all,
    path: first instanceof LinkstoreError ? first.path : undefined,
  });
}

export function isLinkstoreError(e: unknown, code?: ErrorCode): e is LinkstoreError {
  return e instanceof LinkstoreError && (code === undefined || e.code === code);
}

/** The errno code of a Node/memfs error, if any. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = (e as { code: unknown }).code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}

export function isEnoent(e: unknown): boolean {
  return errnoCode(e) === 'ENOENT';
}

/** Wrap an unexpected errno error so callers still get one error family. */
export function ioError(e: unknown, what: string, path: string): LinkstoreError {
  if (e instanceof LinkstoreError) return e;
  const errno = errnoCode(e) ?? 'unknown error';
  const text = e instanceof Error ? e.message : String(e);
  return new LinkstoreError('E_IO', `Could not ${what} “${path}” (${errno}): ${text}`, { path, cause: e });
}
