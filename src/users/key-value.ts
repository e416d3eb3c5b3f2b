/**
 * cPanel's `KEY=value` (and `key: value`) line files: /var/cpanel/cpanel.config, the cpuser
 * files, /etc/dbowners, /etc/userdomains. One reader with the separator as a parameter, because
 * the rules are the loader's, not the file's: split at the first separator, drop one trailing
 * `\r`, ignore lines starting with `#` and lines without the separator, the last duplicate wins.
 * Nothing else is trimmed.
 */
export function parseKeyValue(text: string, separator: string): Map<string, string> {
  const out = new Map<string, string>();
  const len = text.length;
  let start = 0;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = len;
    let lineEnd = end;
    if (lineEnd > start && text.charCodeAt(lineEnd - 1) === 0x0d) lineEnd--;
    if (lineEnd > start && text.charCodeAt(start) !== 0x23 /* # */) {
      const at = text.indexOf(separator, start);
      if (at !== -1 && at + separator.length <= lineEnd) {
        out.set(text.slice(start, at), text.slice(at + separator.length, lineEnd));
      }
    }
    start = end + 1;
  }
  return out;
}
