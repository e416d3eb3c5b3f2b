/**
 * /etc/userdomains: `domain: owner` lines (and `*: nobody`), which say which cPanel account owns
 * a mail domain. Split at the first `": "`, as the other cPanel `key: value` files.
 */
import { keyToText } from './bytes.js';
import { parseKeyValue } from './key-value.js';

export const USERDOMAINS_PATH = '/etc/userdomains';

export function parseUserdomains(text: string): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [domain, owner] of parseKeyValue(text, ': ')) owners.set(domain, keyToText(owner));
  return owners;
}
