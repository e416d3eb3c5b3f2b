/**
 * Symlink escape. The root prefix points at an untrusted tree in which symlinks were planted as
 * per-user directories, data files, lock files, and above the managed base (/var/cpanel, /etc/passwd,
 * the theme) pointing outside the root. Every call must fail with E_SYMLINK or E_OUTSIDE_ROOT, and
 * no read or write may leave the root: the canary tree outside is byte- and mode-identical after,
 * and the fs calls recorded by the wrapping fs never name a path outside the root.
 */
import { posix as path } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Disk } from '../../src/io/disk.js';
import { LinkstoreError } from '../../src/io/errors.js';
import { Linkstore } from '../../src/services.js';
import { backends, type DiskCtx, settle } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { NOW_MS, makeLinkstore, seedServer } from './server.js';

const L = '/var/cpanel/integration/links';
const D = '/var/cpanel/integration/dynamicui';
const U = '/var/cpanel/authn/links/users';
const LOGIN = '/var/cpanel/authn/links/openid_connect/login';

type Call = [string, (ls: Linkstore) => Promise<unknown>];
const integ = (ls: Linkstore) => ls.integration();
const authn = (ls: Linkstore) => ls.authn();

const INTEGRATION_CALLS: Call[] = [
  ['createLink', async (ls) => (await integ(ls)).createLink({ user: 'bob', app: 'app', url: 'https://x/', token: 'SECRET' })],
  ['getLinkUserConfig', async (ls) => (await integ(ls)).getLinkUserConfig({ user: 'bob', app: 'app' })],
  ['getLinkToken', async (ls) => (await integ(ls)).getLinkToken({ user: 'bob', app: 'app' })],
  ['setLinkToken', async (ls) => (await integ(ls)).setLinkToken({ user: 'bob', app: 'app', token: 'SECRET2' })],
  ['removeLink', async (ls) => (await integ(ls)).removeLink({ user: 'bob', app: 'app' })],
  ['listLinks', async (ls) => (await integ(ls)).listLinks({ user: 'bob' })],
  ['createGroup', async (ls) => (await integ(ls)).createGroup({ user: 'bob', group_id: 'grp', label: 'G' })],
];
const AUTHN_CALLS: Call[] = [
  ['link', async (ls) => (await authn(ls)).linkAccount({ user: 'bob', provider: 'google', subject: 'new' })],
  ['unlink', async (ls) => (await authn(ls)).unlinkAccount({ user: 'bob', provider: 'google', subject: 'sub-1' })],
  ['listAuthnLinks', async (ls) => (await authn(ls)).listLinks({ user: 'bob' })],
];
const LINKDB_CALLS: Call[] = [
  ['link', AUTHN_CALLS[0]![1]],
  ['unlink', AUTHN_CALLS[1]![1]],
  ['linkedAccounts', async (ls) => (await authn(ls)).listLinkedAccounts()],
  ['checkDrift', async (ls) => (await authn(ls)).checkDrift({ provider: 'google' })],
  ['rebuildLinkDb', async (ls) => (await authn(ls)).rebuildLinkDb({ provider: 'google' })],
];

interface Case {
  id: string;
  /** cPanel path of the symlink → target: `@out/...` outside the root, `@rel` a relative path climbing out, else a cPanel path inside the root. */
  plant: Record<string, string>;
  calls: Call[];
  /** Calls that never open the planted path (e.g. account checks read only the cpuser file): they may succeed. */
  maySucceed?: string[];
  /** Accepted error codes (default E_SYMLINK, E_OUTSIDE_ROOT). */
  codes?: string[];
}

