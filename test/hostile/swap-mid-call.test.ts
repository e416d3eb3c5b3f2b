/**
 * A directory exchanged with a symlink at the worst moment, deterministically: a wrapping port
 * (Node's fs, with its descriptor paths) swaps the user's directory for a symlink to a copy outside
 * the root right before the library opens, lists or unlinks inside it, and swaps it back right
 * after. The stress suite races the same swap at random (test/stress/symlink-race.test.ts); this
 * puts it exactly in the window between the path checks and the system call.
 *
 * - A read must not return the bytes of the file outside (an integration token, a link config).
 * - A listing must not list the directory outside, and a purge must not unlink anything there.
 */
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Disk } from '../../src/io/disk.js';
import { nodeFsCapabilities } from '../../src/io/fs-port.js';
import { isLinkstoreError } from '../../src/io/errors.js';
import { tmpdirCtx, type DiskCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from './server.js';

const canSwap = process.platform === 'linux' && nodeFs.existsSync('/proc/self/fd') && nodeFsCapabilities().procFdPaths;

type Op = 'open' | 'readdir' | 'unlink';

/**
 * Node's fs, except that the first `op` whose path (or, through a descriptor path, whose name)
 * ends with one of `names` runs while `dir` is a symlink to `outside`.
 */
function swappingFs(dir: string, outside: string, op: Op, names: readonly string[]): { fs: typeof nodeFs; swapped: () => number } {
  let swaps = 0;
  let armed = true;
  const around = <T>(p: unknown, run: () => T): T => {
    if (!armed || typeof p !== 'string' || !names.some((n) => p.endsWith(n))) return run();
    armed = false;
    swaps++;
    nodeFs.renameSync(dir, `${dir}.real`);
    nodeFs.symlinkSync(outside, dir);
    const back = () => {
      nodeFs.unlinkSync(dir);
      nodeFs.renameSync(`${dir}.real`, dir);
    };
    let result: T;
    try {
      result = run();
    } catch (e) {
      back();
      throw e;
    }
    // A promise-form call runs on the thread pool: keep the swap until it is done.
    if (result instanceof Promise) return result.finally(back) as T;
    back();
    return result;
  };
  const fs = Object.create(nodeFs) as typeof nodeFs & { linkstoreCapabilities: unknown };
  const sync = { open: 'openSync', readdir: 'readdirSync', unlink: 'unlinkSync' } as const;
  const orig = nodeFs[sync[op]] as (...a: unknown[]) => unknown;
  Object.defineProperty(fs, sync[op], { value: (...a: unknown[]) => around(a[0], () => orig.apply(nodeFs, a)) });
  // The promise form too, so that a call made either way meets the swap.
  const promises = Object.create(nodeFs.promises) as typeof nodeFs.promises;
  const origP = nodeFs.promises[op] as (...a: unknown[]) => Promise<unknown>;
  Object.defineProperty(promises, op, { value: (...a: unknown[]) => around(a[0], () => origP.apply(nodeFs.promises, a)) });
  Object.defineProperty(fs, 'promises', { value: promises });
  fs.linkstoreCapabilities = nodeFsCapabilities();
  return { fs, swapped: () => swaps };
}

describe.skipIf(!canSwap)('a directory exchanged with a symlink between the checks and the call', () => {
  let ctx: DiskCtx & { cleanup(): void };
  let outside: string;
  afterEach(() => {
    ctx.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  /** A server with bob's integration link (token) and authn link, and a copy of `dir` outside with OUTSIDE in its files. */
  async function setup(dir: string): Promise<void> {
    ctx = tmpdirCtx();
    seedServer(ctx);
    const ls = makeLinkstore(ctx);
    await (await ls.integration()).createLink({ user: 'bob', app: 'app0', url: 'https://inside.example/', token: 'INSIDE-TOKEN' });
    await (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'inside-subject' });
    outside = mkdtempSync(join(tmpdir(), 'linkstore-outside-'));
    nodeFs.cpSync(join(ctx.root, dir), outside, { recursive: true });
    for (const f of nodeFs.readdirSync(outside)) {
      const p = join(outside, f);
      nodeFs.writeFileSync(p, nodeFs.readFileSync(p, 'utf8').replaceAll('INSIDE-TOKEN', 'OUTSIDE-TOKEN').replaceAll('inside', 'OUTSIDE'));
    }
    nodeFs.writeFileSync(join(outside, 'victim'), 'keep me');
  }

  const swappedStore = (dir: string, op: Op, ...names: string[]) => {
    const { fs, swapped } = swappingFs(join(ctx.root, dir), outside, op, names);
    return { ls: makeLinkstore(ctx, new Disk({ fs, root: ctx.root, owners: ctx.disk.owners })), swapped };
  };

  /** The call either fails with a LinkstoreError or answers from inside the root; never with outside bytes. */
  async function neverOutside(call: () => Promise<unknown>, swapped: () => number): Promise<void> {
    const answer = await call().catch((e: unknown) => {
      if (!isLinkstoreError(e)) throw e;
      expect(e.code).toBe('E_PATH_CHANGED');
      return e.message;
    });
    expect(swapped()).toBe(1);
    expect(JSON.stringify(answer)).not.toMatch(/OUTSIDE/);
  }

  it('a read of a token or a link config never returns a file outside the root', async () => {
    await setup('/var/cpanel/integration/links/bob');
    for (const [name, call] of [
      ['app0.adminconfig', async (ls: ReturnType<typeof makeLinkstore>) => (await ls.integration()).getLinkToken({ user: 'bob', app: 'app0' })],
      ['app0.userconfig', async (ls: ReturnType<typeof makeLinkstore>) => (await ls.integration()).getLinkUserConfig({ user: 'bob', app: 'app0' })],
    ] as const) {
      const { ls, swapped } = swappedStore('/var/cpanel/integration/links/bob', 'open', name);
      await neverOutside(() => call(ls), swapped);
    }
  });

  it('a per-user authn DB read never returns the one outside', async () => {
    await setup('/var/cpanel/authn/links/users/bob');
    const { ls, swapped } = swappedStore('/var/cpanel/authn/links/users/bob', 'open', 'bob.db');
    await neverOutside(async () => (await ls.authn()).listLinks({ user: 'bob' }), swapped);
  });

  it('a listing never lists the directory outside', async () => {
    await setup('/var/cpanel/integration/links/bob');
    const { fs, swapped } = swappingFs(join(ctx.root, '/var/cpanel/integration/links/bob'), outside, 'readdir', ['/.', '/bob']);
    const disk = new Disk({ fs, root: ctx.root, owners: ctx.disk.owners });
    const names = await disk.readdir('/var/cpanel/integration/links/bob').catch((e: unknown) => (isLinkstoreError(e) ? e.code : e));
    expect(swapped()).toBe(1);
    expect(names).not.toContain('victim');
  });

  it('an authn purge never unlinks a file outside the root', async () => {
    // A file only the tree removal deletes (the DBs go first, through the commit).
    await setup('/var/cpanel/authn/links/users/bob');
    nodeFs.writeFileSync(join(ctx.root, '/var/cpanel/authn/links/users/bob/stray'), 'inside');
    nodeFs.writeFileSync(join(outside, 'stray'), 'keep me');
    const { ls, swapped } = swappedStore('/var/cpanel/authn/links/users/bob', 'unlink', '/stray');
    const before = nodeFs.readdirSync(outside).sort();
    expect(before).toContain('stray');
    await (
      await ls.authn()
    )
      .purgeUser({ user: 'bob' })
      .catch((e: unknown) => expect(isLinkstoreError(e) && ['E_PATH_CHANGED', 'E_SYMLINK', 'E_PARTIAL'].includes(e.code)).toBe(true));
    expect(swapped()).toBe(1);
    expect(nodeFs.readdirSync(outside).sort()).toEqual(before);
  });

  it('a directory removed between the checks and the listing is absent, not a changed path', async () => {
    ctx = tmpdirCtx();
    outside = mkdtempSync(join(tmpdir(), 'linkstore-outside-'));
    const dir = join(ctx.root, '/var/cpanel/authn/links/users/bob');
    nodeFs.mkdirSync(dir, { recursive: true });
    const fs = Object.create(nodeFs) as typeof nodeFs & { linkstoreCapabilities: unknown };
    let armed = true;
    Object.defineProperty(fs, 'openSync', {
      value: (p: string, ...rest: unknown[]) => {
        if (armed && p === dir) {
          armed = false;
          nodeFs.rmSync(dir, { recursive: true }); // a purge running beside us
        }
        return (nodeFs.openSync as (...a: unknown[]) => number)(p, ...rest);
      },
    });
    fs.linkstoreCapabilities = nodeFsCapabilities();
    expect(await new Disk({ fs, root: ctx.root, owners: false }).readdir('/var/cpanel/authn/links/users/bob')).toBeUndefined();
    expect(armed).toBe(false);
  });

  it('doctor-style reads by host path pass through a symlink the root allows on the way (/var/cpanel → /data/cpanel)', async () => {
    ctx = tmpdirCtx();
    outside = mkdtempSync(join(tmpdir(), 'linkstore-outside-'));
    const data = join(ctx.root, 'data/cpanel/integration/links/bob');
    nodeFs.mkdirSync(data, { recursive: true });
    nodeFs.writeFileSync(join(data, 'app.userconfig'), '{"url":"https://x/"}');
    nodeFs.mkdirSync(join(ctx.root, 'var'), { recursive: true });
    nodeFs.symlinkSync(join(ctx.root, 'data/cpanel'), join(ctx.root, 'var/cpanel'));
    const disk = new Disk({ root: ctx.root, owners: false });
    const host = disk.host('/var/cpanel/integration/links/bob/app.userconfig');
    expect(disk.readHostFile(host)?.toString()).toBe('{"url":"https://x/"}');
    expect((await disk.readFile('/var/cpanel/integration/links/bob/app.userconfig'))?.toString()).toBe('{"url":"https://x/"}');
  });
});
