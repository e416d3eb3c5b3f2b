/**
 * The two JSON styles cPanel writes, and a strict reader for both.
 *
 * - `encodePretty`: JSON::XS `pretty` (3-space indent, `"key" : value`, `{}`/`[]` for empties,
 *   one trailing newline) with keys sorted by code point, i.e. byte-identical to Perl's
 *   `JSON::XS->new->pretty->canonical`. Used by integration files.
 * - `encodeCompact`: no whitespace, no trailing newline, keys sorted. Used by authn files.
 * - `decodeStrict`: strict UTF-8 and strict JSON as `Cpanel::JSON::Load` reads them; a lone
 *   surrogate escape, a BOM, an empty or truncated file is E_CORRUPT_FILE naming the file, and a
 *   syntax error names its line and column but never quotes the text (it may hold a secret).
 *   Every object it returns has a null prototype, so a key read from a file (`__proto__`,
 *   `constructor`) is an ordinary key.
 *
 * String escaping is JSON.stringify's, which equals JSON::XS's for well-formed strings (`"`, `\`
 * and controls escaped, lower-case `\u00xx`, `/` and non-ASCII raw); strings that are not
 * well-formed UTF-16 are refused (JSON.stringify would write `\udXXX`, which cPanel rejects).
 */
import { LinkstoreError } from './errors.js';
import { describeSyntaxError, locateSyntaxError } from './json-syntax.js';
import { parseSliced } from './json-sliced.js';
import { pace } from './pace.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function encodeError(message: string): LinkstoreError {
  return new LinkstoreError('E_ENCODE', message);
}

function str(s: string): string {
  if (!s.isWellFormed()) throw encodeError('A string contains an unpaired UTF-16 surrogate, which cPanel cannot read; fix the input text.');
  return JSON.stringify(s);
}

/** Compare keys by Unicode code point (= UTF-8 byte order), as Perl's canonical sort does. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (astral code point) sorts after every BMP code unit above it in UTF-16.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The keys of an object to write, sorted. Only plain objects, null-prototype maps and `Map`s with
 * string keys (the LinkDB's big maps) are JSON objects here: anything else (a class instance, or
 * an object whose `__proto__` was assigned, which hides that key) would lose data silently, so it
 * is refused.
 */
function sortedKeys(o: object): string[] {
  return ownJsonKeys(o).sort(compareCodePoints);
}

/** The keys of an object to write, refusing objects that are not JSON objects (see sortedKeys). */
function ownJsonKeys(o: object): string[] {
  if (o instanceof Map) {
    const keys = [...(o as Map<unknown, unknown>).keys()];
    if (!keys.every((k) => typeof k === 'string')) throw encodeError('A map with keys that are not strings cannot be written as a JSON object.');
    return keys as string[];
  }
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto !== null && proto !== Object.prototype) throw encodeError('An object with a prototype of its own cannot be written as a JSON object.');
  return Object.keys(o);
}

/** The member `key` of a JSON object to write (a record or a Map). */
function memberOf(o: object, key: string): unknown {
  return o instanceof Map ? (o as Map<string, unknown>).get(key) : (o as Record<string, unknown>)[key];
}

function num(n: number): string {
  if (!Number.isFinite(n)) throw encodeError(`The number ${n} cannot be written as JSON.`);
  return String(n);
}

function scalar(v: unknown): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      return num(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return undefined;
    default:
      throw encodeError(`A value of type ${typeof v} cannot be written as JSON.`);
  }
}

function pretty(v: unknown, depth: number): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  const inner = '   '.repeat(depth + 1);
  const close = '   '.repeat(depth);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((e) => inner + pretty(e, depth + 1)).join(',\n') + '\n' + close + ']';
  }
  const o = v as object;
  const keys = sortedKeys(o).filter((k) => memberOf(o, k) !== undefined);
  if (keys.length === 0) return '{}';
  return '{\n' + keys.map((k) => inner + str(k) + ' : ' + pretty(memberOf(o, k), depth + 1)).join(',\n') + '\n' + close + '}';
}

function compact(v: unknown): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  if (Array.isArray(v)) return '[' + v.map(compact).join(',') + ']';
  const o = v as object;
  return (
    '{' +
    sortedKeys(o)
      .filter((k) => memberOf(o, k) !== undefined)
      .map((k) => str(k) + ':' + compact(memberOf(o, k)))
      .join(',') +
    '}'
  );
}

/** JSON::XS pretty+canonical text, ending in exactly one newline. */
export function encodePretty(value: unknown): string {
  return pretty(value, 0) + '\n';
}

/** Compact canonical JSON without a trailing newline. */
export function encodeCompact(value: unknown): string {
  return compact(value);
}

/**
 * `encodeCompact` with the same bytes, letting the event loop turn inside large objects (every
 * `PACE_EVERY_KEYS` keys of an object that has more); small values are encoded in one go.
 */
export async function encodeCompactPaced(value: unknown): Promise<string> {
  const pieces: string[] = [];
  await writeCompactPaced(value, pieces);
  if (pieces.length === 1) return pieces[0] as string;
  const chunks: string[] = [];
  for (let i = 0; i < pieces.length; i += PIECES_PER_STEP) {
    await pace();
    chunks.push(pieces.slice(i, i + PIECES_PER_STEP).join(''));
  }
  return chunks.join('');
}