const CASES: Case[] = [
  // Per-user directories.
  { id: 'links/USER is a symlink out', plant: { [`${L}/bob`]: '@out/dir' }, calls: INTEGRATION_CALLS },
  {
    id: 'dynamicui/USER is a symlink out',
    plant: { [`${D}/bob`]: '@out/dir' },
    calls: INTEGRATION_CALLS.filter(([n]) => ['createLink', 'removeLink', 'createGroup'].includes(n)),
  },
  { id: 'links/USER is a symlink to another user inside the root', plant: { [`${L}/bob`]: `${L}/alice` }, calls: INTEGRATION_CALLS },
  { id: 'authn users/<sysuser> is a symlink out', plant: { [`${U}/bob`]: '@out/dir' }, calls: AUTHN_CALLS },
  { id: 'authn login dir is a symlink out', plant: { [LOGIN]: '@out/dir' }, calls: LINKDB_CALLS },
  // Data files.
  {
    id: 'userconfig is a symlink out',
    plant: { [`${L}/bob/app.userconfig`]: '@out/dir/app.userconfig' },
    calls: INTEGRATION_CALLS.filter(([n]) => n !== 'listLinks' && n !== 'createGroup'),
    maySucceed: ['getLinkToken'],
  },
  {
    id: 'adminconfig is a symlink out',
    plant: { [`${L}/bob/app.adminconfig`]: '@out/dir/app.adminconfig' },
    calls: INTEGRATION_CALLS.filter(([n]) => ['createLink', 'getLinkToken', 'setLinkToken', 'removeLink'].includes(n)),
  },
  {
    id: 'DynamicUI file is a symlink out',
    plant: { [`${D}/bob/dynamicui_app.conf`]: '@out/dir/app.userconfig' },
    calls: INTEGRATION_CALLS.filter(([n]) => ['createLink', 'removeLink'].includes(n)),
  },
  { id: 'per-user DB is a symlink out', plant: { [`${U}/bob/bob.db`]: '@out/dir/bob.db' }, calls: AUTHN_CALLS },
  { id: 'LinkDB is a symlink out', plant: { [`${LOGIN}/google.db`]: '@out/dir/google.db' }, calls: LINKDB_CALLS },
  {
    id: 'service file is a symlink out',
    plant: { '/var/cpanel/authn/openid_connect/cpaneld': '@out/dir/cpaneld' },
    calls: [
      ['link', AUTHN_CALLS[0]![1]],
      ['enableProvider', async (ls) => (await authn(ls)).enableProvider({ service: 'cpaneld', provider: 'facebook' })],
      ['listAvailableProviders', async (ls) => (await authn(ls)).listAvailableProviders()],
    ],
  },
  {
    id: 'client config is a symlink out',
    plant: { '/var/cpanel/authn/client_config/openid_connect/google': '@out/dir/google.db' },
    calls: [
      ['getClientConfig', async (ls) => (await authn(ls)).getClientConfig({ service: 'cpaneld', provider: 'google' })],
      [
        'setClientConfig',
        async (ls) =>
          (await authn(ls)).setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 'a', client_secret: 'SECRET' } }),
      ],
    ],
  },
  // Lock files.
  {
    id: 'links/USER.lock is a symlink out',
    plant: { [`${L}/bob.lock`]: '@out/dir/lockfile' },
    calls: INTEGRATION_CALLS.filter(([n]) => ['createLink', 'setLinkToken', 'removeLink', 'createGroup'].includes(n)),
  },
  {
    id: 'per-user DB lock is a symlink out',
    plant: { [`${U}/bob/bob.db.lock`]: '@out/dir/lockfile' },
    calls: AUTHN_CALLS.filter(([n]) => n !== 'listAuthnLinks'),
  },
  {
    id: 'LinkDB lock is a symlink out',
    plant: { [`${LOGIN}/google.db.lock`]: '@out/dir/lockfile' },
    calls: LINKDB_CALLS.filter(([n]) => !['linkedAccounts', 'checkDrift'].includes(n)),
  },
  // Above the managed base.
  { id: '/var/cpanel is a symlink out', plant: { '/var/cpanel': '@out/varcpanel' }, calls: [...INTEGRATION_CALLS, ...AUTHN_CALLS, ...LINKDB_CALLS] },
  { id: '/var/cpanel/integration is a symlink out', plant: { '/var/cpanel/integration': '@out/varcpanel/integration' }, calls: INTEGRATION_CALLS },
  { id: '/var/cpanel/authn is a symlink out', plant: { '/var/cpanel/authn': '@out/varcpanel/authn' }, calls: [...AUTHN_CALLS, ...LINKDB_CALLS] },
  // Reads and removals check the account by its cpuser file only; writes need the gid from /etc.
  {
    id: '/etc/passwd is a symlink out',
    plant: { '/etc/passwd': '@out/passwd' },
    calls: [...INTEGRATION_CALLS, ...AUTHN_CALLS],
    maySucceed: ['getLinkUserConfig', 'getLinkToken', 'setLinkToken', 'removeLink', 'listLinks', 'link', 'unlink', 'listAuthnLinks'],
  },
  {
    id: '/etc is a symlink out',
    plant: { '/etc': '@out/etc' },
    calls: [...INTEGRATION_CALLS, ...AUTHN_CALLS],
    maySucceed: ['getLinkUserConfig', 'getLinkToken', 'setLinkToken', 'removeLink', 'listLinks', 'listAuthnLinks'],
  },
  // The account check is an existence test that takes an unusable cpuser file as "no account".
  {
    id: '/var/cpanel/users/bob is a symlink out',
    plant: { '/var/cpanel/users/bob': '@out/cpuser-bob' },
    calls: [...INTEGRATION_CALLS, ...AUTHN_CALLS],
    codes: ['E_SYMLINK', 'E_OUTSIDE_ROOT', 'E_NOT_CPANEL_USER', 'E_NO_SUCH_USER'],
    maySucceed: ['listAuthnLinks'],
  },
  {
    id: 'the theme config is a symlink out',
    plant: { '/usr/local/cpanel/base/frontend/jupiter/config.json': '@out/config.json' },
    calls: INTEGRATION_CALLS.filter(([n]) => n === 'createLink'),
  },
  { id: '/var/cpanel is a relative symlink climbing out', plant: { '/var/cpanel': '@rel' }, calls: [...INTEGRATION_CALLS, ...AUTHN_CALLS] },
];

