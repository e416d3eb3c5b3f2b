/**
 * The CLI's YAML: whatever strings an envelope holds (preferred usernames, labels and URLs come
 * from users and identity providers), a YAML 1.2 reader and a YAML 1.1 one get back exactly the
 * strings, numbers, booleans and nulls that were written.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { toYaml } from '../../src/cli/output.js';

const read = (text: string, version: '1.1' | '1.2') => parse(text, { version, uniqueKeys: true }) as unknown;

it('values YAML readers took for something else are quoted', () => {
  const tricky = [
    '@bob',
    'foo:',
    '-',
    '- x',
    '0b101',
    '1:20',
    '2024-01-01',
    '0:1001',
    '.5',
    '+1',
    '1_000',
    'E0',
    'e+5',
    'yes',
    'Off',
    '~',
    'a #b',
    '#x',
    '!tag',
    '&a',
    '*a',
    '%x',
    '`x',
    '|',
    '>',
    '? x',
    '[a]',
    '{a}',
    '"q"',
    "'q'",
    ' lead',
    'trail ',
    '',
  ];
  for (const s of tricky) {
    const text = toYaml({ metadata: { reason: s }, data: { [s]: [s] } });
    for (const v of ['1.1', '1.2'] as const)
      expect(read(text, v), `${JSON.stringify(s)} as YAML ${v}:\n${text}`).toEqual({ metadata: { reason: s }, data: { [s]: [s] } });
  }
});

it('any envelope-shaped value reads back the same in YAML 1.1 and 1.2', () => {
  const scalar = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer(), fc.boolean(), fc.constant(null));
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.string({ minLength: 1 }), tie('node'), { maxKeys: 4 }),
    ),
  })).node;
  fc.assert(
    fc.property(fc.dictionary(fc.string({ minLength: 1 }), value, { minKeys: 1, maxKeys: 4 }), (v) => {
      const text = toYaml(v);
      for (const version of ['1.1', '1.2'] as const) expect(read(text, version)).toEqual(v);
    }),
    { numRuns: 1000 },
  );
});
