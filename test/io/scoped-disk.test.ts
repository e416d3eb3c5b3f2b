/**
 * The scoped view of a Disk (one per locked transaction): directories resolved once, reads kept
 * as rollback copies while the file is unchanged; and the read helper's single-call fast path.
 */
import { expect, it } from 'vitest';
import { commitFiles, describeOps } from '../../src/io/commit.js';
import { Disk } from '../../src/io/disk.js';
import type { LinkstoreError } from '../../src/io/errors.js';
import type { FsPort, PortStats } from '../../src/io/fs-port.js';
import { readAll } from '../../src/io/sys.js';
import { describeOnDisks, hostPath, peek, seed } from '../helpers/disks.js';
import { faultyFs, type Fault } from '../helpers/faulty-fs.js';

const D = '/var/cpanel/authn/links/users/bob';
const enc = (s: string) => Buffer.from(s);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as LinkstoreError).code;
  }
}

describeOnDisks('Disk.scoped', (ctx) => {
  const counting = (faults: Fault[] = []) => {
    const f = faultyFs(ctx.fs, faults);
    return { disk: ctx.make({ fs: f.fs }), calls: f.calls };
  };

  it('resolves each directory once, and opens files below it without an lstat', async () => {
    seed(ctx, `${D}/bob.db`, '{"__VERSION":"1.0"}', 0o640);
    const { disk, calls } = counting();
    const scoped = disk.scoped();
    const first = await scoped.resolveStat(D);
    expect(first.stat?.isDirectory()).toBe(true);
    calls.length = 0;
    expect(await scoped.resolveStat(D)).toBe(first);
    expect((await scoped.readFile(`${D}/bob.db`))?.toString()).toBe('{"__VERSION":"1.0"}');
    expect(calls.filter((c) => c.startsWith('lstat'))).toEqual([]);
    expect(calls.filter((c) => c.startsWith('open'))).toEqual([`open ${hostPath(ctx, `${D}/bob.db`)}`]);
    // The disk itself keeps no memory of the view's resolutions.
    calls.length = 0;
    await disk.resolveStat(D);
    expect(calls.some((c) => c.startsWith('lstat'))).toBe(true);
  });

  it('still refuses a symlink below a directory it resolved, or at the file itself', async () => {
    seed(ctx, '/elsewhere/x.db', '{}');
    seed(ctx, `${D}/keep`, 'k');
    const scoped = ctx.disk.scoped();
    await scoped.resolveStat('/var/cpanel/authn/links/users');
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere'), hostPath(ctx, '/var/cpanel/authn/links/users/eve'));
    expect(await codeOf(scoped.resolveStat('/var/cpanel/authn/links/users/eve'))).toBe('E_SYMLINK');
    expect(await codeOf(scoped.readFile('/var/cpanel/authn/links/users/eve/x.db'))).toBe('E_SYMLINK');
    await scoped.resolveStat(D);
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere/x.db'), hostPath(ctx, `${D}/bob.db`));
    expect(await codeOf(scoped.readFile(`${D}/bob.db`))).toBe('E_SYMLINK');
    expect(await codeOf(commitFiles(scoped, [{ op: 'write', path: `${D}/bob.db`, content: enc('{}'), mode: 0o640 }]))).toBe('E_SYMLINK');
    expect(peek(ctx, '/elsewhere/x.db')).toBe('{}');
  });

  it('remembers only directories that exist', async () => {
    const scoped = ctx.disk.scoped();
    expect((await scoped.resolveStat(D)).stat).toBeUndefined();
    ctx.fs.mkdirSync(hostPath(ctx, D), { recursive: true });
    expect((await scoped.resolveStat(D)).stat?.isDirectory()).toBe(true);
  });

  it('a commit keeps a read of the same file as its rollback copy, without reading it again', async () => {
    seed(ctx, `${D}/a.db`, 'old-a', 0o640);
    seed(ctx, `${D}/b.db`, 'old-b', 0o640);
    const { disk, calls } = counting([{ op: 'rename', path: '.b.db.tmp', code: 'EIO' }]);
    const scoped = disk.scoped();
    expect((await scoped.readFile(`${D}/a.db`))?.toString()).toBe('old-a');
    const ops = [
      { op: 'write' as const, path: `${D}/a.db`, content: enc('new-a'), mode: 0o640 },
      { op: 'write' as const, path: `${D}/b.db`, content: enc('new-b'), mode: 0o640 },
    ];
    expect(await codeOf(commitFiles(scoped, ops))).toBe('E_COMMIT_FAILED');
    expect(peek(ctx, `${D}/a.db`)).toBe('old-a');
    expect(peek(ctx, `${D}/b.db`)).toBe('old-b');
    expect(calls.filter((c) => c === `open ${hostPath(ctx, `${D}/a.db`)}`)).toHaveLength(1);
  });

  it('a file replaced since the read is read again for the rollback copy', async () => {
    seed(ctx, `${D}/a.db`, 'old-a', 0o640);
    seed(ctx, `${D}/b.db`, 'old-b', 0o640);
    const { disk } = counting([{ op: 'rename', path: '.b.db.tmp', code: 'EIO' }]);
    const scoped = disk.scoped();
    await scoped.readFile(`${D}/a.db`);
    // Replaced by rename, as every writer of these files does: a new inode.
    seed(ctx, `/var/cpanel/authn/links/users/other`, 'someone-else', 0o640);
    ctx.fs.renameSync(hostPath(ctx, '/var/cpanel/authn/links/users/other'), hostPath(ctx, `${D}/a.db`));
    const ops = [
      { op: 'write' as const, path: `${D}/a.db`, content: enc('new-a'), mode: 0o640 },
      { op: 'write' as const, path: `${D}/b.db`, content: enc('new-b'), mode: 0o640 },
    ];
    expect(await codeOf(commitFiles(scoped, ops))).toBe('E_COMMIT_FAILED');
    expect(peek(ctx, `${D}/a.db`)).toBe('someone-else');
  });

  it('recentRead answers only for a file the view read and that is unchanged', async () => {
    seed(ctx, `${D}/a.db`, 'x', 0o640);
    const host = hostPath(ctx, `${D}/a.db`);
    const plain = ctx.disk;
    await plain.readFile(`${D}/a.db`);
    expect(plain.recentRead(host, ctx.fs.lstatSync(host) as PortStats)).toBeUndefined();
    const scoped = plain.scoped();
    await scoped.readFile(`${D}/a.db`);
    expect(scoped.recentRead(host, ctx.fs.lstatSync(host) as PortStats)?.toString()).toBe('x');
    const other = { ...(ctx.fs.lstatSync(host) as PortStats), size: 2 } as PortStats;
    expect(scoped.recentRead(host, other)).toBeUndefined();
  });
});

