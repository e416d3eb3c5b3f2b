/**
 * `JSON.parse` of a large text in slices, so the host's event loop turns while a big file (a
 * 20,000-link LinkDB is 2.5 MB; one `JSON.parse` of it held the loop for 80–180 ms here) is read.
 *
 * The text is cut at member and element boundaries: objects and arrays larger than a slice are
 * walked member by member, and runs of smaller members are handed to `JSON.parse` together, a slice
 * at a time, with a pacing point between slices. Every byte still goes through `JSON.parse`, except
 * the commas, colons and brackets between slices, which the walk checks itself; so the walk can
 * only refuse what `JSON.parse` would refuse. Anything it is unsure of (a syntax error, nesting
 * deeper than it splits) makes it give up: the caller then parses the whole text in one step, as
 * before, and reports `JSON.parse`'s verdict.
 *
 * The result equals `JSON.parse(text)` (same keys, values and key order; a duplicate key keeps its
 * first position and its last value), except that the objects it builds itself have a null
 * prototype; callers detach the rest (see json-codec.ts). A caller may ask for some top-level
 * members as `Map`s (`mapMembers`, the LinkDB's two maps): a member walked slice by slice then
 * comes back as a Map, whose keys can be listed in a millisecond where a 100,000-key object's
 * `Object.keys` held the loop for 50–75 ms; a member small enough for one slice stays an object.
 */
import { pace } from './pace.js';

/** Characters scanned or parsed in one step before the walk offers the event loop a turn. */
export const SLICE_CHARS = 64 * 1024;
/** Containers nested deeper than this are parsed whole (a hostile file may nest a million deep). */
const MAX_SPLIT_DEPTH = 4;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Thrown inside the walk when the text is not what it expected; never escapes `parseSliced`. */
class GiveUp extends Error {}

const isWhitespace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A member (or element) run waiting to be parsed in one `JSON.parse`: [start, end) of the text. */
interface Run {
  start: number;
  end: number;
}

