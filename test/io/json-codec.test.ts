import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  decodeStrict,
  decodeStrictPaced,
  encodeCompact,
  encodeCompactPaced,
  encodePretty,
  PACED_MIN_BYTES,
} from '../../src/io/json-codec.js';
import { LinkstoreError } from '../../src/io/errors.js';

const F = '/var/cpanel/x.json';

describe('encodePretty (JSON::XS pretty canonical)', () => {
  it('matches the spec’s byte-exact escaping example', () => {
    const label = 'a"b\\c/d\te\u0001f\u001fg\u007fh\u00e9i\nj\rk\bl\fm';
    const out = Buffer.from(encodePretty({ label }), 'utf8');
    const expected = Buffer.concat([
      Buffer.from('{\n   "label" : "a\\"b\\\\c/d\\te\\u0001f\\u001fg'),
      Buffer.from([0x7f]),
      Buffer.from('h'),
      Buffer.from([0xc3, 0xa9]),
      Buffer.from('i\\nj\\rk\\bl\\fm"\n}\n'),
    ]);
    expect(out.equals(expected)).toBe(true);
  });

  it('writes the documented userconfig example with sorted keys', () => {
    const v = { url: 'https://billing.example.com/cp', label: 'WHMCS Billing', order: '5', hide: '0', implements: 'billing', subscriber_unique_id: '1234' };
    expect(encodePretty(v)).toBe(
      '{\n   "hide" : "0",\n   "implements" : "billing",\n   "label" : "WHMCS Billing",\n   "order" : "5",\n   "subscriber_unique_id" : "1234",\n   "url" : "https://billing.example.com/cp"\n}\n',
    );
  });

  it('writes adminconfig tokens and null, empty objects and arrays, nesting', () => {
    expect(encodePretty({ token: 'subway' })).toBe('{\n   "token" : "subway"\n}\n');
    expect(encodePretty({ token: null })).toBe('{\n   "token" : null\n}\n');
    expect(encodePretty({})).toBe('{}\n');
    expect(encodePretty([])).toBe('[]\n');
    expect(encodePretty([{ b: 1, a: {}, c: [] }])).toBe('[\n   {\n      "a" : {},\n      "b" : 1,\n      "c" : []\n   }\n]\n');
  });

  it('writes the documented DynamicUI group example', () => {
    const entry = {
      type: 'image',
      subtype: 'img',
      imgtype: 'icon',
      width: 32,
      height: 32,
      groupdesc: "$LANG{'WHMCS Control'}",
      description: "$LANG{'WHMCS Control'}",
      file: 'group_whmcs',
      group: 'whmcs',
      grouporder: '1',
    };
    expect(encodePretty([entry])).toBe(
      `[\n   {\n      "description" : "$LANG{'WHMCS Control'}",\n      "file" : "group_whmcs",\n      "group" : "whmcs",\n      "groupdesc" : "$LANG{'WHMCS Control'}",\n      "grouporder" : "1",\n      "height" : 32,\n      "imgtype" : "icon",\n      "subtype" : "img",\n      "type" : "image",\n      "width" : 32\n   }\n]\n`,
    );
  });

  it('sorts keys by code point, not UTF-16 unit (astral after U+FFFD)', () => {
    const keys = ['\u{1F600}', '\uFFFD', 'b', 'a', 'é'];
    expect(Object.keys(JSON.parse(encodePretty(Object.fromEntries(keys.map((k) => [k, 1])))))).toEqual(['a', 'b', 'é', '\uFFFD', '\u{1F600}']);
  });

  it('refuses lone surrogates in values and keys with E_ENCODE', () => {
    expect(() => encodePretty({ a: 'x\uD800' })).toThrow(expect.objectContaining({ code: 'E_ENCODE' }));
    expect(() => encodeCompact({ ['\uDC00']: 'x' })).toThrow(expect.objectContaining({ code: 'E_ENCODE' }));
  });

  it('property: pretty and compact round-trip through JSON.parse and decodeStrict', () => {
    const val = fc.jsonValue().filter((v) => JSON.stringify(v).isWellFormed() && !JSON.stringify(v).includes('-0'));
    fc.assert(
      fc.property(val, (v) => {
        const norm = JSON.parse(JSON.stringify(v)) as unknown;
        expect(decodeStrict(Buffer.from(encodePretty(v)), F)).toEqual(norm);
        expect(decodeStrict(Buffer.from(encodeCompact(v)), F)).toEqual(norm);
        expect(encodePretty(v).endsWith('\n') && !encodePretty(v).endsWith('\n\n')).toBe(true);
        expect(encodeCompact(v)).not.toMatch(/\n$/);
      }),
      { numRuns: 300 },
    );
  });

  it('property: pretty output never uses ": " without a leading space and indents by 3', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (o) => {
        const text = encodePretty(o);
        for (const line of text.split('\n').slice(1, -2)) expect(line.startsWith('   "')).toBe(true);
        expect(text).toBe(Object.keys(o).length ? text : '{}\n');
      }),
    );
  });
});

