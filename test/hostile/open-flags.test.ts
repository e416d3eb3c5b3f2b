/**
 * How the library opens what it reads (issue: hostile input), seen from below: a recording fs
 * passes every call through to Node's fs and notes each open's flags, which descriptors were
 * fstat-ed, and every path touched below a cPanel user's home. A broad workload — every store's
 * reads and writes, doctor with and without fixes, NDJSON export and import, an account archive
 * written and read back as a directory and as a tarball — must show:
 * - every open for reading uses O_RDONLY | O_NOFOLLOW | O_NONBLOCK (directories: O_DIRECTORY |
 *   O_NONBLOCK), and every read descriptor is fstat-ed before its first byte is read;
 * - no whole-file read that bypasses those flags (`readFile`, `readFileSync`);
 * - below `/home` nothing but lstat/stat (and realpath, which the kernel answers from lstat and
 *   readlink): a mail account is checked by its directory, never opened.
 *
 * Flags and FIFOs are real-kernel facts: this suite runs on a real temp dir (memfs has no O_NONBLOCK
 * semantics to observe); fifo-and-size.test.ts shows what the flags buy.
 */
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { exportAccountArchive, loadAccountArchive, restoreAccountArchive } from '../../src/archive/index.js';
import { doctor } from '../../src/doctor/index.js';
import { Disk } from '../../src/io/disk.js';
import { nodeFsCapabilities } from '../../src/io/fs-port.js';
import { exportRecords, importRecords } from '../../src/transfer/index.js';
import { callWhm } from '../../src/whm/index.js';
import { isRoot, settle, tmpdirCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer, TINY_PNG } from './server.js';

const C = nodeFs.constants;
const ACCESS = C.O_RDONLY | C.O_WRONLY | C.O_RDWR;

interface OpenSeen {
  path: string;
  flags: number;
  fstat: boolean;
}

