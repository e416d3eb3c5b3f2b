import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { changedOps, commitFiles, describeOps, isLibraryTempName, writeFileAtomic } from '../../src/io/commit.js';
import { ensureDirs, planDirs } from '../../src/io/dirs.js';
import { flushFilesystems } from '../../src/io/flush.js';
import type { LinkstoreError } from '../../src/io/errors.js';
import { describeOnDisks, hostPath, peek, seed, snapshotTree, type DiskCtx } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';

const D = '/var/cpanel/authn/links';
const enc = (s: string) => Buffer.from(s);

async function rejectsWith(p: Promise<unknown>, code: string): Promise<LinkstoreError> {
  try {
    await p;
  } catch (e) {
    expect((e as LinkstoreError).code).toBe(code);
    return e as LinkstoreError;
  }
  throw new Error(`expected ${code}`);
}

function names(ctx: DiskCtx, dir: string): string[] {
  return (ctx.fs.readdirSync(hostPath(ctx, dir)) as string[]).sort();
}

function mode(ctx: DiskCtx, p: string): number {
  return ctx.fs.lstatSync(hostPath(ctx, p)).mode & 0o7777;
}

describeOnDisks('Disk paths', (ctx) => {
  it('maps cPanel paths under the root and reads files', async () => {
    seed(ctx, '/etc/passwd', 'root:x:0:0::/root:/bin/bash\n');
    expect(ctx.disk.host('/etc/passwd')).toBe(join(ctx.root, 'etc/passwd'));
    expect((await ctx.disk.readFile('/etc/passwd'))?.toString()).toContain('root:x');
    expect(await ctx.disk.readFile('/etc/missing')).toBeUndefined();
    expect(await ctx.disk.readdir('/nope')).toBeUndefined();
  });

  it('refuses a symlink anywhere inside a managed tree', async () => {
    seed(ctx, '/elsewhere/x.db', '{}');
    ctx.fs.mkdirSync(hostPath(ctx, '/var/cpanel/authn/links/users'), { recursive: true });
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere'), hostPath(ctx, '/var/cpanel/authn/links/users/bob'));
    await rejectsWith(ctx.disk.readFile('/var/cpanel/authn/links/users/bob/x.db'), 'E_SYMLINK');
    await rejectsWith(writeFileAtomic(ctx.disk, '/var/cpanel/authn/links/users/bob/y.db', enc('{}'), { mode: 0o600 }), 'E_SYMLINK');
    expect(names(ctx, '/elsewhere')).toEqual(['x.db']);
  });

  it('follows a symlink above the managed base only when it stays inside the root', async () => {
    ctx.fs.mkdirSync(hostPath(ctx, '/mnt/data/cpanel/authn'), { recursive: true });
    ctx.fs.mkdirSync(hostPath(ctx, '/var'), { recursive: true });
    ctx.fs.symlinkSync(hostPath(ctx, '/mnt/data/cpanel'), hostPath(ctx, '/var/cpanel'));
    await writeFileAtomic(ctx.disk, '/var/cpanel/authn/f', enc('x'), { mode: 0o644 });
    expect(peek(ctx, '/mnt/data/cpanel/authn/f')).toBe('x');
  });

  it('refuses a symlink that leaves the root (E_OUTSIDE_ROOT), reading nothing', async () => {
    ctx.fs.mkdirSync(hostPath(ctx, '/etc'), { recursive: true });
    ctx.fs.mkdirSync('/tmp', { recursive: true });
    ctx.fs.symlinkSync('/tmp', hostPath(ctx, '/etc/outside'));
    await rejectsWith(ctx.disk.readFile('/etc/outside/passwd'), 'E_OUTSIDE_ROOT');
  });
});

