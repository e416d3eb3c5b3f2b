/**
 * Fuzzing the readers (fast-check, memfs): arbitrary bytes, mutated valid files and random
 * colon/JSON-ish text in every file the library reads — passwd, group, aliases, dbowners,
 * cpanel.config, cpuser files, userdomains (via Users); userconfig, adminconfig, DynamicUI (pretty
 * JSON), per-user DB, LinkDB, service file, client config (compact JSON) via the stores' reads —
 * never produce anything but a result or a LinkstoreError, and never hang (each property is
 * bounded by time; each call by a deadline). Owners are managed only as root (memfs checks
 * permissions against the real uid).
 */
import type * as nodeFs from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Volume, createFsFromVolume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { Disk } from '../../src/io/disk.js';
import { LinkstoreError } from '../../src/io/errors.js';
import { Linkstore } from '../../src/services.js';
import { isRoot, type DiskCtx } from '../helpers/disks.js';
import { NOW_MS, seedServer, TINY_PNG } from './server.js';
import { userLookup } from '../../src/users/index.js';

const ROOT = '/srv/root';
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const TIME_LIMIT_MS = 8000;
const CALL_DEADLINE_MS = 5000;

/** A memfs server with one link, one group and one authn link for bob, built through the library. */
async function baseVolume(): Promise<Record<string, string | null>> {
  const vol = new Volume();
  const fs = createFsFromVolume(vol) as unknown as typeof nodeFs;
  fs.mkdirSync(ROOT, { recursive: true });
  const ctx = { kind: 'memfs', fs, root: ROOT } as DiskCtx;
  ctx.make = (o = {}) => new Disk({ fs, root: ROOT, owners: isRoot, ...o });
  ctx.disk = ctx.make();
  seedServer(ctx);
  const ls = store(fs);
  await (await ls.integration()).createLink({ user: 'bob', app: 'app', url: 'https://x/', token: 'tok', label: 'App', base64_png_image: TINY_PNG });
  await (await ls.integration()).createGroup({ user: 'bob', group_id: 'grp', label: 'G' });
  await (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'sub-1', userInfo: { preferred_username: 'bob' } });
  await (await ls.authn()).setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 'a', client_secret: 'b' } });
  return vol.toJSON() as Record<string, string | null>;
}

function store(fs: typeof nodeFs): Linkstore {
  return new Linkstore({
    disk: new Disk({ fs, root: ROOT, owners: isRoot, lock: { timeoutMs: 2000, pollMs: 5 } }),
    hostname: 'h',
    now: () => NOW_MS,
    users: { checkIntervalMs: 0 },
  });
}

type Read = [string, (ls: Linkstore) => Promise<unknown>];

const USERS_READS: Read[] = [
  ['passwdEntry', async (ls) => userLookup(await ls.users()).passwdEntry('bob')],
  ['groupGid', async (ls) => userLookup(await ls.users()).groupGid('bob')],
  ['isCpanelAccount', async (ls) => userLookup(await ls.users()).isCpanelAccount('bob')],
  ['themeOf', async (ls) => userLookup(await ls.users()).themeOf('bob')],
  ['domainOwner', async (ls) => userLookup(await ls.users()).domainOwner('bob.example')],
  ['validateSystemUser', async (ls) => (await ls.users()).validateSystemUser({ user: 'bob' })],
  ['verifyNewUsername', async (ls) => (await ls.users()).verifyNewUsername({ user: 'newname' })],
  ['verifyNewUsernameForRestore', async (ls) => (await ls.users()).verifyNewUsernameForRestore({ user: 'newname' })],
  ['getCpanelConfig', async (ls) => (await ls.users()).getCpanelConfig()],
  ['cpanelAccounts', async (ls) => userLookup(await ls.users()).cpanelAccounts()],
];