describe('compareCodePoints', () => {
  it('agrees with UTF-8 byte order', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });
});

describe('decodeStrict', () => {
  const bad = (bytes: Uint8Array | string, why: RegExp) => {
    const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    let err: unknown;
    try {
      decodeStrict(b, F);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LinkstoreError);
    expect((err as LinkstoreError).code).toBe('E_CORRUPT_FILE');
    expect((err as LinkstoreError).path).toBe(F);
    expect((err as LinkstoreError).message).toContain(F);
    expect((err as LinkstoreError).message).toMatch(why);
  };
  it('rejects empty, truncated, invalid UTF-8, BOM and lone surrogate escapes', () => {
    bad('', /empty/);
    bad('{"a":', /not valid JSON/);
    bad(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), /UTF-8/);
    bad(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')]), /byte-order mark/);
    bad('{"a":"\\ud800"}', /surrogate/);
    bad('{"\\udc00":1}', /surrogate/);
  });
  it('accepts any key order, whitespace and a trailing newline; keeps paired surrogate escapes', () => {
    expect(decodeStrict(Buffer.from(' {"b":1,\n"a":"\\ud83d\\ude00"}\n'), F)).toEqual({ b: 1, a: '\u{1F600}' });
  });
  it('property: arbitrary bytes give a value or E_CORRUPT_FILE, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeStrict(bytes, F);
        } catch (e) {
          expect(e).toBeInstanceOf(LinkstoreError);
          expect((e as LinkstoreError).code).toBe('E_CORRUPT_FILE');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('paced decode and encode (large files let the event loop turn)', () => {
  /** A LinkDB-shaped value with `n` subjects and users, and some awkward keys. */
  function bigLinkDb(n: number): Record<string, unknown> {
    const subjects: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const users: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      const s = i % 997 === 0 ? `__proto__${i}` : `subject-${i}`;
      subjects[s] = { [`u${i}`]: { link_time: 1_700_000_000 + i, preferred_username: `p${i} é`, version: '1.1' } };
      users[`u${i}`] = { [s]: 1 };
    }
    subjects['__proto__'] = { constructor: { link_time: 1, version: '1.1' } };
    return { subject_unique_identifier: subjects, user: users };
  }

  it('gives exactly the bytes and values of the one-go codec, for large and small values', async () => {
    const big = bigLinkDb(6000);
    const text = encodeCompact(big);
    expect(Buffer.byteLength(text)).toBeGreaterThan(PACED_MIN_BYTES);
    expect(await encodeCompactPaced(big)).toBe(text);
    const bytes = Buffer.from(text);
    const paced = await decodeStrictPaced(bytes, '/x');
    expect(paced).toEqual(decodeStrict(bytes, '/x'));
    expect(Object.getPrototypeOf((paced as Record<string, Record<string, unknown>>).subject_unique_identifier)).toBeNull();
    expect(Object.hasOwn((paced as Record<string, object>).subject_unique_identifier as object, '__proto__')).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (v) => {
        expect(await encodeCompactPaced(v)).toBe(encodeCompact(v));
      }),
      { numRuns: 200 },
    );
  });

  it('sorts a map larger than one sort run exactly as the one-go codec (code-point order, astral keys)', async () => {
    const key = fc.string({ unit: 'binary', maxLength: 6 }).filter((k) => k.isWellFormed());
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { minLength: 4_100, maxLength: 9_000 }), async (keys) => {
        const map = Object.fromEntries(keys.map((k, i) => [k, i]));
        expect(await encodeCompactPaced({ m: map })).toBe(encodeCompact({ m: map }));
      }),
      { numRuns: 5 },
    );
  });

  it('lets a timer run while a large value is decoded and encoded', async () => {
    const text = encodeCompact(bigLinkDb(20000));
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 0);
    await decodeStrictPaced(Buffer.from(text), '/x').then(() => order.push('decoded'));
    expect(order).toEqual(['timer', 'decoded']);
    const order2: string[] = [];
    const value = decodeStrict(Buffer.from(text), '/x');
    setTimeout(() => order2.push('timer'), 0);
    await encodeCompactPaced(value).then(() => order2.push('encoded'));
    expect(order2).toEqual(['timer', 'encoded']);
  });

  it('reports the same errors as the one-go codec', async () => {
    const text = encodeCompact(bigLinkDb(6000));
    const broken = Buffer.from(text.slice(0, -2));
    const e1 = (() => {
      try {
        decodeStrict(broken, '/x');
      } catch (e) {
        return (e as LinkstoreError).message;
      }
    })();
    const e2 = await decodeStrictPaced(broken, '/x').then(
      () => undefined,
      (e: LinkstoreError) => e.message,
    );
    expect(e2).toBe(e1);
    expect(e2).toMatch(/not valid JSON/);
  });
});