describeOnDisks('ensureDirs', (ctx) => {
  it('creates with exact modes whatever the umask, repairs modes, plans without touching', async () => {
    const specs = [
      { path: '/var/cpanel/integration', mode: 0o751, uid: 0, gid: 0 },
      { path: '/var/cpanel/integration/links', mode: 0o751, uid: 0, gid: 0 },
      { path: '/var/cpanel/integration/links/bob', mode: 0o750, uid: 0, gid: 0 },
    ];
    ctx.fs.mkdirSync(hostPath(ctx, '/var/cpanel'), { recursive: true });
    const plan = await planDirs(ctx.disk, specs);
    expect(plan.map((p) => p.op)).toEqual(['mkdir', 'mkdir', 'mkdir']);
    expect(ctx.fs.existsSync(hostPath(ctx, '/var/cpanel/integration'))).toBe(false);
    const old = process.umask(0o077);
    try {
      await ensureDirs(ctx.disk, specs);
    } finally {
      process.umask(old);
    }
    expect(mode(ctx, '/var/cpanel/integration')).toBe(0o751);
    expect(mode(ctx, '/var/cpanel/integration/links/bob')).toBe(0o750);
    ctx.fs.chmodSync(hostPath(ctx, '/var/cpanel/integration/links/bob'), 0o777);
    expect((await planDirs(ctx.disk, specs)).map((p) => p.op)).toEqual(['chmod']);
    await ensureDirs(ctx.disk, specs);
    expect(mode(ctx, '/var/cpanel/integration/links/bob')).toBe(0o750);
  });

  it('refuses a file or symlink where a directory must be', async () => {
    seed(ctx, '/var/cpanel/integration', 'not a dir');
    await rejectsWith(ensureDirs(ctx.disk, [{ path: '/var/cpanel/integration', mode: 0o751, uid: 0, gid: 0 }]), 'E_NOT_DIRECTORY');
  });
});