/**
 * `encodeCompactPaced` as UTF-8 bytes: the text is converted a run of pieces at a time (one
 * `Buffer.from` of a 12 MB LinkDB's text held the loop for 25–30 ms, on top of the join).
 */
export async function encodeCompactBytesPaced(value: unknown): Promise<Buffer> {
  const pieces: string[] = [];
  await writeCompactPaced(value, pieces);
  // A small value is one piece, encoded in one go.
  if (pieces.length === 1) return Buffer.from(pieces[0] as string, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < pieces.length; i += PIECES_PER_STEP) {
    await pace();
    chunks.push(Buffer.from(pieces.slice(i, i + PIECES_PER_STEP).join(''), 'utf8'));
  }
  await pace();
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/** Pieces of text joined (and converted) in one step by the paced encoders. */
const PIECES_PER_STEP = 8192;

/** Append the compact text of `value` to `out` in pieces, offering the loop a turn in large objects. */
async function writeCompactPaced(value: unknown, out: string[]): Promise<void> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    out.push(compact(value));
    return;
  }
  const o = value as object;
  const keys = await sortedKeysPaced(o);
  if (keys.length <= PACE_EVERY_KEYS && !keys.some((k) => isLargeObject(memberOf(o, k)))) {
    out.push(compact(value));
    return;
  }
  let separator = '{';
  for (let i = 0; i < keys.length; i++) {
    if (i % PACE_EVERY_KEYS === 0) await pace();
    const k = keys[i] as string;
    const child = memberOf(o, k);
    if (child === undefined) continue;
    out.push(separator + str(k) + ':');
    separator = ',';
    if (isLargeObject(child)) await writeCompactPaced(child, out);
    else out.push(compact(child));
  }
  out.push(separator === '{' ? '{}' : '}');
}

/**
 * `sortedKeys` with pacing points: runs of SORT_RUN keys are sorted one at a time, then merged
 * pairwise, SORT_RUN keys per step (one sort of a LinkDB's 100,000 subjects with the code-point
 * comparator took 100–160 ms in one go).
 */
async function sortedKeysPaced(o: object): Promise<string[]> {
  const keys = ownJsonKeys(o);
  if (keys.length <= SORT_RUN) return keys.sort(compareCodePoints);
  let runs: string[][] = [];
  for (let i = 0; i < keys.length; i += SORT_RUN) {
    await pace();
    runs.push(keys.slice(i, i + SORT_RUN).sort(compareCodePoints));
  }
  while (runs.length > 1) {
    const merged: string[][] = [];
    for (let i = 0; i < runs.length; i += 2)
      merged.push(i + 1 < runs.length ? await mergePaced(runs[i] as string[], runs[i + 1] as string[]) : (runs[i] as string[]));
    runs = merged;
  }
  return runs[0] as string[];
}

const SORT_RUN = 4096;

/** Two sorted runs as one, offering the loop a turn every SORT_RUN keys. Stable: `a` first on ties. */
async function mergePaced(a: string[], b: string[]): Promise<string[]> {
  const out: string[] = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let n = 0; n < out.length; n++) {
    if (n % SORT_RUN === 0) await pace();
    out[n] = j >= b.length || (i < a.length && compareCodePoints(a[i] as string, b[j] as string) <= 0) ? (a[i++] as string) : (b[j++] as string);
  }
  return out;
}

