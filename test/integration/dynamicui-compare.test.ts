/** DynamicUI files compared as decoded entries (verified-against-cpanel.md §2). */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePretty } from '../../src/io/json-codec.js';
import { CPANEL_DEFAULT_IMAGE_SHA256, isDefaultImage, sameDynamicUi } from '../../src/integration/dynamicui-compare.js';
import { DEFAULT_ICON_BASE64 } from '../../src/integration/default-icon.js';

// A made-up stand-in for cPanel's image (the real one is never in this package).
const STANDIN = Buffer.from('\x89PNG\r\n\x1a\nmade-up stand-in').toString('base64');
const STANDIN_HASH = createHash('sha256').update(STANDIN).digest('hex');

const entry = (image: string, extra: Record<string, unknown> = {}) => ({
  base64_png_image: image,
  description: "$LANG{'Support'}",
  file: 'support',
  group: 'preferences',
  height: 48,
  imgtype: 'icon',
  implements: 'support',
  itemdesc: "$LANG{'Support'}",
  itemorder: '99999',
  subtype: 'img',
  target: '_blank',
  type: 'image',
  url: 'integration/index.html?app=support',
  width: 48,
  ...extra,
});
// cPanel's JSON::XS pretty format in the order given (encodePretty sorts keys, so build it by hand).
const cpanelPretty = (e: Record<string, unknown>, order: string[]) =>
  `[\n   {\n${order.map((k) => `      ${JSON.stringify(k)} : ${JSON.stringify(e[k])}`).join(',\n')}\n   }\n]\n`;
const ours = Buffer.from(encodePretty([entry(DEFAULT_ICON_BASE64)]), 'utf8');

describe('sameDynamicUi', () => {
  it('ignores key order, in any order (property)', () => {
    const e = entry('Y3VzdG9t');
    const expected = Buffer.from(encodePretty([e]), 'utf8');
    fc.assert(
      fc.property(fc.shuffledSubarray(Object.keys(e), { minLength: Object.keys(e).length }), (order) => {
        expect(sameDynamicUi(Buffer.from(cpanelPretty(e, order)), expected)).toBe(true);
      }),
    );
  });

  it('treats cPanel’s default image (by hash) and ours as the same default; a custom image must match', () => {
    const keys = Object.keys(entry(''));
    expect(sameDynamicUi(Buffer.from(cpanelPretty(entry(STANDIN), keys.reverse())), ours, [STANDIN_HASH])).toBe(true);
    expect(sameDynamicUi(Buffer.from(cpanelPretty(entry(STANDIN), keys)), ours)).toBe(false); // not cPanel's real hash
    expect(sameDynamicUi(Buffer.from(cpanelPretty(entry('Y3VzdG9t'), keys)), ours, [STANDIN_HASH])).toBe(false);
    expect(isDefaultImage(DEFAULT_ICON_BASE64)).toBe(true);
    expect(isDefaultImage(STANDIN, [STANDIN_HASH])).toBe(true);
    expect(isDefaultImage(STANDIN)).toBe(false);
    expect(CPANEL_DEFAULT_IMAGE_SHA256).toBe('6e80258d2caf4405613bcb97cca7181f9e8b8f73497efe9313c02bcaeace1522');
  });

  it('accepts a numeric itemorder for the string we write; other differences are stale', () => {
    const e = entry(DEFAULT_ICON_BASE64, { itemorder: 99999 });
    expect(sameDynamicUi(Buffer.from(cpanelPretty(e, Object.keys(e))), ours)).toBe(true);
    const hidden = entry(DEFAULT_ICON_BASE64, { if: '0' });
    expect(sameDynamicUi(Buffer.from(cpanelPretty(hidden, Object.keys(hidden))), ours)).toBe(false);
    const wider = entry(DEFAULT_ICON_BASE64, { width: 32 });
    expect(sameDynamicUi(Buffer.from(cpanelPretty(wider, Object.keys(wider))), ours)).toBe(false);
    expect(sameDynamicUi(Buffer.from('not json'), ours)).toBe(false);
    expect(sameDynamicUi(Buffer.from('[]\n'), ours)).toBe(false);
  });
});