/** Node's fs with every open, fstat, read and whole-file read recorded. */
function recordingFs(): { fs: typeof nodeFs; opens: OpenSeen[]; problems: string[]; touched: string[] } {
  const opens: OpenSeen[] = [];
  const problems: string[] = [];
  const touched: string[] = [];
  const byFd = new Map<number, OpenSeen>();
  const note = (op: string, p: unknown) => touched.push(`${op} ${String(p)}`);
  const opened = (path: unknown, flags: unknown): OpenSeen => {
    const o = { path: String(path), flags: typeof flags === 'number' ? flags : -1, fstat: false };
    opens.push(o);
    note('open', path);
    return o;
  };
  const readBeforeFstat = (o: OpenSeen | undefined) => {
    if (o !== undefined && !o.fstat && (o.flags & ACCESS) === C.O_RDONLY) problems.push(`read before fstat: ${o.path}`);
  };
  const promises = {
    ...nodeFs.promises,
    async open(path: string, flags: number, mode?: number) {
      const o = opened(path, flags);
      const fh = await nodeFs.promises.open(path, flags, mode);
      return new Proxy(fh, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target) as unknown;
          if (prop === 'stat') return async () => ((o.fstat = true), target.stat());
          if (prop === 'read') return async (...a: Parameters<typeof fh.read>) => (readBeforeFstat(o), target.read(...a));
          if (prop === 'readFile') return async () => (problems.push(`FileHandle.readFile: ${o.path}`), target.readFile());
          return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
    async readFile(path: string) {
      problems.push(`promises.readFile: ${path}`);
      return nodeFs.promises.readFile(path);
    },
    async lstat(path: string) {
      note('lstat', path);
      return nodeFs.promises.lstat(path);
    },
    async stat(path: string) {
      note('stat', path);
      return nodeFs.promises.stat(path);
    },
    async readdir(path: string) {
      note('readdir', path);
      return nodeFs.promises.readdir(path);
    },
  };
  const fs = {
    ...nodeFs,
    promises,
    linkstoreCapabilities: nodeFsCapabilities(),
    openSync(path: string, flags: number, mode?: number) {
      const o = opened(path, flags);
      const fd = nodeFs.openSync(path, flags, mode);
      byFd.set(fd, o);
      return fd;
    },
    open(path: string, flags: number, mode: number, cb: (err: Error | null, fd: number) => void) {
      const o = opened(path, flags);
      nodeFs.open(path, flags, mode, (err, fd) => {
        if (!err) byFd.set(fd, o);
        cb(err, fd);
      });
    },
    fstatSync(fd: number) {
      const o = byFd.get(fd);
      if (o) o.fstat = true;
      return nodeFs.fstatSync(fd);
    },
    readSync(fd: number, ...rest: [Uint8Array, number, number, number | null]) {
      readBeforeFstat(byFd.get(fd));
      return nodeFs.readSync(fd, ...rest);
    },
    closeSync(fd: number) {
      byFd.delete(fd);
      nodeFs.closeSync(fd);
    },
    readFileSync(...a: Parameters<typeof nodeFs.readFileSync>) {
      problems.push(`readFileSync: ${String(a[0])}`);
      return nodeFs.readFileSync(...a);
    },
    lstatSync(path: string) {
      note('lstat', path);
      return nodeFs.lstatSync(path);
    },
    statSync(path: string) {
      note('stat', path);
      return nodeFs.statSync(path);
    },
    readdirSync(path: string) {
      note('readdir', path);
      return nodeFs.readdirSync(path);
    },
    realpathSync: Object.assign((p: string) => (note('realpath', p), nodeFs.realpathSync(p)), {
      native: (p: string) => (note('realpath', p), nodeFs.realpathSync.native(p)),
    }),
    readlinkSync(path: string) {
      note('readlink', path);
      return nodeFs.readlinkSync(path);
    },
  } as unknown as typeof nodeFs;
  return { fs, opens, problems, touched };
}

it('every read opens O_RDONLY|O_NOFOLLOW|O_NONBLOCK then fstats; a cPanel user’s home is only stat-ed [tmpdir]', async () => {
  const ctx = tmpdirCtx();
  const out = mkdtempSync(join(tmpdir(), 'linkstore-flags-'));
  try {
    seedServer(ctx);
    const rec = recordingFs();
    const ls = makeLinkstore(ctx, new Disk({ fs: rec.fs, root: ctx.root, owners: isRoot }));
    const integ = await ls.integration();
    const authn = await ls.authn();
    const users = await ls.users();
    await integ.createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: 'T', base64_png_image: TINY_PNG, label: 'App' });
    await integ.createGroup({ user: 'bob', group_id: 'grp', label: 'G' });
    await integ.getLinkUserConfig({ user: 'bob', app: 'app' });
    await integ.getLinkAdminConfig({ user: 'bob', app: 'app' });
    await integ.setLinkToken({ user: 'bob', app: 'app', token: 'T2' });
    await integ.listLinks({ user: 'bob' });
    await integ.checkDynamicUi({ user: 'bob' });
    await integ.rebuildDynamicUi({ user: 'bob' });
    await authn.linkAccount({ user: 'bob', provider: 'google', subject: 's1', userInfo: { preferred_username: 'bobby' } });
    // A mail account: its existence is the mail directory below bob's home.
    await authn.linkAccount({ user: 'info@bob.example', provider: 'google', subject: 's2' });
    await authn.listLinks({ user: 'info@bob.example' });
    await authn.listLinkedAccounts();
    await authn.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 'id', client_secret: 'sec' } });
    await authn.getClientConfig({ service: 'cpaneld', provider: 'google' });
    await authn.listConfigurationFields({ service: 'cpaneld', provider: 'google' });
    await authn.setDisplayConfig({ service: 'cpaneld', provider: 'google', configurations: { label: 'Google' } });
    await authn.listDisplayConfigs({ provider: 'google' });
    await authn.enableProvider({ service: 'webmaild', provider: 'google' });
    await authn.checkDrift();
    await authn.rebuildLinkDb({ provider: 'google' });
    await users.validateSystemUser({ user: 'bob' });
    await users.verifyNewUsername({ user: 'newname' }).catch(() => undefined);
    await users.getCpanelConfig();
    for (const [fn, params] of [
      ['get_integration_link_user_config', { user: 'bob', app: 'app' }],
      ['get_authn_links', { username: 'bob' }],
      ['get_available_authentication_providers', {}],
    ] as const) {
      expect((await callWhm(ls, fn, params)).metadata.result).toBe(1);
    }
    const records = await exportRecords(ls);
    const imported = await importRecords(
      ls,
      records.map((r) => JSON.stringify(r)),
    );
    expect(imported.results.filter((r) => r.status === 'failed')).toEqual([]);
    await doctor(ls, { pidAlive: () => true });
    await doctor(ls, { fix: true, graceMs: 0 });
    for (const target of [join(out, 'cpmove-bob'), join(out, 'cpmove-bob.tar.gz')]) {
      await exportAccountArchive(ls, 'bob', target);
      await loadAccountArchive(rec.fs, target);
      await restoreAccountArchive(ls, target);
    }
    await integ.removeLink({ user: 'bob', app: 'app' });
    await authn.unlinkAccount({ user: 'info@bob.example', provider: 'google', subject: 's2' });
    await settle();

    expect(rec.problems).toEqual([]);
    const reads = rec.opens.filter((o) => (o.flags & ACCESS) === C.O_RDONLY);
    const dirs = reads.filter((o) => (o.flags & C.O_DIRECTORY) !== 0);
    const files = reads.filter((o) => (o.flags & C.O_DIRECTORY) === 0);
    // The workload really read files and directories through the recorder.
    expect(files.length).toBeGreaterThan(100);
    expect(dirs.length).toBeGreaterThan(5);
    expect(files.filter((o) => (o.flags & (C.O_NOFOLLOW | C.O_NONBLOCK)) !== (C.O_NOFOLLOW | C.O_NONBLOCK)).map((o) => o.path)).toEqual([]);
    expect(dirs.filter((o) => (o.flags & C.O_NONBLOCK) === 0).map((o) => o.path)).toEqual([]);
    expect(rec.opens.every((o) => o.flags >= 0)).toBe(true);
    const home = join(ctx.root, 'home') + '/';
    const atHome = rec.touched.filter((t) => t.includes(home));
    expect(atHome.length).toBeGreaterThan(0);
    // realpath(3) resolves by lstat and readlink; neither opens the path.
    expect(atHome.filter((t) => !/^(lstat|stat|realpath|readlink) /.test(t))).toEqual([]);
    expect(atHome.some((t) => /^(lstat|stat) /.test(t))).toBe(true);
  } finally {
    ctx.cleanup();
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
