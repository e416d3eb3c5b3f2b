/**
 * An account rename reports every file it moves, including an email user's DB whose domain holds
 * “.lock” (`info@shop.lockhart.example.db`): only dot-locks and lock temps are left out.
 */
import { beforeEach, expect, it } from 'vitest';
import { renameAccount } from '../../src/account/index.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks, peek, seed, settle } from '../helpers/disks.js';
import { USERS, makeLinkstore, populate, seedServer } from '../doctor/server.js';

describeOnDisks('account rename reports files whose names hold “.lock”', (ctx) => {
  let ls: Linkstore;
  beforeEach(async () => {
    seedServer(ctx);
    seed(ctx, '/etc/userdomains', (peek(ctx, '/etc/userdomains') as string) + 'shop.lockhart.example: bob\n');
    seed(ctx, '/home/bob/mail/shop.lockhart.example/info/cur/.keep', '', 0o600);
    ls = makeLinkstore(ctx.disk);
    await populate(ls);
    await (await ls.authn()).linkAccount({ user: 'info@shop.lockhart.example', provider: 'google', subject: 'g-lockhart' });
    await settle();
  });

  it('lists every DB that moves, in the dry run and the real run alike', async () => {
    const dbs = (ctx.fs.readdirSync(`${ctx.root}${USERS}/bob`) as string[]).filter((n) => n.endsWith('.db')).sort();
    expect(dbs).toContain('info@shop.lockhart.example.db');
    const moved = (ops: readonly { op: string; from?: string }[]) =>
      ops
        .filter((o) => o.op === 'rename' && o.from?.startsWith(`${ctx.root}${USERS}/bob/`))
        .map((o) => (o.from as string).slice(`${ctx.root}${USERS}/bob/`.length))
        .sort();
    const dry = moved((await renameAccount(ls, 'bob', 'robert', { dryRun: true })).ops);
    // Each DB is named (bob.db also as its new name robert.db, moved within the directory).
    expect(dry).toEqual(expect.arrayContaining(dbs));
    expect(moved((await renameAccount(ls, 'bob', 'robert')).ops)).toEqual(dry);
  });
});
