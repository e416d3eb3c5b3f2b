/**
 * A command that fails part-way (E_PARTIAL) prints, with `--output json`, a failure envelope whose
 * `data.done` lists the changes in place, so that a script learns what the call left behind.
 */
import { expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { runCommand } from '../../src/cli/commands.js';
import { describeOnDisks, hostPath, peek, seed, settle } from '../helpers/disks.js';
import { faultyFs } from '../helpers/faulty-fs.js';
import { D, L, USERS, makeLinkstore, populate, seedServer } from '../doctor/server.js';

describeOnDisks('CLI failure envelope', (ctx) => {
  it('an E_PARTIAL envelope carries the error’s done list', async () => {
    seedServer(ctx);
    await populate(makeLinkstore(ctx.disk));
    await settle();
    // WHM renamed the account bob to robert.
    for (const p of ['/etc/passwd', '/etc/group', '/etc/userdomains'])
      seed(ctx, p, (peek(ctx, p) as string).replace(/^bob:/gm, 'robert:').replace(/: bob$/gm, ': robert'));
    seed(ctx, '/var/cpanel/users/robert', peek(ctx, '/var/cpanel/users/bob') as string);
    ctx.fs.unlinkSync(hostPath(ctx, '/var/cpanel/users/bob'));
    // The DynamicUI tree cannot be moved: the authn data and the links tree have moved by then.
    const { fs } = faultyFs(ctx.fs, [{ op: 'rename', path: (p) => p.endsWith(`${D}/bob`), code: 'EIO' }]);
    const ls = makeLinkstore(ctx.make({ fs }));
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), isTTY: false };
    const rc = await runCommand('account', ls, parseArgs(['--output', 'json', 'account', 'rename', 'bob', 'robert']), io);
    expect(rc).toBe(1);
    const env = JSON.parse(out.join('')) as { data?: { done: { op: string; path: string }[] }; metadata: Record<string, unknown> };
    expect(env.metadata).toMatchObject({ result: 0, error_code: 'E_PARTIAL' });
    expect(env.metadata.reason).not.toContain('Retrying the same call finishes it');
    const done = (env.data?.done ?? []).map((o) => o.path.slice(ctx.root.length));
    expect(done).toContain(`${USERS}/robert`);
    expect(done).toContain(`${L}/robert`);
    expect(err.join('')).toContain('failed part-way');
  });
});
