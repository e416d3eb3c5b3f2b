import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpanelLockPath, parseLockPid } from '../../src/io/dot-lock.js';
import { fnv1a32 } from '../../src/io/fnv.js';
import { assertNodeName, nodeNameProblem } from '../../src/io/node-name.js';
import { isLibraryTempName, tempNameFor } from '../../src/io/commit.js';

describe('FilesystemNodeName', () => {
  it('gives cPanel’s messages', () => {
    expect(nodeNameProblem('')).toBe('This value may not be empty.');
    expect(nodeNameProblem('.')).toBe('“.” is a reserved value.');
    expect(nodeNameProblem('..')).toBe('“..” is a reserved value.');
    expect(nodeNameProblem('a/b')).toBe('This value may not contain the character “/”.');
    expect(nodeNameProblem('a\0b')).toBe('This value may not contain a NUL byte.');
    const long = 'é'.repeat(128); // 256 bytes
    expect(nodeNameProblem(long)).toBe(`The “${long}” value exceeds the maximum length by 1 byte. The maximum allowed length is 255 bytes.`);
    for (const ok of ['bob', ' spaced ', '-lead', '.hidden', 'ünï', 'x'.repeat(255)]) expect(nodeNameProblem(ok)).toBeUndefined();
  });
  it('throws E_INVALID_NAME naming the parameter', () => {
    expect(() => assertNodeName('a/b', 'app')).toThrow(expect.objectContaining({ code: 'E_INVALID_NAME', param: 'app' }));
  });
  it('property: accepted names never contain / or NUL and are never . or ..', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        if (nodeNameProblem(s) === undefined) {
          expect(s.includes('/') || s.includes('\0') || s === '' || s === '.' || s === '..').toBe(false);
          expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
        }
      }),
    );
  });
});

describe('cPanel lock names', () => {
  it('FNV-1a test vectors', () => {
    expect(fnv1a32(Buffer.from(''))).toBe(2166136261);
    expect(fnv1a32(Buffer.from('a'))).toBe(3826002220);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(3214735720);
    expect(fnv1a32(Buffer.from('x'.repeat(221) + '.lock'))).toBe(4208058804);
  });
  it('appends .lock, hashes only long basenames', () => {
    expect(cpanelLockPath('/var/cpanel/authn/links/users/bob/bob@example.com.db')).toBe('/var/cpanel/authn/links/users/bob/bob@example.com.db.lock');
    expect(cpanelLockPath('/var/cpanel/authn/openid_connect/cpaneld')).toBe('/var/cpanel/authn/openid_connect/cpaneld.lock');
    expect(cpanelLockPath('/d/' + 'x'.repeat(221))).toBe('/d/4208058804.lock');
    expect(cpanelLockPath('/d/' + 'x'.repeat(220))).toBe('/d/' + 'x'.repeat(220) + '.lock');
    // A long full path alone never hashes.
    const deep = '/' + 'd'.repeat(300) + '/f';
    expect(cpanelLockPath(deep)).toBe(deep + '.lock');
    expect(() => cpanelLockPath('/a/<b')).toThrow(expect.objectContaining({ code: 'E_LOCK_INVALID' }));
  });
  it('reads the PID as the first digit run of line 1', () => {
    expect(parseLockPid(Buffer.from('123\nname\n'))).toBe(123);
    expect(parseLockPid(Buffer.from('  123abc\n'))).toBe(123);
    expect(parseLockPid(Buffer.from('abc\n456\n'))).toBeUndefined();
    expect(parseLockPid(Buffer.from('0\nx\n'))).toBeUndefined();
    expect(parseLockPid(Buffer.from(''))).toBeUndefined();
  });
});

describe('library temp names', () => {
  it('match no cPanel scanner pattern', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 255 }).filter((s) => !s.includes('/') && Buffer.byteLength(s) <= 255),
        (base) => {
          const t = tempNameFor(base);
          expect(Buffer.byteLength(t)).toBeLessThanOrEqual(255);
          expect(t.startsWith('.')).toBe(true);
          expect(t).not.toMatch(/\.(db|userconfig|adminconfig)$/);
          expect(t).not.toMatch(/^(dynamicui_|group_)/);
          expect(isLibraryTempName(t)).toBe(true);
        },
      ),
    );
    expect(isLibraryTempName('bob.db')).toBe(false);
  });
});
