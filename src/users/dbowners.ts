/**
 * /etc/dbowners (spec §6.1): `user: dbowner` lines, loaded as a map dbowner → user. A missing or
 * unreadable file is an empty map.
 */
import { parseKeyValue } from './key-value.js';

export const DBOWNERS_PATH = '/etc/dbowners';

export function parseDbowners(text: string): Map<string, string> {
  const byDbowner = new Map<string, string>();
  for (const [user, dbowner] of parseKeyValue(text, ': ')) byDbowner.set(dbowner, user);
  return byDbowner;
}

/** A username's dbowner form: every `_` and `.` removed. */
export function dbownerForm(key: string): string {
  return key.replace(/[_.]/g, '');
}
