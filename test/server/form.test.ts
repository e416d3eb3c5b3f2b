/** The strict form decoder agrees with URLSearchParams on every UTF-8 text, and refuses what is not UTF-8. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { parseForm } from '../../src/server/form.js';

it('decodes whatever URLSearchParams encodes, in order (names and values of any well-formed text)', () => {
  const text = fc.string({ unit: 'grapheme' });
  fc.assert(
    fc.property(fc.array(fc.tuple(text, text), { maxLength: 6 }), (pairs) => {
      const encoded = new URLSearchParams(pairs).toString();
      expect(parseForm(encoded)).toEqual({ entries: [...new URLSearchParams(encoded)] });
      expect(parseForm(encoded)).toEqual({ entries: pairs });
    }),
    { numRuns: 500 },
  );
});

it('names the parameter whose bytes are not UTF-8; a stray % is kept as written', () => {
  expect(parseForm('a=1&label=a%FFb')).toEqual({ notUtf8: 'label' });
  expect(parseForm('a=%C3')).toEqual({ notUtf8: 'a' });
  expect(parseForm('x=100%&y=%zz')).toEqual({
    entries: [
      ['x', '100%'],
      ['y', '%zz'],
    ],
  });
});
