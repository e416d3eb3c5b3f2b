/**
 * /etc/userdomains: `domain: owner` lines (and `*: nobody`), which say which cPanel account owns
 * a mail domain. Read as cPanel's `Cpanel::Config::LoadUserDomains::Tiny::loaduserdomains(undef, 1)`
 * does through `LoadConfig::Tiny`: lines split on `\r?\n`; empty lines and lines matching
 * `^\s*[#;]` skipped; each line split once at the first `\s*:\s*` (so spaces around the colon go);
 * lines without a colon skipped; the last duplicate wins.
 */
import { keyToText } from './bytes.js';

export const USERDOMAINS_PATH = '/etc/userdomains';

// Perl's \s on a byte string: space, \t, \n, \v, \f, \r (not NBSP, unlike JS's \s).
const COMMENT = /^[ \t\n\v\f\r]*[#;]/;
const DELIMITER = /[ \t\n\v\f\r]*:[ \t\n\v\f\r]*/;

export function parseUserdomains(text: string): Map<string, string> {
  const owners = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || COMMENT.test(line)) continue;
    const m = DELIMITER.exec(line);
    if (m === null) continue;
    owners.set(line.slice(0, m.index), keyToText(line.slice(m.index + m[0].length)));
  }
  return owners;
}
