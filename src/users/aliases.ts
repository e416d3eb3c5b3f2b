/**
 * Alias names from /etc/aliases and /etc/localaliases (spec §5): every left-hand side is a
 * reserved username. Only names count, targets are never followed.
 */

export const ALIAS_PATHS = ['/etc/aliases', '/etc/localaliases'] as const;

/** A candidate with any of these is dropped: space, `:`, `#`, TAB. */
const DROPPED = /[ :#\t]/;

/**
 * The alias names of one file, in order. Lines are split on runs of `\n` (so `\r` stays: a bare
 * `NAME\r` reserves `NAME\r`); the name is everything before the first `:` (or the whole line);
 * empty or space/colon/#/TAB-bearing candidates are dropped; the rest is kept verbatim.
 */
export function parseAliasNames(text: string): string[] {
  const names: string[] = [];
  const len = text.length;
  let start = 0;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = len;
    if (end > start) {
      const colon = text.indexOf(':', start);
      const candidate = text.slice(start, colon !== -1 && colon < end ? colon : end);
      if (candidate !== '' && !DROPPED.test(candidate)) names.push(candidate);
    }
    start = end + 1;
  }
  return names;
}
