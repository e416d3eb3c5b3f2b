/**
 * The sliced parse gives `JSON.parse`'s answer (value, key order, duplicate keys, verdict) for any
 * text, in slices; and the paced schema checks give the whole check's verdict and message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStrict, decodeStrictPaced, encodeCompact, encodeCompactBytesPaced, encodeCompactPaced, PACED_MIN_BYTES } from '../../src/io/json-codec.js';
import { parseSliced } from '../../src/io/json-sliced.js';
import { assertFileSchema, assertFileSchemaPaced, assertWritable, assertWritablePaced } from '../../src/io/schema.js';

/** What JSON.parse says of `text`: its value as canonical text (key order kept), or "refused". */
function verdictOf(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return 'refused';
  }
}

async function slicedVerdict(text: string, slice: number): Promise<string> {
  const r = await parseSliced(text, slice);
  return r === undefined ? 'refused' : JSON.stringify(r.value);
}

/** JSON text of `v` with whitespace sprinkled where JSON allows it. */
const spaced = (v: unknown, indent: number) => JSON.stringify(v, null, indent);

/** A LinkDB-shaped value with `n` subjects. */
function linkDb(n: number): { subject_unique_identifier: Record<string, Record<string, object>>; user: Record<string, Record<string, number>> } {
  const ldb = { subject_unique_identifier: {} as Record<string, Record<string, object>>, user: {} as Record<string, Record<string, number>> };
  for (let i = 0; i < n; i++) {
    const subject = String(100_000_000_000 + i);
    const user = i % 4 === 0 ? `m${i}@u${i % 50}.example` : `u${i % 50}`;
    (ldb.subject_unique_identifier[subject] ??= {})[user] = { link_time: 1_700_000_000 + i, preferred_username: `p${i}`, version: '1.1' };
    (ldb.user[user] ??= {})[subject] = 1;
  }
  return ldb;
}