describeOnDisks('atomic writes and multi-file commit', (ctx) => {
  const setup = () => ctx.fs.mkdirSync(hostPath(ctx, D), { recursive: true });

  it('writes new files with the exact mode (umask-independent), content and no temp left', async () => {
    setup();
    const old = process.umask(0o000);
    try {
      await writeFileAtomic(ctx.disk, `${D}/a.db`, enc('{"x":1}'), { mode: 0o640, uid: 0, gid: 0 });
    } finally {
      process.umask(old);
    }
    expect(peek(ctx, `${D}/a.db`)).toBe('{"x":1}');
    expect(mode(ctx, `${D}/a.db`)).toBe(0o640);
    expect(names(ctx, D)).toEqual(['a.db']);
  });

  it('never reads or sets the process umask (Node reads it by setting 0 and restoring: a race with the host’s threads)', async () => {
    setup();
    const spy = vi.spyOn(process, 'umask');
    try {
      await writeFileAtomic(ctx.disk, `${D}/a.db`, enc('{"x":1}'), { mode: 0o640 });
      await writeFileAtomic(ctx.disk, `${D}/a.db`, enc('{"x":2}'), { mode: 0o600 });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(mode(ctx, `${D}/a.db`)).toBe(0o600);
  });

  it('replaces an existing file and corrects its mode', async () => {
    setup();
    seed(ctx, `${D}/a.db`, 'old', 0o666);
    await writeFileAtomic(ctx.disk, `${D}/a.db`, enc('new'), { mode: 0o600 });
    expect(peek(ctx, `${D}/a.db`)).toBe('new');
    expect(mode(ctx, `${D}/a.db`)).toBe(0o600);
  });

  it('sets owners before publishing when owners are enabled', async () => {
    setup();
    if (!ctx.disk.owners) {
      // As a normal user on a real disk chown is impossible; the disk knows and skips it.
      await writeFileAtomic(ctx.disk, `${D}/o.db`, enc('x'), { mode: 0o640, uid: 0, gid: 0 });
      expect(ctx.fs.statSync(hostPath(ctx, `${D}/o.db`)).uid).toBe(process.getuid?.());
      return;
    }
    await writeFileAtomic(ctx.disk, `${D}/o.db`, enc('x'), { mode: 0o640, uid: 0, gid: 1234 });
    const st = ctx.fs.statSync(hostPath(ctx, `${D}/o.db`));
    expect([st.uid, st.gid]).toEqual([0, 1234]);
  });

  it('refuses to write through a symlink at the target and leaves the link alone', async () => {
    setup();
    seed(ctx, '/victim', 'secret');
    ctx.fs.symlinkSync(hostPath(ctx, '/victim'), hostPath(ctx, `${D}/a.db`));
    await rejectsWith(writeFileAtomic(ctx.disk, `${D}/a.db`, enc('x'), { mode: 0o600 }), 'E_SYMLINK');
    expect(peek(ctx, '/victim')).toBe('secret');
    expect(names(ctx, D)).toEqual(['a.db']);
  });

  it('never writes a 0-byte data file', async () => {
    setup();
    await rejectsWith(writeFileAtomic(ctx.disk, `${D}/a.db`, enc(''), { mode: 0o600 }), 'E_WRITE_FAILED');
    expect(names(ctx, D)).toEqual([]);
  });

  it('refuses when the directory is missing, creating nothing', async () => {
    await rejectsWith(writeFileAtomic(ctx.disk, `${D}/a.db`, enc('x'), { mode: 0o600 }), 'E_NOT_DIRECTORY');
  });

  for (const fault of [
    { op: 'write', code: 'ENOSPC' },
    { op: 'sync', code: 'EIO' },
    { op: 'open', code: 'EACCES' },
    { op: 'chmod', code: 'EPERM' },
    { op: 'rename', code: 'EXDEV' },
    { op: 'rename', code: 'EPERM' },
  ] as const) {
    it(`${fault.code} on ${fault.op}: typed error, old file intact, no temp left`, async () => {
      setup();
      seed(ctx, `${D}/a.db`, 'old', 0o600);
      const { fs } = faultyFs(ctx.fs, [{ op: fault.op, path: '.tmp.', code: fault.code }]);
      const disk = ctx.make({ fs });
      const before = snapshotTree(ctx, D);
      // The temp file is always chmod-ed to its exact mode (whatever the umask removed).
      const oldUmask = process.umask(0o077);
      const err = await rejectsWith(
        writeFileAtomic(disk, `${D}/a.db`, enc('new'), { mode: 0o644 }),
        fault.op === 'rename' ? 'E_COMMIT_FAILED' : 'E_WRITE_FAILED',
      ).finally(() => process.umask(oldUmask));
      expect(err.message.length).toBeGreaterThan(10);
      expect(snapshotTree(ctx, D)).toEqual(before);
    });
  }

  it('writes a file larger than one write step (1 MiB) whole, and a failure in a later step leaves nothing behind', async () => {
    setup();
    seed(ctx, `${D}/big.db`, 'old', 0o600);
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = 0x61 + (i % 26);
    await writeFileAtomic(ctx.disk, `${D}/big.db`, big, { mode: 0o600 });
    expect(Buffer.from(ctx.fs.readFileSync(hostPath(ctx, `${D}/big.db`))).equals(big)).toBe(true);
    expect(names(ctx, D).filter(isLibraryTempName)).toEqual([]);
    // The second write of the temp is its second step: it fails, and the old file stays.
    seed(ctx, `${D}/big.db`, 'old', 0o600);
    const before = snapshotTree(ctx, D);
    const { fs } = faultyFs(ctx.fs, [{ op: 'write', path: '.tmp.', code: 'ENOSPC', nth: 2 }]);
    await rejectsWith(writeFileAtomic(ctx.make({ fs }), `${D}/big.db`, big, { mode: 0o600 }), 'E_WRITE_FAILED');
    expect(snapshotTree(ctx, D)).toEqual(before);
  });

  it('multi-file: a failure on the second rename restores the first file’s old content', async () => {
    setup();
    seed(ctx, `${D}/one`, 'one-old', 0o644);
    seed(ctx, `${D}/two`, 'two-old', 0o600);
    const before = snapshotTree(ctx, D);
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: 'two.tmp', code: 'EIO' }]);
    const disk = ctx.make({ fs });
    await rejectsWith(
      commitFiles(disk, [
        { op: 'write', path: `${D}/one`, content: enc('one-new'), mode: 0o644 },
        { op: 'write', path: `${D}/two`, content: enc('two-new'), mode: 0o600 },
      ]),
      'E_COMMIT_FAILED',
    );
    expect(snapshotTree(ctx, D)).toEqual(before);
  });

  it('multi-file: a failure restores by removing files that did not exist before', async () => {
    setup();
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: 'two.tmp', code: 'EIO' }]);
    await rejectsWith(
      commitFiles(ctx.make({ fs }), [
        { op: 'write', path: `${D}/one`, content: enc('1'), mode: 0o644 },
        { op: 'write', path: `${D}/two`, content: enc('2'), mode: 0o600 },
      ]),
      'E_COMMIT_FAILED',
    );
    expect(names(ctx, D)).toEqual([]);
  });

  it('multi-file: beforePublish can abort with nothing changed', async () => {
    setup();
    seed(ctx, `${D}/one`, 'old');
    const before = snapshotTree(ctx, D);
    await expect(
      commitFiles(
        ctx.disk,
        [
          { op: 'write', path: `${D}/one`, content: enc('new'), mode: 0o644 },
          { op: 'remove', path: `${D}/zzz` },
        ],
        {
          beforePublish: () => {
            throw new Error('lost');
          },
        },
      ),
    ).rejects.toThrow();
    expect(snapshotTree(ctx, D)).toEqual(before);
  });

  it('removes files as part of a commit and restores them on failure', async () => {
    setup();
    seed(ctx, `${D}/gone`, 'bye', 0o600);
    seed(ctx, `${D}/keep`, 'k', 0o644);
    const before = snapshotTree(ctx, D);
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: 'keep.tmp', code: 'EIO' }]);
    await rejectsWith(
      commitFiles(ctx.make({ fs }), [
        { op: 'remove', path: `${D}/gone` },
        { op: 'write', path: `${D}/keep`, content: enc('k2'), mode: 0o644 },
      ]),
      'E_COMMIT_FAILED',
    );
    expect(snapshotTree(ctx, D)).toEqual(before);
    await commitFiles(ctx.disk, [
      { op: 'remove', path: `${D}/gone` },
      { op: 'remove', path: `${D}/never-existed` },
    ]);
    expect(names(ctx, D)).toEqual(['keep']);
  });

  it('changedOps: the commit’s own no-op test, for dry runs (same bytes and mode drop out; a missing directory holds nothing)', async () => {
    setup();
    await writeFileAtomic(ctx.disk, `${D}/same.db`, enc('{"x":1}'), { mode: 0o640 });
    await writeFileAtomic(ctx.disk, `${D}/mode.db`, enc('{"x":1}'), { mode: 0o640 });
    const ops = [
      { op: 'write', path: `${D}/same.db`, content: enc('{"x":1}'), mode: 0o640 },
      { op: 'write', path: `${D}/mode.db`, content: enc('{"x":1}'), mode: 0o600 },
      { op: 'write', path: `${D}/new.db`, content: enc('{}'), mode: 0o600 },
      { op: 'remove', path: `${D}/absent.db` },
      { op: 'remove', path: `${D}/same.db` },
      { op: 'write', path: `${D}/nodir/x.db`, content: enc('{}'), mode: 0o600 },
      { op: 'remove', path: `${D}/nodir/y.db` },
    ] as const;
    const before = snapshotTree(ctx, D);
    const todo = await changedOps(ctx.disk, ops);
    expect(todo.map((o) => `${o.op} ${o.path.slice(D.length)}`)).toEqual(['write /mode.db', 'write /new.db', 'remove /same.db', 'write /nodir/x.db']);
    expect(snapshotTree(ctx, D)).toEqual(before);
    ctx.fs.symlinkSync('same.db', hostPath(ctx, `${D}/link.db`));
    await rejectsWith(changedOps(ctx.disk, [{ op: 'write', path: `${D}/link.db`, content: enc('{}'), mode: 0o600 }]), 'E_SYMLINK');
  });

  it('describes a plan (mode, owner, digest) without touching disk', async () => {
    setup();
    const plan = describeOps(ctx.disk, [
      { op: 'write', path: `${D}/a.db`, content: enc('abc'), mode: 0o640, uid: 0, gid: 12 },
      { op: 'remove', path: `${D}/b.db` },
    ]);
    expect(plan).toEqual([
      {
        op: 'write',
        path: hostPath(ctx, `${D}/a.db`),
        mode: '0640',
        owner: '0:12',
        sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        bytes: 3,
      },
      { op: 'remove', path: hostPath(ctx, `${D}/b.db`) },
    ]);
    expect(names(ctx, D)).toEqual([]);
  });

  it('filesystem flush mode (batches): syncfs on the real disk, per-file fsync fallback on memfs', async () => {
    setup();
    const { fs, calls } = faultyFs(ctx.fs, []);
    const disk = ctx.make({ fs });
    const flushed = await flushFilesystems(ctx.disk, [hostPath(ctx, D)]);
    expect(flushed).toBe(ctx.kind === 'tmpdir' && process.platform === 'linux');
    await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        commitFiles(ctx.kind === 'tmpdir' ? ctx.disk : disk, [{ op: 'write', path: `${D}/${n}`, content: enc(n), mode: 0o600 }], { flush: 'filesystem' }),
      ),
    );
    expect(names(ctx, D)).toEqual(['a', 'b', 'c']);
    // On memfs (no syncfs) every temp file was fsynced before its rename.
    if (ctx.kind === 'memfs') expect(calls.filter((c) => c.startsWith('sync ') && c.includes('.tmp.')).length).toBe(3);
  });

  for (const mode of ['inline', 'thread-pool'] as const) {
    it(`fsync ${mode}: every temp file and directory is flushed, and an EIO there fails the write cleanly`, async () => {
      setup();
      seed(ctx, `${D}/a`, 'old', 0o600);
      const ok = faultyFs(ctx.fs, []);
      await commitFiles(ctx.make({ fs: ok.fs, fsync: mode }), [
        { op: 'write', path: `${D}/a`, content: enc('1'), mode: 0o600 },
        { op: 'write', path: `${D}/b`, content: enc('2'), mode: 0o600 },
      ]);
      expect(ok.calls.filter((c) => c.startsWith('sync ') && c.includes('.tmp.')).length).toBe(2);
      expect(ok.calls.filter((c) => c === `sync ${hostPath(ctx, D)}`).length).toBe(1);
      const bad = faultyFs(ctx.fs, [{ op: 'sync', path: '.tmp.', code: 'EIO' }]);
      const before = snapshotTree(ctx, D);
      await rejectsWith(writeFileAtomic(ctx.make({ fs: bad.fs, fsync: mode }), `${D}/a`, enc('3'), { mode: 0o600 }), 'E_WRITE_FAILED');
      expect(snapshotTree(ctx, D)).toEqual(before);
    });
  }

  it('many concurrent writers of one file leave one whole version and no temps', async () => {
    setup();
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(ctx.disk, `${D}/c`, enc(`v${i}`.repeat(100)), { mode: 0o600 })));
    expect(peek(ctx, `${D}/c`)).toMatch(/^(v\d+)\1{99}$/);
    expect(names(ctx, D).filter(isLibraryTempName)).toEqual([]);
  });
});