const TARGETS: { file: string; reads: Read[]; style: 'colon' | 'pretty' | 'compact' | 'kv' }[] = [
  { file: '/etc/passwd', reads: USERS_READS, style: 'colon' },
  { file: '/etc/group', reads: USERS_READS, style: 'colon' },
  { file: '/etc/aliases', reads: USERS_READS, style: 'colon' },
  { file: '/etc/localaliases', reads: USERS_READS, style: 'colon' },
  { file: '/etc/dbowners', reads: USERS_READS, style: 'colon' },
  { file: '/etc/userdomains', reads: USERS_READS, style: 'colon' },
  { file: '/var/cpanel/cpanel.config', reads: USERS_READS, style: 'kv' },
  {
    file: '/var/cpanel/users/bob',
    reads: [
      ...USERS_READS,
      ['createLink dry run', async (ls) => (await ls.integration()).createLink({ user: 'bob', app: 'n', url: 'https://x/' }, { dryRun: true })],
    ],
    style: 'kv',
  },
  {
    file: '/var/cpanel/integration/links/bob/app.userconfig',
    reads: [
      ['getLinkUserConfig', async (ls) => (await ls.integration()).getLinkUserConfig({ user: 'bob', app: 'app' })],
      ['checkDynamicUi', async (ls) => (await ls.integration()).checkDynamicUi({ user: 'bob' })],
      ['exportUser', async (ls) => (await ls.integration()).exportUser({ user: 'bob' })],
    ],
    style: 'pretty',
  },
  {
    file: '/var/cpanel/integration/links/bob/group_grp.userconfig',
    reads: [
      ['getGroupUserConfig', async (ls) => (await ls.integration()).getGroupUserConfig({ user: 'bob', group_id: 'grp' })],
      ['checkDynamicUi', async (ls) => (await ls.integration()).checkDynamicUi({ user: 'bob' })],
    ],
    style: 'pretty',
  },
  {
    file: '/var/cpanel/integration/links/bob/app.adminconfig',
    reads: [['getLinkToken', async (ls) => (await ls.integration()).getLinkToken({ user: 'bob', app: 'app' })]],
    style: 'pretty',
  },
  {
    file: '/var/cpanel/integration/dynamicui/bob/dynamicui_app.conf',
    reads: [['checkDynamicUi', async (ls) => (await ls.integration()).checkDynamicUi({ user: 'bob' })]],
    style: 'pretty',
  },
  {
    file: '/var/cpanel/authn/links/users/bob/bob.db',
    reads: [
      ['listAuthnLinks', async (ls) => (await ls.authn()).listLinks({ user: 'bob' })],
      ['checkDrift', async (ls) => (await ls.authn()).checkDrift({ provider: 'google' })],
      ['link dry run', async (ls) => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'n' }, { dryRun: true })],
    ],
    style: 'compact',
  },
  {
    file: '/var/cpanel/authn/links/openid_connect/login/google.db',
    reads: [
      ['linkedAccounts', async (ls) => (await ls.authn()).listLinkedAccounts()],
      ['checkDrift', async (ls) => (await ls.authn()).checkDrift({ provider: 'google' })],
      ['unlink dry run', async (ls) => (await ls.authn()).unlinkAccount({ user: 'bob', provider: 'google', subject: 'sub-1' }, { dryRun: true })],
    ],
    style: 'compact',
  },
  {
    file: '/var/cpanel/authn/openid_connect/cpaneld',
    reads: [
      ['listAvailableProviders', async (ls) => (await ls.authn()).listAvailableProviders()],
      ['link dry run', async (ls) => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'n' }, { dryRun: true })],
    ],
    style: 'compact',
  },
  {
    file: '/var/cpanel/authn/client_config/openid_connect/google',
    reads: [
      ['getClientConfig', async (ls) => (await ls.authn()).getClientConfig({ service: 'cpaneld', provider: 'google' })],
      ['listAvailableProviders', async (ls) => (await ls.authn()).listAvailableProviders()],
    ],
    style: 'compact',
  },
];

/** Bytes worth trying for a file: raw bytes, mutations of the valid file, and text in its style. */
function bytesFor(valid: Buffer, style: string): fc.Arbitrary<Uint8Array> {
  const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  const mutated = fc.array(fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).chain((flips) =>
    fc.nat({ max: valid.length }).map((cut) => {
      const b = Buffer.from(valid);
      for (const [i, v] of flips) if (i < b.length) b[i] = v;
      return new Uint8Array(b.subarray(0, cut === 0 ? b.length : cut));
    }),
  );
  const token = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(':', '\n', '=', '#', ' ', '\0', '\r', '"', '{', '}', '[', ']', ',', '\\u', '\\ud800', '\xff', 'bob', 'jupiter', 'RS', '1001', '*'),
  );
  const styled =
    style === 'colon' || style === 'kv'
      ? fc.array(token, { maxLength: 60 }).map((t) => enc(t.join('')))
      : fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((v) => enc(style === 'pretty' ? JSON.stringify(v, null, 3) + '\n' : JSON.stringify(v))),
          fc.array(token, { maxLength: 40 }).map((t) => enc(t.join(''))),
        );
  return fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated, styled, fc.constant(new Uint8Array(0)), fc.constant(enc('['.repeat(50_000))));
}

function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`hang: ${what} took over ${CALL_DEADLINE_MS} ms`)), CALL_DEADLINE_MS))),
  ]).finally(() => clearTimeout(t));
}

describe('fuzzing the readers with arbitrary bytes [memfs]', async () => {
  const base = await baseVolume();
  for (const target of TARGETS) {
    it(`${target.file}: only results or LinkstoreErrors`, async () => {
      const valid = Buffer.from(base[join(ROOT, target.file)] ?? '', 'utf8');
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(bytesFor(valid, target.style), async (bytes) => {
          runs++;
          const vol = Volume.fromJSON(base);
          const fs = createFsFromVolume(vol) as unknown as typeof nodeFs;
          fs.writeFileSync(join(ROOT, target.file), bytes);
          const ls = store(fs);
          for (const [name, read] of target.reads) {
            try {
              await withDeadline(read(ls), name);
            } catch (e) {
              if (!(e instanceof LinkstoreError)) throw new Error(`${name}: untyped ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
            }
          }
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, seed: 20261122 },
      );
      expect(runs).toBeGreaterThan(10);
    }, 60_000);
  }
});
