/**
 * Untrusted files (issue: hostile input): a FIFO where any file the library reads belongs must
 * never hang it, and a huge file must cost no more memory than the read limit of its kind.
 *
 * FIFOs are a real-disk attack (memfs has none): each call runs in a child process that the test
 * kills after a bound, so a regression shows as a failed test, not a hung run. Sizes run on both
 * backends: sparse multi-GiB files on the real disk, small limits on memfs.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exportAccountArchive } from '../../src/archive/index.js';
import { isLinkstoreError } from '../../src/io/errors.js';
import { Linkstore } from '../../src/services.js';
import { describeOnDisks, hostPath, peek, tmpdirCtx } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { makeLinkstore, seedServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const L = '/var/cpanel/integration/links';

/** Where the FIFO goes for each call of fifo-child.mjs, and the codes that call may answer. */
const FIFO_CASES: { call: string; fifo: string; codes: (string | 'ok')[] }[] = [
  { call: 'userconfig', fifo: `${L}/bob/app.userconfig`, codes: ['E_NOT_FILE'] },
  { call: 'themeConfig', fifo: '/usr/local/cpanel/base/frontend/jupiter/config.json', codes: ['E_NOT_FILE'] },
  { call: 'integrationLock', fifo: `${L}/bob.lock`, codes: ['E_NOT_FILE'] },
  { call: 'userDb', fifo: '/var/cpanel/authn/links/users/bob/bob.db', codes: ['E_NOT_FILE'] },
  { call: 'linkDb', fifo: '/var/cpanel/authn/links/openid_connect/login/google.db', codes: ['E_NOT_FILE'] },
  { call: 'authnLock', fifo: '/var/cpanel/authn/links/users/bob/bob.db.lock', codes: ['E_NOT_FILE'] },
  { call: 'serviceFile', fifo: '/var/cpanel/authn/openid_connect/cpaneld', codes: ['E_NOT_FILE'] },
  { call: 'hostname', fifo: '/etc/hostname', codes: ['E_NOT_FILE'] },
  // A path the cPanel user owns: never opened (cPanel's rule asks only whether the mail directory
  // exists), so the FIFO is not even seen and the link is made.
  { call: 'mailPasswd', fifo: '/home/bob/etc/bob.example/passwd', codes: ['ok'] },
  // Unreadable /etc files get cPanel's fail-safe answers (usernames.md §7): the name is taken, or
  // does not exist; what matters here is that the answer comes.
  { call: 'group', fifo: '/etc/group', codes: ['E_USERNAME', 'E_NOT_FILE'] },
  { call: 'passwd', fifo: '/etc/passwd', codes: ['ok', 'E_NOT_FILE'] },
  { call: 'cpanelConfig', fifo: '/var/cpanel/cpanel.config', codes: ['E_NOT_FILE', 'ok'] },
  { call: 'doctor', fifo: `${L}/bob/app.userconfig`, codes: ['ok'] },
];

describe('a FIFO where a file belongs [tmpdir]', () => {
  it.each(FIFO_CASES)('$call never hangs on a FIFO at $fifo', async ({ call, fifo, codes }) => {
    const ctx = tmpdirCtx();
    try {
      seedServer(ctx);
      const ls = makeLinkstore(ctx);
      await (await ls.integration()).createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: 'T' });
      await (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'first' });
      await new Promise((r) => setImmediate(r));
      rmSync(hostPath(ctx, fifo), { force: true });
      const mk = spawnSync('mkfifo', ['-m', '0644', hostPath(ctx, fifo)]);
      expect(mk.status).toBe(0);
      const r = spawnSync(process.execPath, [join(here, 'fifo-child.mjs'), ctx.root, call], { encoding: 'utf8', timeout: 20_000 });
      expect(r.signal, `${call} hung on the FIFO`).toBeNull();
      const out = JSON.parse(r.stdout.trim()) as { ok: boolean; code?: string; message?: string; value?: unknown };
      expect(codes, JSON.stringify(out)).toContain(out.ok ? 'ok' : out.code);
      if (!out.ok && out.code === 'E_NOT_FILE') expect(out.message).toContain(hostPath(ctx, fifo).split('/').pop());
      if (call === 'doctor') expect(out.value).toContain('wrong_type');
    } finally {
      ctx.cleanup();
    }
  });
});

