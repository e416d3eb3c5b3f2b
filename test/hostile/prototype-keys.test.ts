/**
 * Data is never a prototype key: the names of Object.prototype's members (`__proto__`,
 * `constructor`, `toString`, `hasOwnProperty`, `valueOf`) work as ordinary subjects, email link
 * users, provider ids, apps, group ids and JSON keys in every store, through link/unlink/read,
 * rebuild, drift, doctor and export/import, on both backends; and no call adds anything to
 * Object.prototype. A property test drives random sequences against a model.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { doctor } from '../../src/doctor/index.js';
import { LinkstoreError } from '../../src/io/errors.js';
import type { CreateLinkParams } from '../../src/integration/index.js';
import type { Linkstore } from '../../src/services.js';
import { exportRecords, importRecords, recordLine } from '../../src/transfer/index.js';
import { describeOnDisks, hostPath, peek, seed, settle, type DiskCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from './server.js';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;
/** Email link users: the strict webmail rule allows lower-case local parts only. */
const LINK_USERS = ['bob', '__proto__@bob.example', 'constructor@bob.example', 'valueof@bob.example'] as const;
/** Provider ids are lower-cased by cPanel, so only the lower-case names stay prototype names. */
const PROVIDERS = ['google', '__proto__', 'constructor'] as const;
const SUBJECTS = [...NAMES, 'plain-subject'] as const;
const MODULE_DIR = '/var/cpanel/perl/Cpanel/Security/Authn/Provider';
const USERS_DIR = '/var/cpanel/authn/links/users';

const pollutionCheck = () => {
  const names = (o: object) => Reflect.ownKeys(o).map(String).sort();
  const before = { proto: names(Object.prototype), object: names(Object), fn: names(Function.prototype), arr: names(Array.prototype) };
  return () => {
    expect(names(Object.prototype)).toEqual(before.proto);
    expect(names(Object)).toEqual(before.object);
    expect(names(Function.prototype)).toEqual(before.fn);
    expect(names(Array.prototype)).toEqual(before.arr);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  };
};

/** The sample server plus mail accounts and provider modules named after prototype members. */
async function seedHostile(ctx: DiskCtx): Promise<Linkstore> {
  ctx.fs.rmSync(ctx.root, { recursive: true, force: true });
  ctx.fs.mkdirSync(ctx.root, { recursive: true });
  seedServer(ctx);
  const mail = LINK_USERS.filter((u) => u.includes('@')).map((u) => `${u.split('@')[0]}:x:1001:1001::/home/bob/mail/bob.example/x:/bin/false\n`);
  seed(ctx, '/home/bob/etc/bob.example/passwd', `info:x:1001:1001::/home/bob/mail/bob.example/info:/usr/local/cpanel/bin/noshell\n${mail.join('')}`, 0o640);
  // cPanel's rule for an email account is its mail directory (verified-against-cpanel.md §3).
  for (const u of LINK_USERS.filter((x) => x.includes('@')))
    ctx.fs.mkdirSync(hostPath(ctx, `/home/bob/mail/bob.example/${u.split('@')[0]}`), { recursive: true });
  for (const p of PROVIDERS.filter((p) => p !== 'google')) seed(ctx, `${MODULE_DIR}/${p}.pm`, `package Cpanel::Security::Authn::Provider::${p};\n1;\n`);
  const ls = makeLinkstore(ctx);
  const authn = await ls.authn();
  for (const p of PROVIDERS.filter((p) => p !== 'google')) await authn.enableProvider({ service: 'cpaneld', provider: p });
  return ls;
}

type Op =
  | { kind: 'link'; user: string; provider: string; subject: string; infoKey: string }
  | { kind: 'unlink'; user: string; provider: string; subject: string }
  | { kind: 'create'; app: string; labelKey: string }
  | { kind: 'remove'; app: string }
  | { kind: 'group'; group: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('link' as const),
    user: fc.constantFrom(...LINK_USERS),
    provider: fc.constantFrom(...PROVIDERS),
    subject: fc.constantFrom(...SUBJECTS),
    infoKey: fc.constantFrom(...NAMES, 'email'),
  }),
  fc.record({
    kind: fc.constant('unlink' as const),
    user: fc.constantFrom(...LINK_USERS),
    provider: fc.constantFrom(...PROVIDERS),
    subject: fc.constantFrom(...SUBJECTS),
  }),
  fc.record({ kind: fc.constant('create' as const), app: fc.constantFrom(...NAMES), labelKey: fc.constantFrom(...NAMES) }),
  fc.record({ kind: fc.constant('remove' as const), app: fc.constantFrom(...NAMES) }),
  fc.record({ kind: fc.constant('group' as const), group: fc.constantFrom(...NAMES) }),
);