/** The sample server with a link, a group and an authn link for bob, and the canary tree outside. */
async function seedBase(ctx: DiskCtx, out: string): Promise<void> {
  seedServer(ctx);
  const ls = makeLinkstore(ctx);
  await (await ls.integration()).createLink({ user: 'bob', app: 'app', url: 'https://x/', token: 'SECRET-token' });
  await (await ls.integration()).createLink({ user: 'alice', app: 'app', url: 'https://x/', token: 'SECRET-token' });
  await (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'sub-1' });
  await (await ls.authn()).setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 'a', client_secret: 'SECRET-c' } });
  const fs = ctx.fs;
  const put = (p: string, content: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content, { mode });
    fs.chmodSync(p, mode);
  };
  const passwd = fs.readFileSync(path.join(ctx.root, 'etc/passwd'), 'utf8');
  put(`${out}/passwd`, passwd);
  put(`${out}/etc/passwd`, passwd);
  put(`${out}/etc/group`, fs.readFileSync(path.join(ctx.root, 'etc/group'), 'utf8'));
  put(`${out}/cpuser-bob`, 'RS=jupiter\n');
  put(`${out}/config.json`, '{"icon":{"feature":{"height":1,"width":1}}}');
  put(`${out}/dir/app.userconfig`, '{\n   "url" : "https://canary/"\n}\n');
  put(`${out}/dir/app.adminconfig`, '{\n   "token" : "CANARY"\n}\n', 0o600);
  put(`${out}/dir/bob.db`, '{"__VERSION":"1.0","openid_connect":{"google":{"canary":{"link_time":1}}}}', 0o640);
  put(`${out}/dir/google.db`, '{"subject_unique_identifier":{},"user":{}}', 0o600);
  put(`${out}/dir/cpaneld`, '{"google":"Cpanel::Security::Authn::Provider::Google"}');
  put(`${out}/dir/lockfile`, '1\n/usr/local/cpanel/bin/canary\n');
  // A full copy of /var/cpanel outside, so a followed /var/cpanel symlink would find real data.
  fs.cpSync(path.join(ctx.root, 'var/cpanel'), `${out}/varcpanel`, { recursive: true });
  fs.mkdirSync(`${out}/etc`, { recursive: true });
}

