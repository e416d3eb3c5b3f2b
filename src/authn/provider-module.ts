/**
 * Read the display values a provider module defines (verified-against-cpanel.md §5) from its
 * installed `.pm` file, without running Perl. The shapes cPanel's own modules use (11.120):
 *
 * - `sub _NAME { return 'value'; }` (quotes either way, the `;` optional);
 * - `use constant { _NAME => 'value', … };` or `use constant _NAME => 'value';`;
 * - the icon as a base64 heredoc, in one of three shapes:
 *   `my $image = <<TAG; … TAG` with `sub _BUTTON_ICON { return $image; }` (possibly stripping
 *   newlines first), `sub _BUTTON_ICON { return <<TAG; … TAG }`, and
 *   `use constant _BUTTON_ICON => <<TAG; … TAG`.
 *
 * A name the file defines in some other way (computed, interpolated) is reported as
 * `undetermined`, so a writer can refuse rather than guess; a name it does not define at all is
 * inherited from `OpenIdConnectBase`.
 */

/** What a module file says about one name. */
export type ModuleValue = { kind: 'value'; value: string } | { kind: 'inherited' } | { kind: 'undetermined' };

/** The names of `_DISPLAY_CONFIG`'s ingredients. */
export const DISPLAY_SUBS = [
  '_DISPLAY_NAME',
  '_PROVIDER_NAME',
  '_DOCUMENTATION_URL',
  '_BUTTON_LABEL',
  '_BUTTON_COLOR',
  '_BUTTON_TEXT_COLOR',
  '_BUTTON_ICON',
  '_BUTTON_ICON_TYPE',
] as const;
export type DisplaySub = (typeof DISPLAY_SUBS)[number];

const QUOTED = String.raw`(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\$@]|\\.)*)")`;
const HEREDOC = /<<(~?)(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The text of a single- or double-quoted Perl literal without interpolation. */
function unquote(single: string | undefined, double: string | undefined): string {
  if (single !== undefined) return single.replace(/\\([\\'])/g, '$1');
  return (double as string).replace(/\\(.)/g, '$1');
}

/** Whether the file defines `name` at all (as a sub or a constant). */
function defines(text: string, name: string): boolean {
  return new RegExp(String.raw`(?:\bsub\s+${escapeRe(name)}\b|\b${escapeRe(name)}\s*=>)`).test(text);
}

/** The body of the heredoc whose operator is on the line ending at `lineEnd`, or undefined. */
function heredocAt(text: string, operatorLine: string, lineEnd: number): string | undefined {
  const m = HEREDOC.exec(operatorLine);
  if (m === null) return undefined;
  const [, indent, , tag] = m as unknown as [string, string, string, string];
  const lines = text.slice(lineEnd + 1).split('\n');
  const body: string[] = [];
  for (const line of lines) {
    if ((indent ? line.trim() : line.replace(/\r$/, '')) === tag) return body.join('\n');
    body.push(indent ? line.trimStart() : line);
  }
  return undefined; // unterminated
}

/** The heredoc started on the first line (at or after `from`) matching `re`. */
function heredocAfter(text: string, re: RegExp, from = 0): string | undefined {
  const rest = text.slice(from);
  const m = re.exec(rest);
  if (m === null) return undefined;
  const start = from + m.index;
  const lineStart = text.lastIndexOf('\n', start) + 1;
  let lineEnd = text.indexOf('\n', start);
  if (lineEnd === -1) lineEnd = text.length;
  return heredocAt(text, text.slice(lineStart, lineEnd), lineEnd);
}

function scalarValue(text: string, name: string): string | undefined {
  const n = escapeRe(name);
  const sub = new RegExp(String.raw`\bsub\s+${n}\s*\{\s*return\s+${QUOTED}\s*;?\s*\}`).exec(text);
  if (sub) return unquote(sub[1], sub[2]);
  // In a `use constant { … }` block or `use constant NAME => …;`.
  const constant = new RegExp(String.raw`\b${n}\s*=>\s*${QUOTED}\s*[,;}]`).exec(text);
  if (constant) return unquote(constant[1], constant[2]);
  return undefined;
}

/** The icon's base64 text, before cPanel removes its newlines. */
function iconValue(text: string): string | undefined {
  const literal = scalarValue(text, '_BUTTON_ICON');
  if (literal !== undefined) return literal;
  const constant = heredocAfter(text, /\buse\s+constant\s+_BUTTON_ICON\s*=>\s*<</);
  if (constant !== undefined) return constant;
  const sub = /\bsub\s+_BUTTON_ICON\s*\{/.exec(text);
  if (sub === null) return undefined;
  // The first `return` of the sub: a heredoc right there, or a variable holding one.
  const ret = /\breturn\s+(<<|\$([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(sub.index));
  if (ret === null) return undefined;
  if (ret[1] === '<<') return heredocAfter(text, /\breturn\s+<</, sub.index);
  const v = escapeRe(ret[2] as string);
  return heredocAfter(text, new RegExp(String.raw`\b(?:my|our)\s+\$${v}\s*=\s*<<`));
}

/** What the module file `text` says about each display name. */
export function readModuleDisplay(text: string): Record<DisplaySub, ModuleValue> {
  const out = Object.create(null) as Record<DisplaySub, ModuleValue>;
  for (const name of DISPLAY_SUBS) {
    if (!defines(text, name)) {
      out[name] = { kind: 'inherited' };
      continue;
    }
    const value = name === '_BUTTON_ICON' ? iconValue(text) : scalarValue(text, name);
    out[name] = value === undefined ? { kind: 'undetermined' } : { kind: 'value', value };
  }
  return out;
}