it('a plan computes each digest when it is read, in its usual place', () => {
  const disk = new Disk({ root: '/srv/none' });
  const [w] = describeOps(disk, [{ op: 'write', path: '/x', content: enc('abc'), mode: 0o600 }]);
  expect(Object.keys(w ?? {})).toEqual(['op', 'path', 'mode', 'owner', 'sha256', 'bytes']);
  expect(JSON.parse(JSON.stringify(w)).sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  expect({ ...w }.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

/** A file port stub over an in-memory byte array whose fstat size may lie (grown, or /proc-like 0). */
function stubRead(data: Buffer): { fs: FsPort; reads: number[] } {
  const reads: number[] = [];
  const fs = {
    readSync(_fd: number, buf: Buffer, off: number, len: number, pos: number) {
      reads.push(len);
      const n = Math.max(0, Math.min(len, data.length - pos));
      data.copy(buf, off, pos, pos + n);
      return n;
    },
  } as unknown as FsPort;
  return { fs, reads };
}

it('readAll reads an unchanged file with one call, and a file that grew or reports size 0 to its end', () => {
  const text = Buffer.from('x'.repeat(20_000));
  const exact = stubRead(text);
  expect(readAll(exact.fs, 3, { size: text.length } as PortStats).equals(text)).toBe(true);
  expect(exact.reads).toEqual([text.length + 1]);
  const grown = stubRead(text);
  expect(readAll(grown.fs, 3, { size: 10 } as PortStats).equals(text)).toBe(true);
  const proc = stubRead(text);
  expect(readAll(proc.fs, 3, { size: 0 } as PortStats).equals(text)).toBe(true);
  const limited = stubRead(text);
  expect(readAll(limited.fs, 3, { size: text.length } as PortStats, 8192).length).toBe(8192);
  const empty = stubRead(Buffer.alloc(0));
  expect(readAll(empty.fs, 3, { size: 0 } as PortStats).length).toBe(0);
});