/** Every path under `dir`: mode, and content for files. */
function snapshot(fs: DiskCtx['fs'], dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      out[p] = `dir ${(st.mode & 0o7777).toString(8)}`;
      for (const n of (fs.readdirSync(p) as string[]).sort()) walk(`${p}/${n}`);
    } else if (st.isSymbolicLink()) out[p] = `-> ${fs.readlinkSync(p)}`;
    else out[p] = `${(st.mode & 0o7777).toString(8)} ${fs.readFileSync(p).toString('base64')}`;
  };
  walk(dir);
  return out;
}

for (const backend of backends) {
  describe(`symlink escape [${backend.kind}]`, () => {
    for (const c of CASES) {
      it(c.id, async () => {
        const s = backend.setup();
        const out = `${s.root}-outside`;
        const outRel = `${s.root}-rel`;
        try {
          const ctx = { kind: backend.kind, fs: s.fs, root: s.root } as DiskCtx;
          ctx.make = (o = {}) => new Disk({ fs: s.fs, root: s.root, owners: s.owners, ...o });
          ctx.disk = ctx.make();
          await seedBase(ctx, out);
          await settle();
          s.fs.cpSync(out, outRel, { recursive: true });
          for (const [cp, target] of Object.entries(c.plant)) {
            const host = path.join(s.root, cp);
            s.fs.rmSync(host, { recursive: true, force: true });
            s.fs.mkdirSync(path.dirname(host), { recursive: true });
            const t = target.startsWith('@out/')
              ? `${out}/${target.slice(5)}`
              : target === '@rel'
                ? `../../${path.basename(outRel)}/varcpanel`
                : path.join(s.root, target);
            s.fs.symlinkSync(t, host);
          }
          const canaries = [snapshot(s.fs, out), snapshot(s.fs, outRel)];
          const problems: string[] = [];
          const codes = c.codes ?? ['E_SYMLINK', 'E_OUTSIDE_ROOT'];
          let refused = 0;
          for (const [name, run] of c.calls) {
            const rec = faultyFs(s.fs, []);
            const ls = new Linkstore({
              disk: new Disk({ fs: rec.fs, root: s.root, owners: s.owners, lock: { timeoutMs: 2000, pollMs: 10 } }),
              hostname: 'h',
              now: () => NOW_MS,
              users: { checkIntervalMs: 0 },
            });
            try {
              await run(ls);
              if (!c.maySucceed?.includes(name)) problems.push(`${name}: succeeded`);
            } catch (e) {
              if (!(e instanceof LinkstoreError)) problems.push(`${name}: untyped ${String(e)}`);
              else if (!codes.includes(e.code)) problems.push(`${name}: ${e.code} ${e.message}`);
              else refused++;
            }
            const escaped = rec.calls.filter((cl) => {
              const p = cl.slice(cl.indexOf(' ') + 1);
              return p.startsWith(out) || p.startsWith(outRel) || !p.startsWith(s.root);
            });
            if (escaped.length) problems.push(`${name}: fs calls outside the root: ${escaped.join(', ')}`);
          }
          expect(problems).toEqual([]);
          expect(refused).toBeGreaterThan(0);
          expect([snapshot(s.fs, out), snapshot(s.fs, outRel)]).toEqual(canaries);
        } finally {
          s.fs.rmSync(out, { recursive: true, force: true });
          s.fs.rmSync(outRel, { recursive: true, force: true });
          s.cleanup();
        }
      });
    }
  });
}
