/**
 * A LinkDB large enough to be read in slices (its two maps then live in memory as Maps): link,
 * unlink, listing, drift check and rebuild give the bytes and answers of the plain-object
 * reference, with hostile subjects (`__proto__`, `constructor`, …) as ordinary keys, on both
 * backends; and a cold listing lets the host's timers run while the file is parsed.
 */
import { expect, it } from 'vitest';
import { parseLinkDbIndex } from '../../src/authn/linked-accounts.js';
import { encodeCompact, PACED_MIN_BYTES } from '../../src/io/json-codec.js';
import { describeOnDisks, peek, seed } from '../helpers/disks.js';
import { LOGIN, USERS, makeStore, seedServer } from './setup.js';

const HOSTILE = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const LINK_USERS: Array<[sysuser: string, linkuser: string]> = [
  ['bob', 'bob'],
  ['bob', 'info@bob.example'],
  ['alice', 'alice'],
  ['alice', 'sales@alice.example'],
];
const SUBJECTS = 3_000;

type Info = Record<string, unknown>;
/** The reference LinkDB: null-prototype objects, so `__proto__` is an ordinary key here too. */
interface Reference {
  subject_unique_identifier: Record<string, Record<string, Info>>;
  user: Record<string, Record<string, number>>;
}
const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

function reference(): { ldb: Reference; perUser: Map<string, Record<string, Info>> } {
  const ldb: Reference = { subject_unique_identifier: dict(), user: dict() };
  const perUser = new Map<string, Record<string, Info>>();
  const subjects = [...HOSTILE, ...Array.from({ length: SUBJECTS - HOSTILE.length }, (_, i) => String(100_000_000_000 + i))];
  subjects.forEach((subject, i) => {
    const linkuser = HOSTILE.includes(subject) ? 'bob' : (LINK_USERS[i % LINK_USERS.length] as [string, string])[1];
    const info = { link_time: 1_700_000_000 + i, preferred_username: `p${i}` };
    (ldb.subject_unique_identifier[subject] ??= dict())[linkuser] = { ...info, version: '1.1' };
    (ldb.user[linkuser] ??= dict())[subject] = 1;
    if (!perUser.has(linkuser)) perUser.set(linkuser, dict());
    (perUser.get(linkuser) as Record<string, Info>)[subject] = info;
  });
  return { ldb, perUser };
}

describeOnDisks('a large LinkDB (read in slices, held as Maps)', (ctx) => {
  function seedLarge(): Reference {
    seedServer(ctx);
    const { ldb, perUser } = reference();
    for (const [sysuser, linkuser] of LINK_USERS) {
      const subjects = perUser.get(linkuser) as Record<string, Info>;
      seed(ctx, `${USERS}/${sysuser}/${linkuser}.db`, encodeCompact({ __VERSION: '1.0', openid_connect: { google: subjects } }), 0o640);
    }
    const text = encodeCompact(ldb);
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 * PACED_MIN_BYTES);
    seed(ctx, `${LOGIN}/google.db`, text, 0o600);
    return ldb;
  }

  it('links and unlinks hostile subjects with the reference bytes, and leaves Object.prototype alone', async () => {
    const ldb = seedLarge();
    const { store } = makeStore(ctx);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: 'isPrototypeOf', userInfo: { preferred_username: 'x', link_time: 5 } });
    ldb.subject_unique_identifier['isPrototypeOf'] = Object.assign(dict<Info>(), { bob: { link_time: 5, preferred_username: 'x', version: '1.1' } });
    ldb.user['bob'] = Object.assign(dict<number>(), ldb.user['bob'], { isPrototypeOf: 1 });
    expect(peek(ctx, `${LOGIN}/google.db`)).toBe(encodeCompact(ldb));

    await store.unlinkAccount({ user: 'bob', provider: 'google', subject: '__proto__' });
    delete ldb.subject_unique_identifier['__proto__'];
    delete (ldb.user['bob'] as Record<string, number>)['__proto__'];
    expect(peek(ctx, `${LOGIN}/google.db`)).toBe(encodeCompact(ldb));

    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).bob).toBeUndefined();
  });

  it('lists, checks and rebuilds it as the reference says: every link, no drift, nothing to rewrite', async () => {
    const ldb = seedLarge();
    const { store } = makeStore(ctx);
    const listed = await store.listLinkedAccounts();
    expect(listed).toHaveLength(SUBJECTS);
    for (const subject of HOSTILE) {
      expect(listed.filter((l) => l.subject_unique_identifier === subject).map((l) => l.username)).toEqual(['bob']);
    }
    expect(await store.checkDrift({ provider: 'google' })).toEqual([]);
    const before = peek(ctx, `${LOGIN}/google.db`);
    const rebuilt = await store.rebuildLinkDb({ provider: 'google' });
    expect(rebuilt.ops.filter((o) => o.op === 'write')).toEqual([]);
    expect(peek(ctx, `${LOGIN}/google.db`)).toBe(before);
    expect(before).toBe(encodeCompact(ldb));
  });

  it('lets a timer run while a cold listing parses it (the LinkDB index is built in slices)', async () => {
    const { ldb } = reference();
    for (let i = 0; i < 20_000; i++) {
      const subject = `extra-${i}`;
      (ldb.subject_unique_identifier[subject] ??= dict())['alice'] = { link_time: i, version: '1.1' };
      (ldb.user['alice'] as Record<string, number>)[subject] = 1;
    }
    const bytes = Buffer.from(encodeCompact(ldb));
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 0);
    // No I/O in between: without pacing, the index would be built before any timer could run.
    const index = await parseLinkDbIndex(bytes, '/google.db').then((ix) => (order.push('indexed'), ix));
    expect(order).toEqual(['timer', 'indexed']);
    expect(index.get('alice')).toHaveLength(20_000 + Object.keys(reference().perUser.get('alice') as object).length);
    expect(
      index
        .get('bob')
        ?.map((e) => e.subject_unique_identifier)
        .filter((s) => HOSTILE.includes(s)),
    ).toEqual([...HOSTILE].sort());
  });
});