describe('a FIFO swapped in between the check and the open [tmpdir]', () => {
  // Files outside the root (an account archive on a backup disk) are lstat-ed before they are
  // opened; the child's fs replaces the file by a FIFO right after that lstat. A plain open would
  // block there until a writer came; O_NONBLOCK lets the open return and the fstat refuse it.
  it.each([
    { call: 'archiveMemberSwap', member: 'cpmove-bob/integration/links/app.userconfig' },
    { call: 'tarballSwap', member: 'cpmove-bob.tar.gz' },
  ])('$call: refused as changed while being opened, never a hang', async ({ call, member }) => {
    const ctx = tmpdirCtx();
    const out = mkdtempSync(join(tmpdir(), 'linkstore-swap-'));
    try {
      seedServer(ctx);
      const ls = makeLinkstore(ctx);
      await (await ls.integration()).createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: 'T' });
      await exportAccountArchive(ls, 'bob', join(out, member.startsWith('cpmove-bob/') ? 'cpmove-bob' : member));
      const target = join(out, member);
      const r = spawnSync(process.execPath, [join(here, 'fifo-child.mjs'), ctx.root, call, target], { encoding: 'utf8', timeout: 20_000 });
      expect(r.signal, `${call} hung on the FIFO`).toBeNull();
      const res = JSON.parse(r.stdout.trim()) as { ok: boolean; code?: string; message?: string };
      expect([res.code, res.message], r.stdout).toEqual(['E_NOT_FILE', `“${target}” changed while it was being opened.`]);
      // The swap really happened: a FIFO sits where the file was.
      expect(lstatSync(target).isFIFO()).toBe(true);
    } finally {
      ctx.cleanup();
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('huge files [tmpdir]', () => {
  it('a sparse 3 GiB userconfig is refused as too large, costs no memory, and its link can still be replaced and removed', async () => {
    const ctx = tmpdirCtx();
    try {
      seedServer(ctx);
      const ls = makeLinkstore(ctx);
      const integ = await ls.integration();
      await integ.createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: 'T' });
      ctx.fs.truncateSync(hostPath(ctx, `${L}/bob/app.userconfig`), 3 * 1024 ** 3);
      const rss = process.memoryUsage().rss;
      const err = await integ.getLinkUserConfig({ user: 'bob', app: 'app' }).catch((e: unknown) => e);
      expect(isLinkstoreError(err, 'E_CORRUPT_FILE') && /too large/.test(err.message)).toBe(true);
      await integ.createLink({ user: 'bob', app: 'app', url: 'https://replaced.example/', token: 'T2' });
      expect(peek(ctx, `${L}/bob/app.userconfig`)).toContain('replaced.example');
      ctx.fs.truncateSync(hostPath(ctx, `${L}/bob/app.userconfig`), 3 * 1024 ** 3);
      await integ.removeLink({ user: 'bob', app: 'app' });
      expect(peek(ctx, `${L}/bob/app.userconfig`)).toBeUndefined();
      expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 ** 2);
    } finally {
      ctx.cleanup();
    }
  });

  it('a sparse 1 GiB /etc/passwd is an error, never “this user does not exist”', async () => {
    const ctx = tmpdirCtx();
    try {
      seedServer(ctx);
      ctx.fs.truncateSync(hostPath(ctx, '/etc/passwd'), 1024 ** 3);
      const err = await (await new Linkstore({ disk: ctx.disk }).users()).validateSystemUser({ user: 'bob' }).catch((e: unknown) => e);
      expect(isLinkstoreError(err, 'E_CORRUPT_FILE')).toBe(true);
    } finally {
      ctx.cleanup();
    }
  });
});

