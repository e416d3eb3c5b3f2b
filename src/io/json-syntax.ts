/**
 * Where a text stops being JSON, said without quoting it. V8's `JSON.parse` messages quote the
 * text around the error, and the files the library reads hold tokens and client secrets, so a
 * parse error is described by its line, its column and the kind of problem only. This scanner
 * runs only after `JSON.parse` has refused a text; it follows RFC 8259 as `JSON.parse` does.
 */

interface SyntaxProblem {
  /** UTF-16 offset of the first character that cannot be JSON there. */
  offset: number;
  problem: string;
}

type State = 'value' | 'key' | 'after';

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** The end offset of the string starting at `start` (a `"`), or its problem. */
function scanString(t: string, start: number): number | SyntaxProblem {
  let i = start + 1;
  while (i < t.length) {
    const c = t.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return { offset: i, problem: 'a control character inside a string' };
    if (c === 0x5c) {
      const e = t[i + 1];
      if (e === 'u') {
        HEX4.lastIndex = i + 2;
        if (!HEX4.test(t)) return { offset: i, problem: 'an invalid \\u escape' };
        i += 6;
        continue;
      }
      if (e === undefined || !'"\\/bfnrt'.includes(e)) return { offset: i, problem: 'an invalid escape sequence' };
      i += 2;
      continue;
    }
    i++;
  }
  return { offset: start, problem: 'a string that is never closed' };
}

/** The end offset of the scalar value at `i`, or its problem. */
function scanScalar(t: string, i: number): number | SyntaxProblem {
  const c = t[i] as string;
  if (c === '"') return scanString(t, i);
  if (c === '-' || (c >= '0' && c <= '9')) {
    NUMBER.lastIndex = i;
    return NUMBER.test(t) ? NUMBER.lastIndex : { offset: i, problem: 'an invalid number' };
  }
  for (const word of ['true', 'false', 'null']) if (t.startsWith(word, i)) return i + word.length;
  return { offset: i, problem: 'an unexpected character where a value should be' };
}

/** The first syntax problem of `t`, or undefined when `t` is JSON. */
export function findSyntaxProblem(t: string): SyntaxProblem | undefined {
  const open: string[] = [];
  let state: State = 'value';
  let i = 0;
  for (;;) {
    while (i < t.length && isSpace(t.charCodeAt(i))) i++;
    const c = t[i];
    if (state === 'value') {
      if (c === undefined) return { offset: i, problem: 'the text ends where a value should be' };
      if (c === '{' || c === '[') {
        open.push(c);
        i++;
        while (i < t.length && isSpace(t.charCodeAt(i))) i++;
        if (t[i] === (c === '{' ? '}' : ']')) {
          open.pop();
          i++;
          state = 'after';
        } else state = c === '{' ? 'key' : 'value';
        continue;
      }
      const end = scanScalar(t, i);
      if (typeof end !== 'number') return end;
      i = end;
      state = 'after';
    } else if (state === 'key') {
      if (c !== '"')
        return { offset: i, problem: c === undefined ? 'the text ends inside an object' : 'a property name that is not a string in double quotes' };
      const end = scanString(t, i);
      if (typeof end !== 'number') return end;
      i = end;
      while (i < t.length && isSpace(t.charCodeAt(i))) i++;
      if (t[i] !== ':') return { offset: i, problem: 'a missing “:” after a property name' };
      i++;
      state = 'value';
    } else {
      const top = open[open.length - 1];
      if (top === undefined) return c === undefined ? undefined : { offset: i, problem: 'more text after the JSON value' };
      if (c === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if (c === (top === '{' ? '}' : ']')) {
        open.pop();
        i++;
      } else if (c === undefined) {
        return { offset: i, problem: top === '{' ? 'the text ends inside an object' : 'the text ends inside an array' };
      } else {
        return { offset: i, problem: top === '{' ? 'a missing “,” or “}” after a property value' : 'a missing “,” or “]” after an array element' };
      }
    }
  }
}

/** 1-based line and column (in characters) of `offset` in `t`. */
export function lineAndColumn(t: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = t.indexOf('\n'); i !== -1 && i < offset; i = t.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: [...t.slice(lineStart, offset)].length + 1 };
}

/** What and where (1-based line and column) the first problem of a text JSON.parse refused is. */
export function locateSyntaxError(t: string): { problem: string; line: number; column: number } {
  const p = findSyntaxProblem(t);
  if (p === undefined) return { problem: 'a syntax error', line: 1, column: 1 };
  return { problem: p.problem, ...lineAndColumn(t, p.offset) };
}

/** "<problem> at line L, column C" for a text JSON.parse refused; never any of the text itself. */
export function describeSyntaxError(t: string): string {
  const { problem, line, column } = locateSyntaxError(t);
  return `${problem} at line ${line}, column ${column}`;
}
