/**
 * The server hostname for redirect URIs: the `hostname` option, else the first line of
 * `/etc/hostname` under the root, else (no such file, or an empty one) `localhost`. Any other
 * problem with the file (unreadable, a directory, a symbolic link, not a hostname) is an error
 * that names the file and the option: a redirect URI with a wrong host would break every login.
 */
import type { Disk } from '../io/disk.js';
import { LinkstoreError, ioError } from '../io/errors.js';

export const HOSTNAME_FILE = '/etc/hostname';
export const DEFAULT_HOSTNAME = 'localhost';

/** Letters, digits, `-` and `.` (RFC 1123 labels), at most 253 characters. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

function hostnameError(file: string, why: string, cause?: unknown): LinkstoreError {
  const code = cause instanceof LinkstoreError ? cause.code : why.startsWith('it does not') ? 'E_CORRUPT_FILE' : 'E_IO';
  return new LinkstoreError(code, `Cannot take the server hostname from “${file}”: ${why}. Fix the file or pass the \`hostname\` option.`, {
    path: file,
    cause,
  });
}

/** The `hostname` option, refused (E_INVALID_PARAM, naming `what`) unless it is a valid host name. */
export function checkHostnameOption(name: string, what = 'The `hostname` option'): string {
  if (HOSTNAME.test(name)) return name;
  throw new LinkstoreError('E_INVALID_PARAM', `${what} must be a host name (letters, digits, “-” and “.”), not “${name}”.`, { param: 'hostname' });
}

/** Read the hostname from `disk` (throws a typed error naming the file; a missing file gives the default). */
export async function readHostname(disk: Disk): Promise<string> {
  const file = disk.host(HOSTNAME_FILE);
  let bytes: Buffer | undefined;
  try {
    bytes = await disk.readFile(HOSTNAME_FILE);
  } catch (e) {
    const err = e instanceof LinkstoreError ? e : ioError(e, 'read', file);
    throw hostnameError(file, err.message.replace(/\.$/, ''), err);
  }
  if (bytes === undefined) return DEFAULT_HOSTNAME;
  const first = bytes.toString('utf8').split('\n')[0]?.trim() ?? '';
  if (first === '') return DEFAULT_HOSTNAME;
  if (!HOSTNAME.test(first)) throw hostnameError(file, 'it does not start with a valid hostname');
  return first;
}

/**
 * A memo of `read` that keeps successes only: a failed read is thrown to its callers and the next
 * call reads again (a transient error must not stick for the life of a daemon).
 */
export function memoSuccess<T>(read: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (value === undefined) {
      const p = read();
      value = p;
      p.catch(() => {
        if (value === p) value = undefined;
      });
    }
    return value;
  };
}