describe('parseSliced', () => {
  it('equals JSON.parse on any JSON value, whatever the slice size and spacing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.integer({ min: 1, max: 64 }), fc.constantFrom(0, 1, 3), async (v, slice, indent) => {
        const text = spaced(v, indent);
        expect(await slicedVerdict(text, slice)).toBe(verdictOf(text));
      }),
      { numRuns: 400 },
    );
  });

  it('refuses exactly what JSON.parse refuses: texts mutated by a deleted, inserted or replaced character', async () => {
    const mutate = fc
      .tuple(fc.jsonValue(), fc.nat(), fc.constantFrom('', ',', ':', '"', '\\', '{', '}', '[', ']', ' ', 'x', '1', '\u0001'), fc.boolean())
      .map(([v, at, ch, replace]) => {
        const text = JSON.stringify(v);
        const i = text.length === 0 ? 0 : at % text.length;
        return text.slice(0, i) + ch + text.slice(replace ? i + 1 : i);
      });
    await fc.assert(
      fc.asyncProperty(mutate, fc.integer({ min: 1, max: 32 }), async (text, slice) => {
        expect(await slicedVerdict(text, slice)).toBe(verdictOf(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a duplicate key at its first position with its last value, across slices', async () => {
    const text = '{"a":1,"b":{"x":[1,2,3,4,5,6,7,8]},"a":{"y":"zzzzzzzzzzzzzzzzzzzz"},"c":3,"b":2}';
    for (const slice of [1, 4, 16, 1000]) expect(await slicedVerdict(text, slice)).toBe(verdictOf(text));
  });

  it('reads __proto__ and constructor as ordinary keys and leaves Object.prototype alone', async () => {
    const text = `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"p":1}},"big":{"__proto__":{"q":[${'1,'.repeat(50)}1]},"toString":"x"}}`;
    const r = await parseSliced(text, 8);
    expect(r).toBeDefined();
    const value = r?.value as Record<string, unknown>;
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(Object.hasOwn(value.big as object, '__proto__')).toBe(true);
    expect(JSON.stringify(value)).toBe(verdictOf(text));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('gives up, without walking forever, on nesting deeper than it splits', async () => {
    const deep = '['.repeat(3_000) + ']'.repeat(3_000);
    expect(await slicedVerdict(deep, 16)).toBe(verdictOf(deep));
    // Deeper than JSON.stringify can write back: the walk stops splitting at its depth limit and
    // hands the rest to JSON.parse, so it answers at once.
    const deeper = '['.repeat(200_000) + ']'.repeat(200_000);
    const r = await parseSliced(deeper, 16);
    expect(Array.isArray(r?.value)).toBe(true);
    const deepObject = '{"a":'.repeat(2_000) + '1' + '}'.repeat(2_000);
    expect(await slicedVerdict(deepObject, 16)).toBe(verdictOf(deepObject));
  });

  it('lets the event loop turn while a 20,000-link LinkDB is parsed', async () => {
    const text = encodeCompact(linkDb(20_000));
    let turns = 0;
    let done = false;
    const tick = (): void => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const r = await parseSliced(text);
    done = true;
    expect(JSON.stringify(r?.value)).toBe(verdictOf(text));
    // One JSON.parse of the whole text would let no immediate run until it returned.
    expect(turns).toBeGreaterThan(1);
  });
});

describe('decodeStrictPaced on large files (the sliced parse)', () => {
  it('decodes a large LinkDB to the same value as decodeStrict, every object without a prototype', async () => {
    const bytes = Buffer.from(encodeCompact(linkDb(5_000)));
    expect(bytes.length).toBeGreaterThanOrEqual(PACED_MIN_BYTES);
    const paced = (await decodeStrictPaced(bytes, '/f')) as Record<string, Record<string, unknown>>;
    expect(encodeCompact(paced)).toBe(encodeCompact(decodeStrict(bytes, '/f')));
    expect(Object.getPrototypeOf(paced)).toBeNull();
    expect(Object.getPrototypeOf(paced.subject_unique_identifier)).toBeNull();
    expect(Object.getPrototypeOf(Object.values(paced.subject_unique_identifier as object)[0])).toBeNull();
  });

  it('decodes UTF-8 a step at a time: a character split between steps is whole, a broken one is refused', async () => {
    const MiB = 1024 * 1024;
    for (const ch of ['é', '€', '𝄞']) {
      for (let shift = 0; shift < 4; shift++) {
        // {"a":"xxx…<ch>…"}: the character starts `shift` bytes before the first step's end.
        const head = '{"a":"';
        const pad = 'x'.repeat(MiB - head.length - shift);
        const text = `${head}${pad}${ch}${'y'.repeat(MiB)}"}`;
        const bytes = Buffer.from(text);
        expect(await decodeStrictPaced(bytes, '/f')).toEqual(decodeStrict(bytes, '/f'));
      }
    }
    const broken = Buffer.from(`{"a":"${'x'.repeat(2 * MiB)}"}`);
    broken[MiB] = 0xe2; // the lead byte of a 3-byte character followed by ASCII
    await expect(decodeStrictPaced(broken, '/f')).rejects.toThrow(/not valid UTF-8/);
    const truncated = Buffer.concat([Buffer.from(`{"a":"${'x'.repeat(MiB)}`), Buffer.from([0xf0, 0x9d])]);
    await expect(decodeStrictPaced(truncated, '/f')).rejects.toThrow(/not valid UTF-8/);
  });

  it('reports a syntax error in a large file by position, as decodeStrict does', async () => {
    const text = encodeCompact(linkDb(5_000));
    const broken = Buffer.from(text.slice(0, 100_000) + 's3cr3t-marker,' + text.slice(100_000));
    const whole = (() => {
      try {
        decodeStrict(broken, '/f');
      } catch (e) {
        return (e as Error).message;
      }
    })();
    await expect(decodeStrictPaced(broken, '/f')).rejects.toThrow(whole as string);
    await expect(decodeStrictPaced(broken, '/f')).rejects.not.toThrow(/s3cr3t/);
  });
});

describe('LinkDB maps as Maps (mapMembers)', () => {
  const MAPS = new Set(['subject_unique_identifier', 'user']);
  /** A Map-bearing value as the plain object it stands for (entries in the Map's order). */
  const plain = (v: unknown): unknown =>
    v instanceof Map
      ? Object.fromEntries([...v].map(([k, e]) => [k, plain(e)]))
      : v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).map(([k, e]) => [k, plain(e)]))
        : v;

  it('returns the named members walked slice by slice as Maps holding JSON.parse’s entries, in its order', async () => {
    const text = encodeCompact(linkDb(3_000));
    const r = await parseSliced(text, 4096, MAPS);
    const value = r?.value as Record<string, unknown>;
    expect(value.subject_unique_identifier).toBeInstanceOf(Map);
    expect(value.user).toBeInstanceOf(Map);
    expect(JSON.stringify(plain(value))).toBe(verdictOf(text));
    // A member small enough for one slice stays an object; unnamed members never become Maps.
    const small = await parseSliced('{"user":{"a":{"s":1}},"other":{"b":1}}', 4096, MAPS);
    expect((small?.value as Record<string, unknown>).user).not.toBeInstanceOf(Map);
    const deep = await parseSliced(JSON.stringify({ x: { user: linkDb(500).user } }), 256, MAPS);
    expect(((deep?.value as Record<string, Record<string, unknown>>).x as Record<string, unknown>).user).not.toBeInstanceOf(Map);
  });

  it('keeps hostile keys (__proto__, constructor, toString) as ordinary entries, and a repeated key at its first position', async () => {
    const entries = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', ...Array.from({ length: 400 }, (_, i) => `s${i}`)];
    const body = entries.map((k) => `${JSON.stringify(k)}:{"u":{"version":"1.1"}}`).join(',');
    const text = `{"subject_unique_identifier":{${body},"__proto__":{"v":{"version":"1.1"}}},"user":{}}`;
    const value = (await parseSliced(text, 512, MAPS))?.value as Record<string, Map<string, unknown>>;
    const map = value.subject_unique_identifier as Map<string, unknown>;
    expect([...map.keys()].slice(0, 5)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']);
    expect(map.size).toBe(entries.length);
    expect(JSON.stringify(map.get('__proto__'))).toBe('{"v":{"version":"1.1"}}');
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('decodeStrictPaced checks and detaches inside the Maps; the paced codec writes a Map as the object it stands for', async () => {
    const ldb = linkDb(5_000);
    const bytes = Buffer.from(encodeCompact(ldb));
    const value = (await decodeStrictPaced(bytes, '/f', MAPS)) as unknown as Record<string, Map<string, Record<string, unknown>>>;
    expect(value.subject_unique_identifier).toBeInstanceOf(Map);
    const first = [...(value.subject_unique_identifier as Map<string, Record<string, unknown>>).values()][0];
    expect(Object.getPrototypeOf(first)).toBeNull();
    expect(await encodeCompactPaced(value)).toBe(bytes.toString());
    expect((await encodeCompactBytesPaced(value)).equals(bytes)).toBe(true);
    expect(encodeCompact(value)).toBe(bytes.toString());
    // A lone surrogate in a Map key is refused like one in an object key.
    const text = bytes.toString().replace('"100000000007"', '"\\ud800"');
    await expect(decodeStrictPaced(Buffer.from(text), '/f', MAPS)).rejects.toThrow(/unpaired surrogate/);
  });

  it('property: the paced and one-go encoders agree on values holding Maps', async () => {
    const key = fc.string({ maxLength: 5 }).filter((k) => k.isWellFormed());
    const entry = fc.dictionary(key, fc.oneof(fc.integer(), fc.string(), fc.constant(null)), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, entry), { maxLength: 1_500 }), async (pairs) => {
        const asMap = { m: new Map(pairs), n: 1 };
        const asObject = { m: Object.fromEntries(pairs), n: 1 };
        const expected = encodeCompact(asObject);
        expect(encodeCompact(asMap)).toBe(expected);
        expect(await encodeCompactPaced(asMap)).toBe(expected);
        expect((await encodeCompactBytesPaced(asMap)).toString()).toBe(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('schema checks look inside Maps, whole and paced', async () => {
    for (const n of [10, 3_000]) {
      const good = linkDb(n);
      const asMaps = { subject_unique_identifier: new Map(Object.entries(good.subject_unique_identifier)), user: new Map(Object.entries(good.user)) };
      expect(() => assertFileSchema('authn-linkdb', asMaps, '/f')).not.toThrow();
      await expect(assertFileSchemaPaced('authn-linkdb', asMaps, '/f')).resolves.toBeUndefined();
      asMaps.user.set('u1', { s: 'one' } as never);
      expect(() => assertFileSchema('authn-linkdb', asMaps, '/f')).toThrow(/\/user\/u1\/s must be number/);
      await expect(assertFileSchemaPaced('authn-linkdb', asMaps, '/f')).rejects.toThrow(/\/user\/u1\/s must be number/);
      await expect(assertWritablePaced('authn-linkdb', asMaps, '/f')).rejects.toThrow(/must be number/);
    }
  });
});

describe('paced schema checks', () => {
  it('accept what the whole check accepts and refuse with the same message', async () => {
    const good = linkDb(3_000);
    await expect(assertFileSchemaPaced('authn-linkdb', good, '/f')).resolves.toBeUndefined();
    await expect(assertWritablePaced('authn-linkdb', good, '/f')).resolves.toBeUndefined();
    for (const spoil of [
      (v: ReturnType<typeof linkDb>) => ((v.subject_unique_identifier['100000002999'] as Record<string, Record<string, unknown>>).u49!.link_time = 'soon'),
      (v: ReturnType<typeof linkDb>) => ((v.user.u7 as Record<string, unknown>)['100000000007'] = 'one'),
      (v: ReturnType<typeof linkDb>) => ((v as Record<string, unknown>).user = 'nobody'),
      (v: ReturnType<typeof linkDb>) => (v.subject_unique_identifier['s'] = 'not a map' as never),
    ]) {
      const bad = linkDb(3_000);
      spoil(bad);
      const wholeRead = catchMessage(() => assertFileSchema('authn-linkdb', bad, '/f'));
      const wholeWrite = catchMessage(() => assertWritable('authn-linkdb', bad, '/f'));
      expect(wholeRead).toMatch(/format/);
      await expect(assertFileSchemaPaced('authn-linkdb', bad, '/f')).rejects.toThrow(wholeRead);
      await expect(assertWritablePaced('authn-linkdb', bad, '/f')).rejects.toThrow(wholeWrite);
    }
  });

  it('give the whole check’s verdict on random LinkDB-shaped values', async () => {
    const info = fc.oneof(fc.record({ link_time: fc.oneof(fc.integer(), fc.string(), fc.constant('123')), version: fc.string() }), fc.string(), fc.integer());
    const value = fc.record({
      subject_unique_identifier: fc.oneof(fc.dictionary(fc.string(), fc.dictionary(fc.string(), info, { maxKeys: 2 }), { maxKeys: 1_200 }), fc.string()),
      user: fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string()), { maxKeys: 2 }), { maxKeys: 600 }),
    });
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const whole = catchMessage(() => assertFileSchema('authn-linkdb', v, '/f'));
        let paced = '';
        await assertFileSchemaPaced('authn-linkdb', v, '/f').catch((e: Error) => (paced = e.message));
        expect(paced === '').toBe(whole === '');
      }),
      { numRuns: 60 },
    );
  });
});

function catchMessage(f: () => void): string {
  try {
    f();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}
