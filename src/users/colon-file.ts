/**
 * /etc/passwd and /etc/group share one shape and one set of cPanel rules (spec §7): lines are
 * never trimmed, a line "starts with NAME:" when its first colon follows exactly NAME, and the
 * first such line is the one that counts. Everything else (fields, CRLF, NIS `+`/`-` lines, `#`
 * lines) falls out of not special-casing anything.
 */

/** Scans answered before the per-name index is worth building (a scan costs ~1/15 of a build). */
const SCANS_BEFORE_INDEX = 8;

/**
 * A parsed colon file. The first questions are answered by one native substring search each, so
 * a one-shot caller (CLI, a single WHM call) never pays for indexing 20k lines; once a few
 * questions were asked (a daemon), a name → first-line Map is built and answers from then on.
 */
export class ColonFile {
  private index: Map<string, number> | undefined;
  private scans = 0;

  constructor(readonly text: string) {}

  /**
   * Offset of the first line that starts with `key + ":"`, for a key without `:` or `\n` (no
   * line's name field can contain either, so such a key has no line).
   */
  firstLine(key: string): number | undefined {
    if (this.index !== undefined) return this.index.get(key);
    if (key.includes(':') || key.includes('\n')) return undefined;
    if (++this.scans > SCANS_BEFORE_INDEX) {
      this.index = buildIndex(this.text);
      return this.index.get(key);
    }
    if (this.text.startsWith(key + ':')) return 0;
    const at = this.text.indexOf('\n' + key + ':');
    return at === -1 ? undefined : at + 1;
  }
}

/** Name (text before the first `:`) → offset of its first line. Lines are never trimmed. */
function buildIndex(text: string): Map<string, number> {
  const index = new Map<string, number>();
  const len = text.length;
  let start = 0;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = len;
    const colon = text.indexOf(':', start);
    if (colon !== -1 && colon < end) {
      const name = text.slice(start, colon);
      if (!index.has(name)) index.set(name, start);
    }
    start = end + 1;
  }
  return index;
}

export function parseColonFile(text: string): ColonFile {
  return new ColonFile(text);
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
  if (!name.includes(':') && !name.includes('\n')) return file.firstLine(name) !== undefined;
  const needle = name + ':';
  return file.text.startsWith(needle) || file.text.includes('\n' + needle);
}

/** A decimal id field, or `undefined` (never Perl's "non-numeric is 0", which would mean root). */
export function parseId(field: string | undefined): number | undefined {
  if (field === undefined || !/^[0-9]{1,10}$/.test(field)) return undefined;
  const n = Number(field);
  return n <= 0xffffffff ? n : undefined;
}