interface Model {
  links: Map<string, string>; // "user\0provider\0subject" → info key
  apps: Set<string>;
  groups: Set<string>;
}

async function apply(ls: Linkstore, op: Op, m: Model): Promise<void> {
  const authn = await ls.authn();
  const integ = await ls.integration();
  switch (op.kind) {
    case 'link':
      await authn.linkAccount({ user: op.user, provider: op.provider, subject: op.subject, userInfo: { [op.infoKey]: `v-${op.infoKey}` } });
      m.links.set(`${op.user}\0${op.provider}\0${op.subject}`, op.infoKey);
      return;
    case 'unlink': {
      const key = `${op.user}\0${op.provider}\0${op.subject}`;
      const p = authn.unlinkAccount({ user: op.user, provider: op.provider, subject: op.subject });
      if (m.links.has(key)) {
        await p;
        m.links.delete(key);
      } else await expect(p).rejects.toMatchObject({ code: 'E_NO_SUCH_LINK' });
      return;
    }
    case 'create':
      // A parameter named like a prototype member is an unknown key: dropped with cPanel's warning.
      await integ.createLink({ user: 'bob', app: op.app, url: 'https://example.com/', label: `L ${op.app}`, [op.labelKey]: 'x' } as CreateLinkParams);
      m.apps.add(op.app);
      return;
    case 'remove':
      await integ.removeLink({ user: 'bob', app: op.app });
      m.apps.delete(op.app);
      return;
    case 'group':
      await integ.createGroup({ user: 'bob', group_id: op.group, label: `G ${op.group}` });
      m.groups.add(op.group);
  }
}

/** The final state read back through every reader agrees with the model. */
async function assertState(ls: Linkstore, m: Model): Promise<void> {
  const authn = await ls.authn();
  const got = new Map<string, string>();
  for (const user of LINK_USERS) {
    for (const l of await authn.listLinks({ user })) got.set(`${user}\0${l.provider_id}\0${l.subject_unique_identifier}`, 'x');
  }
  expect([...got.keys()].sort()).toEqual([...m.links.keys()].sort());
  const linked = (await authn.listLinkedAccounts()).map((a) => `${a.username}\0${a.provider_id}\0${a.subject_unique_identifier}`);
  expect(linked.sort()).toEqual([...m.links.keys()].sort());
  // Every stored user_info kept its prototype-named key as data.
  const records = await exportRecords(ls);
  for (const r of records) {
    if (r.type !== 'authn_link') continue;
    const k = m.links.get(`${r.user}\0${r.provider}\0${r.subject}`) as string;
    expect(Object.hasOwn(r.user_info, k), `${r.subject} ${k}`).toBe(true);
    expect(r.user_info[k]).toBe(`v-${k}`);
  }
  const integ = await ls.integration();
  expect((await integ.listLinks({ user: 'bob' })).sort()).toEqual([...m.apps].sort());
  for (const app of m.apps) expect((await integ.getLinkUserConfig({ user: 'bob', app })).label).toBe(`L ${app}`);
  expect((await integ.listGroups({ user: 'bob' })).sort()).toEqual([...m.groups].sort());
  expect(await authn.checkDrift()).toEqual([]);
  // In step: a rebuild writes no file (it may make the login directory of a provider never used).
  for (const p of PROVIDERS) expect((await authn.rebuildLinkDb({ provider: p }, { includeRoot: true })).ops.filter((o) => o.op !== 'mkdir')).toEqual([]);
  await settle();
  const report = await doctor(ls, { pidAlive: () => true });
  expect(report.findings).toEqual([]);
}

