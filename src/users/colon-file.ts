/**
 * /etc/passwd and /etc/group share one shape and one set of cPanel rules (spec §7): lines are
 * never trimmed, a line "starts with NAME:" when its first colon follows exactly NAME, and the
 * first such line is the one that counts. We index the first line of every name once per read;
 * everything else (fields, CRLF, NIS `+`/`-` lines, `#` lines) falls out of not special-casing.
 */

export interface ColonFile {
  /** The file as one-char-per-byte text. */
  readonly text: string;
  /** Name (text before the first `:`) → offset of the first line with that name. */
  readonly firstLine: ReadonlyMap<string, number>;
}

export function parseColonFile(text: string): ColonFile {
  const firstLine = new Map<string, number>();
  const len = text.length;
  let start = 0;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = len;
    const colon = text.indexOf(':', start);
    if (colon !== -1 && colon < end) {
      const name = text.slice(start, colon);
      if (!firstLine.has(name)) firstLine.set(name, start);
    }
    start = end + 1;
  }
  return { text, firstLine };
}

/** The line at `start`, without its `\n`. */
export function lineAt(file: ColonFile, start: number): string {
  const end = file.text.indexOf('\n', start);
  return file.text.slice(start, end === -1 ? undefined : end);
}

/**
 * Perl's `split /:/` of a line: trailing empty fields are dropped. Only used where fields are
 * handed out, never on the hot path.
 */
export function splitFields(line: string): string[] {
  const fields = line.split(':');
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  return fields;
}

/**
 * Whether some line starts with `name + ":"` (cPanel's `user_exists`/`group_exists` match, the
 * name regex-quoted). A name without `:` or `\n` can only match at its first colon, so the index
 * answers; anything else is searched literally in the text, as the conceptual "\nNAME:" scan.
 */
export function hasLineStartingWith(file: ColonFile, name: string): boolean {
  if (!name.includes(':') && !name.includes('\n')) return file.firstLine.has(name);
  const needle = name + ':';
  return file.text.startsWith(needle) || file.text.includes('\n' + needle);
}

/** A decimal id field, or `undefined` (never Perl's "non-numeric is 0", which would mean root). */
export function parseId(field: string | undefined): number | undefined {
  if (field === undefined || !/^[0-9]{1,10}$/.test(field)) return undefined;
  const n = Number(field);
  return n <= 0xffffffff ? n : undefined;
}
