/**
 * A cPanel account's user file, /var/cpanel/users/USER: `KEY=VALUE` lines (integration-links.md
 * §3.4). `RS` is the theme, `DNS` the primary domain. The accounts are the names that have such a
 * regular file.
 */
import { keyToText } from './bytes.js';
import { parseKeyValue } from './key-value.js';

export const CPANEL_USERS_DIR = '/var/cpanel/users';

/** The file as a plain record (own properties only, so a `__proto__` key is just a key). */
export function parseCpuser(text: string): Record<string, string> {
  const record: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of parseKeyValue(text, '=')) record[keyToText(k)] = keyToText(v);
  return record;
}
