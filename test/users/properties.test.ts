/**
 * Property tests (fast-check): arbitrary bytes never produce untyped errors; the passwd, group
 * and aliases readers agree with naive reference parsers on generated well-formed files; and the
 * invariants between the flags hold for any name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLinkstoreError } from '../../src/io/index.js';
import { parseAliasNames } from '../../src/users/aliases.js';
import { bytesToKeyText } from '../../src/users/bytes.js';
import { parseColonFile } from '../../src/users/colon-file.js';
import { groupGidOf } from '../../src/users/group.js';
import { passwdEntryOf, passwdExists } from '../../src/users/passwd.js';
import { reservedNameSet } from '../../src/users/reserved.js';
import { systemUserFlags, Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks } from '../helpers/disks.js';
import { EMPTY_SYSTEM, seedFiles } from './helpers.js';

// ---- naive reference parsers, written from the spec's words ---------------------------------

/** Perl's split /:/ — trailing empty fields dropped. */
const perlSplit = (line: string) => {
  const f = line.split(':');
  while (f.length && f[f.length - 1] === '') f.pop();
  return f;
};
const firstLineOf = (text: string, name: string) => text.split('\n').find((l) => l.startsWith(name + ':'));
const refExists = (text: string, name: string) => {
  if (name === 'root') return true;
  // eslint-disable-next-line no-control-regex -- the spec's rejected bytes
  if (name === '' || /[\x00-\x20\x7f:/#]/.test(name)) return false;
  const line = firstLineOf(text, name);
  return line !== undefined && (perlSplit(line)[2] ?? '') !== '';
};
const refId = (s: string | undefined) => (s !== undefined && /^\d{1,10}$/.test(s) && Number(s) <= 0xffffffff ? Number(s) : undefined);
const refUid = (text: string, name: string) => {
  if (name.includes(':') || name.includes('\n')) return undefined;
  const line = firstLineOf(text, name);
  if (line === undefined) return undefined;
  const f = perlSplit(line);
  return refId(f[2]) !== undefined && refId(f[3]) !== undefined ? refId(f[2]) : undefined;
};
const refGid = (text: string, name: string) => {
  if (name.includes(':') || name.includes('\n')) return undefined;
  const line = firstLineOf(text, name);
  return line === undefined ? undefined : refId(perlSplit(line)[2]);
};
const refAliases = (text: string) =>
  text
    .split(/\n+/)
    .filter((l) => l !== '')
    .map((l) => l.split(':')[0] as string)
    .filter((c) => c !== '' && !/[ :#\t]/.test(c));

// ---- generators -------------------------------------------------------------------------------

const nameChars = fc.constantFrom(...'abcxyz019_.-+#A '.split(''));
const name = fc.string({ unit: nameChars, minLength: 0, maxLength: 6 });
const field = fc.string({ unit: fc.constantFrom(...'abc019/ _-'.split('')), maxLength: 5 });
const idField = fc.oneof(fc.constant(''), fc.nat({ max: 70000 }).map(String), fc.constant('x'));
const passwdLine = fc
  .tuple(name, field, idField, idField, field, field, field, fc.nat({ max: 7 }), fc.boolean())
  .map(([n, pw, uid, gid, gecos, home, shell, cut, crlf]) => [n, pw, uid, gid, gecos, home, shell].slice(0, cut).join(':') + (crlf ? '\r' : ''));
const colonFileText = fc
  .array(fc.oneof({ weight: 8, arbitrary: passwdLine }, { weight: 1, arbitrary: fc.constant('') }), { maxLength: 40 })
  .map((ls) => ls.join('\n'));
const aliasLine = fc.oneof(
  fc.tuple(name, fc.constantFrom(': ', ':', ' : ', ':\t', ''), field).map(([n, sep, t]) => (sep === '' ? n : n + sep + t)),
  fc.constantFrom('# comment', ' continued', '\tcontinued', ':include:/etc/x', '"q": x', 'crlf:x\r', 'bare\r'),
);
const aliasText = fc.array(fc.oneof(aliasLine, fc.constant('')), { maxLength: 40 }).map((ls) => ls.join('\n'));
/** Names worth asking about: ones from the file, near misses and random ones. */
const questions = (text: string) =>
  fc.array(fc.oneof(fc.constantFrom(...text.split('\n').map((l) => l.split(':')[0] as string), 'root'), name), { minLength: 1, maxLength: 30 });

describe('readers agree with naive reference parsers', () => {
  it('passwd: exists and entries, before and after the index is built', () => {
    fc.assert(
      fc.property(
        colonFileText.chain((t) => fc.tuple(fc.constant(t), questions(t))),
        ([text, names]) => {
          const p = parseColonFile(text);
          for (let round = 0; round < 3; round++) {
            for (const n of names) {
              expect(passwdExists(p, n)).toBe(refExists(text, n));
              expect(passwdEntryOf(p, n)?.uid).toBe(refUid(text, n));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('group: gid of the first line', () => {
    fc.assert(
      fc.property(
        colonFileText.chain((t) => fc.tuple(fc.constant(t), questions(t))),
        ([text, names]) => {
          const g = parseColonFile(text);
          for (let round = 0; round < 3; round++) for (const n of names) expect(groupGidOf(g, n)).toBe(refGid(text, n));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('aliases: the names', () => {
    fc.assert(
      fc.property(aliasText, (text) => {
        expect(parseAliasNames(text)).toEqual(refAliases(text));
      }),
      { numRuns: 500 },
    );
  });
});

describe('flag invariants for any name', () => {
  const ctxArb = fc.record({
    passwd: fc.option(colonFileText.map(parseColonFile), { nil: undefined }),
    reservedNames: fc.array(name).map((a) => reservedNameSet(a)),
    allowStupidStuff: fc.boolean(),
    databasePrefix: fc.boolean(),
  });
  const anyName = fc.oneof(
    name,
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((s) => s + '\n'),
  );

  it('valid_for_new never allows “-” or “.”, and implies valid_for_transfer without a trailing newline', () => {
    fc.assert(
      fc.property(ctxArb, anyName, (ctx, n) => {
        const f = systemUserFlags(ctx, n);
        if (f.valid_for_new) {
          expect(/[-.]/.test(n)).toBe(false);
          if (!n.endsWith('\n')) expect(f.valid_for_transfer).toBe(true);
        }
        if (f.valid_for_transfer) expect(n.length >= 1 && n.length <= 16 && !/[A-Z\s]/.test(n)).toBe(true);
        if (f.exists && n !== 'root') expect(ctx.passwd !== undefined && refExists(ctx.passwd.text, n)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('reserved depends only on the name and the alias names', () => {
    fc.assert(
      fc.property(ctxArb, ctxArb, anyName, (a, b, n) => {
        expect(systemUserFlags(a, n).reserved).toBe(systemUserFlags({ ...b, reservedNames: a.reservedNames }, n).reserved);
      }),
      { numRuns: 500 },
    );
  });
});

describeOnDisks('arbitrary bytes never escape as untyped errors', (ctx) => {
  const bytes = fc.uint8Array({ maxLength: 300 });
  const nameInput = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.uint8Array({ maxLength: 20 }), name);

  it('validateSystemUser, verify*, and the look-ups', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ passwd: bytes, group: bytes, aliases: bytes, config: bytes, dbowners: bytes, userdomains: bytes, cpuser: bytes }),
        nameInput,
        async (files, n) => {
          seedFiles(ctx, {
            ...EMPTY_SYSTEM,
            '/etc/passwd': files.passwd,
            '/etc/group': files.group,
            '/etc/aliases': files.aliases,
            '/var/cpanel/cpanel.config': files.config,
            '/etc/dbowners': files.dbowners,
            '/etc/userdomains': files.userdomains,
            '/var/cpanel/users/amy': files.cpuser,
          });
          const users = new Users(ctx.disk);
          const typedOrNothing = async (p: Promise<unknown>) => {
            try {
              await p;
            } catch (e) {
              expect(isLinkstoreError(e), String(e)).toBe(true);
            }
          };
          await users.validateSystemUser({ user: n });
          await typedOrNothing(users.verifyNewUsername({ user: n }));
          await typedOrNothing(users.verifyNewUsernameForRestore({ user: n }, { oldName: n }));
          const text = typeof n === 'string' ? n : bytesToKeyText(n);
          await userLookup(users).passwdEntry(text);
          await userLookup(users).groupGid(text);
          await userLookup(users).domainOwner(text);
          await userLookup(users).themeOf('amy');
          await typedOrNothing(userLookup(users).cpanelUserFile(text));
        },
      ),
      { numRuns: ctx.kind === 'memfs' ? 150 : 60 },
    );
  });
});

describeOnDisks('Users agrees with the reference parsers on disk', (ctx) => {
  it('exists, uid, gid and reserved through the cached reader', async () => {
    await fc.assert(
      fc.asyncProperty(colonFileText, colonFileText, aliasText, fc.array(name, { minLength: 1, maxLength: 20 }), async (passwd, group, aliases, names) => {
        seedFiles(ctx, { '/etc/passwd': passwd, '/etc/group': group, '/etc/aliases': aliases });
        const users = new Users(ctx.disk);
        const aliasNames = new Set(refAliases(aliases));
        for (const n of names) {
          const f = await users.validateSystemUser({ user: n });
          expect(f.exists).toBe(refExists(passwd, n));
          expect((await userLookup(users).passwdEntry(n))?.uid).toBe(refUid(passwd, n));
          expect(await userLookup(users).groupGid(n)).toBe(refGid(group, n));
          if (aliasNames.has(n) && n !== '0') expect(f.reserved).toBe(true);
        }
      }),
      { numRuns: ctx.kind === 'memfs' ? 100 : 40 },
    );
  });
});
