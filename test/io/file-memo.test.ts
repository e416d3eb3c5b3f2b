import { expect, it } from 'vitest';
import { FileMemo } from '../../src/io/file-memo.js';
import { describeOnDisks, hostPath, seed } from '../helpers/disks.js';

describeOnDisks('FileMemo', (ctx) => {
  it('parses once while the file is unchanged and re-reads after a replacement or removal', async () => {
    let parses = 0;
    const memo = new FileMemo(ctx.disk, (bytes) => {
      parses++;
      return bytes?.toString() ?? null;
    });
    const P = '/var/cpanel/authn/openid_connect/cpaneld';
    expect(await memo.get(P)).toBeNull();
    seed(ctx, P, '{"a":1}');
    expect(await memo.get(P)).toBe('{"a":1}');
    expect(await memo.get(P)).toBe('{"a":1}');
    expect(parses).toBe(2);
    // Replaced by rename, as cPanel and we write: a new inode.
    seed(ctx, P + '.new', '{"b":2}');
    ctx.fs.renameSync(hostPath(ctx, P + '.new'), hostPath(ctx, P));
    expect(await memo.get(P)).toBe('{"b":2}');
    ctx.fs.unlinkSync(hostPath(ctx, P));
    expect(await memo.get(P)).toBeNull();
    expect(parses).toBe(4);
  });

  it('a symlink planted above a memoized file after it was read is refused, not followed', async () => {
    const memo = new FileMemo(ctx.disk, (bytes) => bytes?.toString() ?? null);
    const P = '/var/cpanel/authn/openid_connect/cpaneld';
    seed(ctx, P, 'real');
    expect(await memo.get(P)).toBe('real');
    seed(ctx, '/elsewhere/cpaneld', 'planted');
    ctx.fs.renameSync(hostPath(ctx, '/var/cpanel/authn/openid_connect'), hostPath(ctx, '/var/cpanel/authn/moved'));
    ctx.fs.symlinkSync(hostPath(ctx, '/elsewhere'), hostPath(ctx, '/var/cpanel/authn/openid_connect'));
    await expect(memo.get(P)).rejects.toMatchObject({ code: 'E_SYMLINK' });
  });
});