describeOnDisks('prototype-named keys', (ctx) => {
  it('property: link/unlink/create/remove with prototype names, then read, drift, rebuild, doctor, export/import', async () => {
    const untouched = pollutionCheck();
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        const ls = await seedHostile(ctx);
        const m: Model = { links: new Map(), apps: new Set(), groups: new Set() };
        for (const op of ops) await apply(ls, op, m);
        await assertState(ls, m);
        // Export, import into a fresh server of the same shape, and get the same records back.
        const lines = (await exportRecords(ls)).map(recordLine);
        const fresh = await seedHostile(ctx);
        const summary = await importRecords(fresh, lines);
        expect(summary.failed, JSON.stringify(summary.results.filter((r) => r.status === 'failed'))).toBe(0);
        expect((await exportRecords(fresh)).map(recordLine)).toEqual(lines);
        await assertState(fresh, m);
        untouched();
      }),
      { numRuns: ctx.kind === 'memfs' ? 25 : 10 },
    );
    untouched();
  }, 240_000);

  it('a per-user DB written by cPanel with a __proto__ subject is indexed, and doctor calls nothing corrupt', async () => {
    const untouched = pollutionCheck();
    const ls = await seedHostile(ctx);
    const authn = await ls.authn();
    // The library makes the directories (with cPanel's modes); then cPanel's writer leaves this DB.
    await authn.linkAccount({ user: 'bob', provider: 'google', subject: 'first' });
    await authn.unlinkAccount({ user: 'bob', provider: 'google', subject: 'first' });
    const db =
      '{"__VERSION":"1.0","openid_connect":{"google":{"__proto__":{"link_time":1600000000,"preferred_username":"bobby"},"constructor":{"link_time":1600000001}}}}';
    seed(ctx, `${USERS_DIR}/bob/bob.db`, db, 0o640);
    if (ctx.disk.owners) ctx.fs.chownSync(`${ctx.root}${USERS_DIR}/bob/bob.db`, 0, 1001);
    expect((await authn.checkDrift({ provider: 'google' })).map((d) => `${d.kind} ${d.subject}`).sort()).toEqual([
      'missing_in_linkdb __proto__',
      'missing_in_linkdb constructor',
      'user_map_missing __proto__',
      'user_map_missing constructor',
    ]);
    await authn.rebuildLinkDb({ provider: 'google' });
    expect(JSON.parse(peek(ctx, '/var/cpanel/authn/links/openid_connect/login/google.db') as string)).toEqual({
      subject_unique_identifier: {
        ['__proto__']: { bob: { link_time: 1600000000, preferred_username: 'bobby', version: '1.1' } },
        constructor: { bob: { link_time: 1600000001, version: '1.1' } },
      },
      user: { bob: { ['__proto__']: 1, constructor: 1 } },
    });
    expect(await authn.checkDrift({ provider: 'google' })).toEqual([]);
    await settle();
    expect((await doctor(ls, { pidAlive: () => true })).findings.map((f) => `${f.kind} ${f.detail}`)).toEqual([]);
    await authn.unlinkAccount({ user: 'bob', provider: 'google', subject: '__proto__' });
    expect((await authn.listLinks({ user: 'bob' })).map((l) => l.subject_unique_identifier)).toEqual(['constructor']);
    untouched();
  });

  it('a failed call with a prototype name writes nothing and the next call still works', async () => {
    const untouched = pollutionCheck();
    const ls = await seedHostile(ctx);
    const authn = await ls.authn();
    for (const n of NAMES) {
      await expect(authn.linkAccount({ user: `${n.toLowerCase()}@nowhere.example`, provider: 'google', subject: n })).rejects.toBeInstanceOf(LinkstoreError);
      if (!(PROVIDERS as readonly string[]).includes(n.toLowerCase()))
        await expect(authn.linkAccount({ user: 'bob', provider: n, subject: n })).rejects.toMatchObject({ code: 'E_PROVIDER' });
      await expect(authn.unlinkAccount({ user: 'bob', provider: 'google', subject: n })).rejects.toMatchObject({ code: 'E_NO_SUCH_LINK' });
    }
    await authn.linkAccount({ user: 'bob', provider: 'google', subject: 'after' });
    expect((await authn.listLinks({ user: 'bob' })).map((l) => l.subject_unique_identifier)).toEqual(['after']);
    untouched();
  });
});