function isLargeObject(v: unknown): boolean {
  if (v instanceof Map) return v.size > PACE_EVERY_KEYS;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  let n = 0;
  for (const _ in v) if (++n > PACE_EVERY_KEYS) return true;
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function corrupt(file: string, why: string, cause?: unknown): LinkstoreError {
  return new LinkstoreError(
    'E_CORRUPT_FILE',
    `The file “${file}” is corrupt: ${why}. Restore it from a backup or remove it (\`linkstore doctor\` reports these).`,
    {
      path: file,
      cause,
    },
  );
}

/**
 * Check every string and key for lone surrogates and turn every object into a null-prototype map,
 * so a key read from a file (`__proto__`, `constructor`, …) is only ever an ordinary key.
 * Iterative: a hostile file can nest arrays deeper than the call stack.
 */
function checkAndDetach(root: unknown, file: string): void {
  checkAndDetachSome([root], file, Infinity);
}

/** Up to `max` nodes of `checkAndDetach`'s walk from `stack`; true when the walk is complete. */
function checkAndDetachSome(stack: unknown[], file: string, max: number): boolean {
  for (let n = 0; stack.length > 0; n++) {
    if (n >= max) return false;
    const v = stack.pop();
    if (typeof v === 'string') {
      if (!v.isWellFormed()) throw corrupt(file, 'it contains an unpaired surrogate escape');
    } else if (Array.isArray(v)) {
      for (const e of v) stack.push(e);
    } else if (v instanceof Map) {
      // A big map the sliced parse built as a Map (see parseSliced's mapMembers).
      for (const [k, e] of v as Map<string, unknown>) {
        if (!k.isWellFormed()) throw corrupt(file, 'a key contains an unpaired surrogate escape');
        stack.push(e);
      }
    } else if (v !== null && typeof v === 'object') {
      Object.setPrototypeOf(v, null);
      for (const k of Object.keys(v)) {
        if (!k.isWellFormed()) throw corrupt(file, 'a key contains an unpaired surrogate escape');
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return true;
}

/**
 * Decode a file's bytes as cPanel's strict loader would. `file` names the file in errors.
 * An empty file is corrupt here; callers that treat it as "no data" (cPanel's authn readers)
 * check for that first.
 */
export function decodeStrict(bytes: Uint8Array, file: string): JsonValue {
  const value = parseStrict(bytes, file);
  checkAndDetach(value, file);
  return value;
}

/**
 * Files at least this large are decoded and encoded in slices by the `…Paced` variants, letting
 * the host's event loop turn between them (a 20,000-entry LinkDB is 2.5 MB: its checks and its
 * encoding took 150 and 240 ms of loop each here).
 */
export const PACED_MIN_BYTES = 128 * 1024;
const PACE_EVERY_NODES = 4096;
const PACE_EVERY_KEYS = 512;

/**
 * `decodeStrict` for files that may be large: the same result, with the parse (json-sliced.ts),
 * the checks and the null-prototype pass run in slices (see `pace`). Only a text the sliced parse
 * gives up on (broken JSON, nesting deeper than it splits) is parsed in one step, for its verdict.
 * `mapMembers`: top-level members that come back as `Map`s when they are walked slice by slice
 * (see parseSliced); the caller must accept either form, since a small one stays an object.
 */
export async function decodeStrictPaced(bytes: Uint8Array, file: string, mapMembers?: ReadonlySet<string>): Promise<JsonValue> {
  if (bytes.length < PACED_MIN_BYTES) return decodeStrict(bytes, file);
  const text = await decodeTextPaced(bytes, file);
  await pace();
  const value = ((await parseSliced(text, undefined, mapMembers))?.value as JsonValue | undefined) ?? parseText(text, file);
  const stack: unknown[] = [value];
  while (!checkAndDetachSome(stack, file, PACE_EVERY_NODES)) await pace();
  return value;
}

/** UTF-8, BOM and JSON syntax checks, then `JSON.parse` (objects still have their prototypes). */
function parseStrict(bytes: Uint8Array, file: string): JsonValue {
  return parseText(decodeText(bytes, file), file);
}

/** The text of a file's bytes: strict UTF-8, not empty, no byte-order mark. */
function decodeText(bytes: Uint8Array, file: string): string {
  if (bytes.length === 0) throw corrupt(file, 'it is empty');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (e) {
    throw corrupt(file, 'it is not valid UTF-8', e);
  }
  if (text.charCodeAt(0) === 0xfeff) throw corrupt(file, 'it starts with a byte-order mark');
  return text;
}

/** Bytes decoded in one step by `decodeTextPaced` (one decode of 12 MB held the loop 20–30 ms). */
const DECODE_STEP_BYTES = 1024 * 1024;

/** `decodeText` a step at a time: a streaming decoder carries a character split across steps. */
async function decodeTextPaced(bytes: Uint8Array, file: string): Promise<string> {
  if (bytes.length === 0) throw corrupt(file, 'it is empty');
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const parts: string[] = [];
  try {
    for (let off = 0; off < bytes.length; off += DECODE_STEP_BYTES) {
      await pace();
      const end = Math.min(bytes.length, off + DECODE_STEP_BYTES);
      parts.push(decoder.decode(bytes.subarray(off, end), { stream: end < bytes.length }));
    }
  } catch (e) {
    throw corrupt(file, 'it is not valid UTF-8', e);
  }
  const text = parts.join('');
  if (text.charCodeAt(0) === 0xfeff) throw corrupt(file, 'it starts with a byte-order mark');
  return text;
}

/** `JSON.parse` of a file's text; a syntax error says where, never what. */
function parseText(text: string, file: string): JsonValue {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    // V8's message quotes the text around the error, which may be a secret: say where, not what.
    throw corrupt(file, `it is not valid JSON (${describeSyntaxError(text)})`);
  }
  return value;
}

/**
 * `JSON.parse` for text that is not a cPanel file (a request parameter, an NDJSON line): objects
 * come back as null-prototype maps, and a syntax error is described by position only
 * ("… at line 1, column 17"), never by the text, which may hold a secret.
 */
export function parseJsonText(text: string): { ok: true; value: JsonValue } | { ok: false; problem: string; line: number; column: number } {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return { ok: false, ...locateSyntaxError(text) };
  }
  detach(value);
  return { ok: true, value };
}

/** Turn every object of a parsed value into a null-prototype map (iterative, like the checks above). */
function detach(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (!Array.isArray(v)) Object.setPrototypeOf(v, null);
    for (const e of Object.values(v)) if (e !== null && typeof e === 'object') stack.push(e);
  }
}

export function isPlainObject(v: unknown): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
