/** Reading display values from provider module text (verified-against-cpanel.md §5). Icons are made up. */
import { describe, expect, it } from 'vitest';
import { readModuleDisplay } from '../../src/authn/provider-module.js';
import { constantModule, fakeIcon, fakeIconLines, subHeredocModule, variableHeredocModule } from './provider-modules.js';

const values = { display: 'Example', color: 'aa00aa', text: 'FFFFFF', docs: 'https://example.test/docs' };
const icon = (text: string) => {
  const v = readModuleDisplay(text)._BUTTON_ICON;
  return v.kind === 'value' ? v.value.replace(/\n/g, '') : v.kind;
};

describe('readModuleDisplay', () => {
  it('reads the icon in each of the three shapes', () => {
    expect(icon(variableHeredocModule('Ex', 'ex', values))).toBe(fakeIcon('ex'));
    expect(icon(variableHeredocModule('Ex', 'ex', values).replace('{ $image =~ s/\\n//g; return $image; }', '{ return $image; }'))).toBe(fakeIcon('ex'));
    expect(icon(subHeredocModule('Ex', 'ex', values))).toBe(fakeIcon('ex'));
    expect(icon(constantModule('Ex', 'ex', values))).toBe(fakeIcon('ex'));
    expect(icon(`sub _BUTTON_ICON {\n    return <<~"SVG";\n    ${fakeIconLines('in').split('\n').join('\n    ')}\n    SVG\n}\n`)).toBe(fakeIcon('in'));
  });

  it('reads scalar values from subs and constant blocks, with either quote and no semicolon', () => {
    const r = readModuleDisplay(subHeredocModule('Ex', 'ex', values));
    expect(r._DISPLAY_NAME).toEqual({ kind: 'value', value: 'Example' });
    expect(r._DOCUMENTATION_URL).toEqual({ kind: 'value', value: 'https://example.test/docs' });
    expect(r._PROVIDER_NAME).toEqual({ kind: 'value', value: 'Ex' });
    expect(readModuleDisplay(variableHeredocModule('Ex', 'ex', values))._BUTTON_TEXT_COLOR).toEqual({ kind: 'value', value: 'FFFFFF' });
    expect(readModuleDisplay(constantModule('Ex', 'ex', values))._BUTTON_COLOR).toEqual({ kind: 'value', value: 'aa00aa' });
  });

  it('says inherited for names not defined, undetermined for names defined another way', () => {
    const r = readModuleDisplay(
      'sub _DISPLAY_NAME { return lc(\'X\'); }\nsub _BUTTON_ICON { return build_icon(); }\nsub _BUTTON_COLOR { return "$c"; }\nmy $x = <<EOF;\nunterminated\n',
    );
    expect(r._DISPLAY_NAME.kind).toBe('undetermined');
    expect(r._BUTTON_ICON.kind).toBe('undetermined');
    expect(r._BUTTON_COLOR.kind).toBe('undetermined');
    expect(r._BUTTON_ICON_TYPE.kind).toBe('inherited');
    expect(r._BUTTON_LABEL.kind).toBe('inherited');
    expect(readModuleDisplay('sub _BUTTON_ICON { return <<SVG;\nabc\n')._BUTTON_ICON.kind).toBe('undetermined');
  });
});