class SlicedWalk {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly slice: number,
    private readonly mapMembers: ReadonlySet<string>,
  ) {}

  async document(): Promise<unknown> {
    const value = await this.value(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) throw new GiveUp();
    return value;
  }

  /** The value at the current position; `asMap`: an object walked member by member becomes a Map. */
  private async value(depth: number, asMap = false): Promise<unknown> {
    this.skipWhitespace();
    const start = this.pos;
    const end = this.scanValue(start, depth < MAX_SPLIT_DEPTH ? this.slice : Infinity);
    if (end >= 0) {
      this.pos = end;
      return JSON.parse(this.text.slice(start, end)) as unknown;
    }
    return this.text.charCodeAt(start) === OPEN_OBJECT ? this.object(depth, asMap) : this.array(depth);
  }

  private async object(depth: number, asMap: boolean): Promise<unknown> {
    const map = asMap ? new Map<string, unknown>() : undefined;
    const record = asMap ? undefined : (Object.create(null) as Record<string, unknown>);
    // Map.set, like an assignment, keeps a repeated key at its first position with its last value.
    const put = (key: string, v: unknown): void => void (map ? map.set(key, v) : ((record as Record<string, unknown>)[key] = v));
    const run: Run = { start: -1, end: -1 };
    const flush = async (): Promise<void> => {
      if (run.start < 0) return;
      const part = JSON.parse(`{${this.text.slice(run.start, run.end)}}`) as Record<string, unknown>;
      for (const key of Object.keys(part)) put(key, part[key]);
      run.start = -1;
      await pace();
    };
    const out = map ?? record;
    this.pos++;
    this.skipWhitespace();
    if (this.at() === CLOSE_OBJECT) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      const keyStart = this.pos;
      if (this.at() !== QUOTE) throw new GiveUp();
      const keyEnd = this.scanString(keyStart);
      this.pos = keyEnd;
      this.skipWhitespace();
      if (this.at() !== COLON) throw new GiveUp();
      this.pos++;
      this.skipWhitespace();
      const valueEnd = this.scanValue(this.pos, depth + 1 < MAX_SPLIT_DEPTH ? this.slice : Infinity);
      if (valueEnd < 0) {
        // A member too large for one slice: parsed on its own, member by member.
        await flush();
        const key = JSON.parse(this.text.slice(keyStart, keyEnd)) as string;
        put(key, await this.value(depth + 1, depth === 0 && this.mapMembers.has(key)));
      } else {
        if (run.start < 0) run.start = keyStart;
        run.end = this.pos = valueEnd;
        if (run.end - run.start >= this.slice) await flush();
      }
      this.skipWhitespace();
      const next = this.at();
      this.pos++;
      if (next === COMMA) continue;
      if (next !== CLOSE_OBJECT) throw new GiveUp();
      await flush();
      return out;
    }
  }

  private async array(depth: number): Promise<unknown> {
    const out: unknown[] = [];
    const run: Run = { start: -1, end: -1 };
    const flush = async (): Promise<void> => {
      if (run.start < 0) return;
      for (const element of JSON.parse(`[${this.text.slice(run.start, run.end)}]`) as unknown[]) out.push(element);
      run.start = -1;
      await pace();
    };
    this.pos++;
    this.skipWhitespace();
    if (this.at() === CLOSE_ARRAY) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      const start = this.pos;
      const end = this.scanValue(start, depth + 1 < MAX_SPLIT_DEPTH ? this.slice : Infinity);
      if (end < 0) {
        await flush();
        out.push(await this.value(depth + 1));
      } else {
        if (run.start < 0) run.start = start;
        run.end = this.pos = end;
        if (run.end - run.start >= this.slice) await flush();
      }
      this.skipWhitespace();
      const next = this.at();
      this.pos++;
      if (next === COMMA) continue;
      if (next !== CLOSE_ARRAY) throw new GiveUp();
      await flush();
      return out;
    }
  }

  private at(): number {
    return this.text.charCodeAt(this.pos);
  }

  private skipWhitespace(): void {
    while (isWhitespace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /**
   * The end of the value at `start`, or -1 when it is an object or array that runs on for more
   * than `budget` characters (the caller then walks into it). Only strings and brackets are
   * tracked: what lies between is `JSON.parse`'s to check.
   */
  private scanValue(start: number, budget: number): number {
    const c = this.text.charCodeAt(start);
    if (c === QUOTE) return this.scanString(start);
    if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) return this.scanScalar(start);
    const limit = start + budget;
    let depth = 0;
    for (let i = start; i < this.text.length;) {
      if (i > limit) return -1;
      const d = this.text.charCodeAt(i);
      if (d === QUOTE) {
        i = this.scanString(i);
        continue;
      }
      if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
      else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) return i + 1;
      i++;
    }
    throw new GiveUp();
  }

  /** The index after the closing quote of the string that starts at `start`. */
  private scanString(start: number): number {
    for (let from = start + 1; ;) {
      const quote = this.text.indexOf('"', from);
      if (quote < 0) throw new GiveUp();
      let backslashes = 0;
      while (this.text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) return quote + 1;
      from = quote + 1;
    }
  }

  /** The end of a number or literal: the next delimiter (its spelling is `JSON.parse`'s to check). */
  private scanScalar(start: number): number {
    let i = start;
    for (; i < this.text.length; i++) {
      const c = this.text.charCodeAt(i);
      if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || isWhitespace(c)) break;
    }
    if (i === start) throw new GiveUp();
    return i;
  }
}

/**
 * `JSON.parse(text)` in slices of about `SLICE_CHARS`, with a pacing point between them; `undefined`
 * when the text is not valid JSON or is shaped so that it cannot be split (the caller parses it
 * whole, in one step, for the verdict and the error's position).
 */
export async function parseSliced(
  text: string,
  sliceChars = SLICE_CHARS,
  mapMembers: ReadonlySet<string> = new Set(),
): Promise<{ value: unknown } | undefined> {
  try {
    return { value: await new SlicedWalk(text, sliceChars, mapMembers).document() };
  } catch (e) {
    if (e instanceof GiveUp || e instanceof SyntaxError || e instanceof RangeError) return undefined;
    throw e;
  }
}
