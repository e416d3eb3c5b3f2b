/**
 * /etc/passwd: the `exists` flag (spec §2.1) and the entries other modules chown with.
 */
import type { PasswdEntry } from './lookup.js';
import { keyToText } from './bytes.js';
import { lineAt, parseId, splitFields, type ColonFile } from './colon-file.js';

export const PASSWD_PATH = '/etc/passwd';

/** Bytes that make `exists` answer 0 without looking (spec §2.1 step 2). */
// eslint-disable-next-line no-control-regex -- control bytes are exactly what cPanel rejects here
const REJECTED = /[\x00-\x20\x7f:/#]/;

/**
 * cPanel's `exists` against a parsed passwd (`undefined` = the file could not be opened: 0).
 * `root` is 1 without reading. Otherwise the first `NAME:` line decides, and only when its third
 * field (the UID) is non-empty: `n:x::1`, `n:x` and `+n::::::` do not count.
 */
export function passwdExists(passwd: ColonFile | undefined, key: string): boolean {
  if (key === 'root') return true;
  if (key === '' || passwd === undefined || REJECTED.test(key)) return false;
  const start = passwd.firstLine(key);
  if (start === undefined) return false;
  // The UID starts right after the second colon; it is non-empty when that char exists and is
  // neither another colon nor the end of the line (a field after it cannot be dropped as trailing).
  const text = passwd.text;
  const second = text.indexOf(':', start + key.length + 1);
  if (second === -1) return false;
  const next = text.charCodeAt(second + 1);
  const eol = text.indexOf('\n', start);
  return (eol === -1 || second < eol) && second + 1 < text.length && next !== 0x3a && next !== 0x0a;
}

/** The first entry for `key` with decimal uid and gid, as text for other modules. */
export function passwdEntryOf(passwd: ColonFile, key: string): PasswdEntry | undefined {
  const start = passwd.firstLine(key);
  if (start === undefined) return undefined;
  const f = splitFields(lineAt(passwd, start));
  const uid = parseId(f[2]);
  const gid = parseId(f[3]);
  if (uid === undefined || gid === undefined) return undefined;
  return { name: keyToText(key), uid, gid, gecos: keyToText(f[4] ?? ''), home: keyToText(f[5] ?? ''), shell: keyToText(f[6] ?? '') };
}
