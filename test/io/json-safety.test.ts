/**
 * The JSON codec as a door for hostile text: keys read from a file are ordinary keys (null-prototype
 * maps, `__proto__` written back as a key), and a syntax error says where, never what.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStrict, encodeCompact, encodePretty, parseJsonText } from '../../src/io/json-codec.js';
import { describeSyntaxError, findSyntaxProblem, lineAndColumn } from '../../src/io/json-syntax.js';
import type { LinkstoreError } from '../../src/io/errors.js';

const F = '/var/cpanel/x.json';
const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

function decodeError(text: string): LinkstoreError {
  try {
    decodeStrict(Buffer.from(text), F);
  } catch (e) {
    return e as LinkstoreError;
  }
  throw new Error(`decoded: ${text}`);
}

describe('decodeStrict: keys are data', () => {
  it('returns null-prototype objects at every depth, with __proto__ as an own key', () => {
    type Tree = { [k: string]: Tree } & { x: { [k: string]: unknown }[] };
    const v = decodeStrict(Buffer.from('{"__proto__":{"constructor":{"x":[{"toString":1}]}},"a":1}'), F) as unknown as Record<string, Tree>;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    const inner = v['__proto__'] as Tree;
    expect(Object.getPrototypeOf(inner)).toBeNull();
    expect(Object.getPrototypeOf(inner['constructor'])).toBeNull();
    expect(Object.getPrototypeOf((inner['constructor'] as unknown as Tree).x[0])).toBeNull();
    expect((v as Record<string, unknown>).valueOf).toBeUndefined();
  });

  it('writes such keys back byte for byte, compact and pretty', () => {
    for (const k of PROTO_NAMES) {
      const text = `{"${k}":{"${k}":"v"},"z":1}`;
      const v = decodeStrict(Buffer.from(text), F);
      expect(encodeCompact(v)).toBe(text);
      expect(encodePretty(v)).toBe(`{\n   "${k}" : {\n      "${k}" : "v"\n   },\n   "z" : 1\n}\n`);
    }
  });

  it('parseJsonText (parameters, NDJSON lines) gives null-prototype objects too', () => {
    const r = parseJsonText('[{"__proto__":{"a":1}}]');
    expect(r.ok).toBe(true);
    const first = (r as { value: Record<string, unknown>[] }).value[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(first)).toBeNull();
    expect(Object.keys(first)).toEqual(['__proto__']);
  });

  it('refuses to write an object whose prototype hides keys (E_ENCODE)', () => {
    const o: Record<string, unknown> = { a: 1 };
    o['__proto__'] = { hidden: 1 };
    expect(() => encodeCompact(o)).toThrow(expect.objectContaining({ code: 'E_ENCODE' }));
    expect(() => encodePretty([new Date(0)])).toThrow(expect.objectContaining({ code: 'E_ENCODE' }));
  });

  it('property: any JSON value with prototype-named keys round-trips and leaves Object.prototype alone', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const key = fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.string({ maxLength: 4 }));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), tie('o')),
      o: fc.dictionary(key, tie('v'), { maxKeys: 4 }),
    })).o;
    fc.assert(
      fc.property(value, (v) => {
        const text = encodeCompact(v);
        const back = decodeStrict(Buffer.from(text), F);
        expect(encodeCompact(back)).toBe(text);
        expect(Object.keys(back as object).sort()).toEqual(Object.keys(v).sort());
      }),
      { numRuns: 300 },
    );
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });
});

describe('JSON syntax errors: position, never content', () => {
  it('names the line and column of an unquoted secret without quoting it', () => {
    const e = decodeError('{\n   "client_id" : "cid",\n   "client_secret" : MARKERsecret123\n}');
    expect(e.code).toBe('E_CORRUPT_FILE');
    expect(e.path).toBe(F);
    expect(e.message).toContain('line 3, column 22');
    expect(e.message).not.toMatch(/MARK|secret1|ecret/);
    expect(e.cause).toBeUndefined();
  });

  it('describes each kind of problem', () => {
    expect(describeSyntaxError('{"token":"abc')).toBe('a string that is never closed at line 1, column 10');
    expect(describeSyntaxError('{"a":1,}')).toBe('a property name that is not a string in double quotes at line 1, column 8');
    expect(describeSyntaxError('{"a" 1}')).toBe('a missing “:” after a property name at line 1, column 6');
    expect(describeSyntaxError('[1 2]')).toBe('a missing “,” or “]” after an array element at line 1, column 4');
    expect(describeSyntaxError('{"a":1 "b":2}')).toBe('a missing “,” or “}” after a property value at line 1, column 8');
    expect(describeSyntaxError('{"a":"x\ty"}')).toBe('a control character inside a string at line 1, column 8');
    expect(describeSyntaxError('{"a":"\\q"}')).toBe('an invalid escape sequence at line 1, column 7');
    expect(describeSyntaxError('{"a":"\\u12G4"}')).toBe('an invalid \\u escape at line 1, column 7');
    expect(describeSyntaxError('-')).toBe('an invalid number at line 1, column 1');
    expect(describeSyntaxError('{} x')).toBe('more text after the JSON value at line 1, column 4');
    expect(describeSyntaxError('{"a":')).toBe('the text ends where a value should be at line 1, column 6');
    expect(describeSyntaxError('[1,')).toBe('the text ends where a value should be at line 1, column 4');
    expect(describeSyntaxError('{"a":1')).toBe('the text ends inside an object at line 1, column 7');
    expect(describeSyntaxError('[[1]')).toBe('the text ends inside an array at line 1, column 5');
    expect(describeSyntaxError('{"é":tru}')).toBe('an unexpected character where a value should be at line 1, column 6');
  });

  it('counts columns in characters and lines by LF', () => {
    expect(lineAndColumn('a\nbc\n😀x', 7)).toEqual({ line: 3, column: 2 });
    expect(lineAndColumn('abc', 0)).toEqual({ line: 1, column: 1 });
  });

  it('property: the scanner finds a problem exactly when JSON.parse refuses the text', () => {
    const jsonish = fc.oneof(
      fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', ' ', '\n', '\\', 'u', '0', '1', '-', '.', 'e', 'a', 't', 'r', 'n', 'l', 'f', 's') }),
      fc.jsonValue().chain((v) => {
        const t = JSON.stringify(v);
        return fc
          .tuple(fc.nat(t.length), fc.nat(t.length), fc.string({ maxLength: 2 }))
          .map(([a, b, s]) => t.slice(0, Math.min(a, b)) + s + t.slice(Math.max(a, b)));
      }),
    );
    fc.assert(
      fc.property(jsonish, (t) => {
        let ok = true;
        try {
          JSON.parse(t);
        } catch {
          ok = false;
        }
        expect(findSyntaxProblem(t) === undefined).toBe(ok);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: a secret planted in a broken file never reaches the message', () => {
    const secret = fc.stringMatching(/^[0-9A-F]{12,24}$/).map((s) => `ZQ${s}`);
    fc.assert(
      fc.property(secret, fc.nat(), fc.constantFrom('unquoted', 'unclosed', 'truncated', 'bad-escape', 'trailing'), (s, cut, form) => {
        const good = `{\n   "client_id" : "cid",\n   "client_secret" : "${s}"\n}\n`;
        const text =
          form === 'unquoted'
            ? good.replace(`"${s}"`, s)
            : form === 'unclosed'
              ? good.replace(`${s}"`, s)
              : form === 'truncated'
                ? good.slice(0, good.indexOf(s) + 1 + (cut % (s.length - 1)))
                : form === 'bad-escape'
                  ? good.replace(s, `${s.slice(0, 6)}\\x${s.slice(6)}`)
                  : good.replace('\n}', `,\n   ${s}\n}`);
        const e = decodeError(text);
        for (let i = 0; i + 4 <= s.length; i++) expect(e.message).not.toContain(s.slice(i, i + 4));
      }),
      { numRuns: 500 },
    );
  });
});
