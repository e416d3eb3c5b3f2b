/**
 * The server hostname in redirect URIs: a missing or empty /etc/hostname gives `localhost`; any
 * other problem with the file is a typed error naming it and the `hostname` option, nothing is
 * written, and the failure is not remembered (the next call reads the file again).
 */
import { expect, it } from 'vitest';
import { AuthnStore } from '../../src/authn/index.js';
import { LinkstoreError } from '../../src/io/errors.js';
import { Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks, hostPath, peek, seed, snapshotTree, type DiskCtx } from '../helpers/disks.js';
import { faultyFs, type Fault } from '../helpers/faulty-fs.js';
import { NOW_MS, seedServer } from './setup.js';

const CC = '/var/cpanel/authn/client_config/openid_connect';
const CONFIG = '{"client_id":"cid","client_secret":"csecret"}';

/** A store without the `hostname` option, over `ctx`'s backend (optionally with faults). */
function storeWithoutHostname(ctx: DiskCtx, faults: Fault[] = []): AuthnStore {
  const disk = faults.length === 0 ? ctx.disk : ctx.make({ fs: faultyFs(ctx.fs, faults).fs });
  return new AuthnStore({ disk, users: userLookup(new Users(disk, { checkIntervalMs: 0 })), now: () => NOW_MS });
}

const hostOf = async (s: AuthnStore) => new URL((await s.getClientConfig({ service: 'cpaneld', provider: 'google' })).redirect_uris?.[0] as string).hostname;

async function failure(p: Promise<unknown>): Promise<LinkstoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LinkstoreError);
    return e as LinkstoreError;
  }
  throw new Error('expected a failure');
}

function expectNamesFileAndOption(ctx: DiskCtx, e: LinkstoreError): void {
  expect(e.message).toContain(hostPath(ctx, '/etc/hostname'));
  expect(e.message).toContain('`hostname` option');
  expect(e.path).toBe(hostPath(ctx, '/etc/hostname'));
}

describeOnDisks('server hostname', (ctx) => {
  it('uses the first line of /etc/hostname, and localhost when the file is missing or empty', async () => {
    seedServer(ctx);
    expect(await hostOf(storeWithoutHostname(ctx))).toBe('localhost');
    seed(ctx, '/etc/hostname', '');
    expect(await hostOf(storeWithoutHostname(ctx))).toBe('localhost');
    seed(ctx, '/etc/hostname', '  srv1.example.com \nsecond line\n');
    expect(await hostOf(storeWithoutHostname(ctx))).toBe('srv1.example.com');
  });

  it('the hostname option wins and the file is never opened', async () => {
    seedServer(ctx);
    const disk = ctx.make({ fs: faultyFs(ctx.fs, [{ op: 'open', path: '/etc/hostname', code: 'EIO' }]).fs });
    const s = new AuthnStore({ disk, users: userLookup(new Users(disk, { checkIntervalMs: 0 })), hostname: 'opt.example.com' });
    expect(await hostOf(s)).toBe('opt.example.com');
  });

  it('EIO is an error naming the file and the option, nothing is written, and the next call reads again', async () => {
    seedServer(ctx);
    seed(ctx, '/etc/hostname', 'srv2.example.com\n');
    const s = storeWithoutHostname(ctx, [{ op: 'open', path: '/etc/hostname', code: 'EIO', nth: 1 }]);
    const before = snapshotTree(ctx);
    const e = await failure(s.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: CONFIG }));
    expect(e.code).toBe('E_IO');
    expect(e.message).toContain('EIO');
    expectNamesFileAndOption(ctx, e);
    expect(snapshotTree(ctx)).toEqual(before);
    // Not memoised: the transient error is gone, and so is its effect.
    await s.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: CONFIG });
    expect(peek(ctx, `${CC}/google`)).toContain('https://srv2.example.com:2083/');
    expect(peek(ctx, `${CC}/google`)).not.toContain('localhost');
  });

  it('a read error in the middle of the file is an error too (EIO on read)', async () => {
    seedServer(ctx);
    seed(ctx, '/etc/hostname', 'srv3.example.com\n');
    const s = storeWithoutHostname(ctx, [{ op: 'readFile', path: '/etc/hostname', code: 'EIO', nth: 1 }]);
    const e = await failure(s.getClientConfig({ service: 'cpaneld', provider: 'google' }));
    expectNamesFileAndOption(ctx, e);
    expect(await hostOf(s)).toBe('srv3.example.com');
  });

  it('a directory at /etc/hostname is E_NOT_FILE, and fixing it is seen by the same store', async () => {
    seedServer(ctx);
    ctx.fs.mkdirSync(hostPath(ctx, '/etc/hostname'), { recursive: true });
    const s = storeWithoutHostname(ctx);
    const before = snapshotTree(ctx);
    const e = await failure(s.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: CONFIG }));
    expect(e.code).toBe('E_NOT_FILE');
    expectNamesFileAndOption(ctx, e);
    expect(snapshotTree(ctx)).toEqual(before);
    ctx.fs.rmdirSync(hostPath(ctx, '/etc/hostname'));
    seed(ctx, '/etc/hostname', 'fixed.example.com\n');
    expect(await hostOf(s)).toBe('fixed.example.com');
  });

  it('a symbolic link that escapes the root is an error; one that stays inside is followed as other /etc files are', async () => {
    seedServer(ctx);
    seed(ctx, '/etc/real-hostname', 'inside.example.com\n');
    const link = (target: string) => {
      try {
        ctx.fs.unlinkSync(hostPath(ctx, '/etc/hostname'));
      } catch {
        // not there yet
      }
      ctx.fs.symlinkSync(target, hostPath(ctx, '/etc/hostname'));
    };
    for (const target of ['../../../../../../../../../etc/hostname', '/../../../../../../../../../etc/hostname']) {
      link(target);
      const e = await failure(storeWithoutHostname(ctx).getClientConfig({ service: 'cpaneld', provider: 'google' }));
      expect(['E_SYMLINK', 'E_OUTSIDE_ROOT']).toContain(e.code);
      expectNamesFileAndOption(ctx, e);
    }
    link('real-hostname');
    expect(await hostOf(storeWithoutHostname(ctx))).toBe('inside.example.com');
  });

  it('a first line that is no hostname is E_CORRUPT_FILE, without quoting it', async () => {
    seedServer(ctx);
    seed(ctx, '/etc/hostname', 'evil.example/path?MARKER\n');
    const e = await failure(storeWithoutHostname(ctx).getClientConfig({ service: 'cpaneld', provider: 'google' }));
    expect(e.code).toBe('E_CORRUPT_FILE');
    expectNamesFileAndOption(ctx, e);
    expect(e.message).not.toContain('MARKER');
  });

  it('refuses a hostname option that is not a host name, before anything reads or writes', () => {
    const disk = ctx.disk;
    for (const bad of ['not a host!', 'a/b', 'x:2083', '']) {
      expect(() => new AuthnStore({ disk, users: userLookup(new Users(disk)), hostname: bad })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_PARAM', param: 'hostname' }),
      );
    }
    expect(() => new AuthnStore({ disk, users: userLookup(new Users(disk)), hostname: 'h.example.com' })).not.toThrow();
  });
});