/** One huge-file attack in a child process; returns what it printed (answers and peak RSS). */
function runHugeAttack(attack: string): {
  result: Record<string, { ok: boolean; code?: string; message?: string } & Record<string, unknown>>;
  peakBeforeMiB: number;
  peakAfterMiB: number;
} {
  const ctx = tmpdirCtx();
  try {
    seedServer(ctx);
    const r = spawnSync(process.execPath, [join(here, 'huge-child.mjs'), ctx.root, attack], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as ReturnType<typeof runHugeAttack>;
    // The figures of docs/reliability.md come from these lines.
    process.stdout.write(`huge-file attack ${attack}: peak RSS ${out.peakBeforeMiB} MiB before, ${out.peakAfterMiB} MiB after\n`);
    return out;
  } finally {
    ctx.cleanup();
  }
}

/** Peak RSS may grow by this much during an attack on a multi-GiB file: far below the file, above noise. */
const PEAK_GROWTH_MIB = 64;

describe('huge files: peak RSS of the whole process [tmpdir]', () => {
  it('a sparse 3 GiB userconfig: read refused, replace and remove work, peak RSS barely moves', () => {
    const { result, peakBeforeMiB, peakAfterMiB } = runHugeAttack('userconfig');
    expect([result.read?.ok, result.read?.code]).toEqual([false, 'E_CORRUPT_FILE']);
    expect(result.read?.message).toMatch(/too large/);
    expect(result.replace?.ok).toBe(true);
    expect(result.remove?.ok).toBe(true);
    expect(result.gone).toBe(true);
    expect(peakAfterMiB - peakBeforeMiB).toBeLessThan(PEAK_GROWTH_MIB);
  });

  it('doctor over a sparse 3 GiB userconfig reports it as too large, peak RSS barely moves', () => {
    const { result, peakBeforeMiB, peakAfterMiB } = runHugeAttack('doctor');
    const findings = result.findings as unknown as { kind: string; detail: string }[];
    expect(findings.map((f) => f.kind)).toContain('corrupt_json');
    expect(findings.some((f) => /too large/.test(f.detail))).toBe(true);
    expect(peakAfterMiB - peakBeforeMiB).toBeLessThan(PEAK_GROWTH_MIB);
  });

  it('a sparse 1 GiB /etc/passwd is E_CORRUPT_FILE, never “exists: 0”, peak RSS barely moves', () => {
    const { result, peakBeforeMiB, peakAfterMiB } = runHugeAttack('passwd');
    expect([result.validate?.ok, result.validate?.code]).toEqual([false, 'E_CORRUPT_FILE']);
    expect(peakAfterMiB - peakBeforeMiB).toBeLessThan(PEAK_GROWTH_MIB);
  });
});

describeOnDisks(
  'read limits',
  (ctx) => {
    it('a file over its limit is E_CORRUPT_FILE naming the limit; a remove and a replace still work', async () => {
      seedServer(ctx);
      const ls = makeLinkstore(ctx);
      const integ = await ls.integration();
      await integ.createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: 'T' });
      ctx.fs.writeFileSync(hostPath(ctx, `${L}/bob/app.userconfig`), `{"url":"${'x'.repeat(5000)}"}`);
      const err = await integ.getLinkUserConfig({ user: 'bob', app: 'app' }).catch((e: unknown) => e);
      expect(isLinkstoreError(err, 'E_CORRUPT_FILE')).toBe(true);
      expect((err as Error).message).toContain('4096 bytes');
      await integ.createLink({ user: 'bob', app: 'app', url: 'https://replaced.example/' });
      await integ.removeLink({ user: 'bob', app: 'app' });
      expect(peek(ctx, `${L}/bob/app.userconfig`)).toBeUndefined();
    });

    it('a link whose userconfig cannot be read (EACCES) can still be replaced and removed', async () => {
      seedServer(ctx);
      await (await makeLinkstore(ctx).integration()).createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: 'T' });
      const { fs, calls } = faultyFs(ctx.fs, [{ op: 'open', path: (p) => p.endsWith('/app.userconfig'), code: 'EACCES' }]);
      const disk = ctx.make({ fs });
      const integ = await makeLinkstore(ctx, disk).integration();
      const err = await integ.getLinkUserConfig({ user: 'bob', app: 'app' }).catch((e: unknown) => e);
      expect(isLinkstoreError(err)).toBe(true);
      await integ.createLink({ user: 'bob', app: 'app', url: 'https://replaced.example/', token: 'T2' });
      expect(peek(ctx, `${L}/bob/app.userconfig`)).toContain('replaced.example');
      await integ.removeLink({ user: 'bob', app: 'app' });
      expect(peek(ctx, `${L}/bob/app.userconfig`)).toBeUndefined();
      // The refusals were real: the file was asked for and refused.
      expect(calls.filter((c) => c.startsWith('open ') && c.endsWith('/app.userconfig')).length).toBeGreaterThan(0);
    });

    it('a file that grows past its limit after the fstat is refused while reading, one byte past the limit at most', async () => {
      seedServer(ctx);
      await (await makeLinkstore(ctx).integration()).createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: 'T' });
      ctx.fs.writeFileSync(hostPath(ctx, `${L}/bob/app.userconfig`), `{"url":"${'x'.repeat(100_000)}"}`);
      // The fstat answers the size the file had before a writer grew it; the reads see the growth.
      let asked = 0;
      const port = new Proxy(ctx.fs, {
        get(target, prop, recv) {
          if (prop === 'fstatSync') return (fd: number) => Object.assign(target.fstatSync(fd), { size: 100 });
          if (prop === 'readSync')
            return (fd: number, buf: Uint8Array, off: number, len: number, pos: number | null) => ((asked += len), target.readSync(fd, buf, off, len, pos));
          const v = Reflect.get(target, prop, recv) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const disk = ctx.make({ fs: port as typeof ctx.fs, limits: { data: 4096 } });
      const err = await (await makeLinkstore(ctx, disk).integration()).getLinkUserConfig({ user: 'bob', app: 'app' }).catch((e: unknown) => e);
      expect(isLinkstoreError(err, 'E_CORRUPT_FILE') && /too large/.test(err.message)).toBe(true);
      expect((err as Error).message).toContain('4096 bytes');
      expect((err as Error).message).toContain('app.userconfig');
      // Reads of other files (passwd, cpuser, theme) are in `asked` too; none may ask for the whole 100 kB.
      expect(asked).toBeLessThan(100_000);
    });
  },
  { limits: { data: 4096 } },
);
