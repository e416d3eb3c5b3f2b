/**
 * get_users_authn_linked_accounts keeps a stat-validated memo: a warm call on an unchanged server
 * parses no LinkDB, any change (a link, a LinkDB replaced behind our back, a new account) is seen
 * at once, and a LinkDB that fails to parse is never remembered.
 */
import { expect, it } from 'vitest';
import { describeOnDisks, seed } from '../helpers/disks.js';
import { LOGIN, makeLinkstore, populate, seedServer } from '../doctor/server.js';

describeOnDisks('linked accounts memo', (ctx) => {
  it('answers a warm call from the memo and sees every change', async () => {
    seedServer(ctx);
    const ls = makeLinkstore(ctx.disk);
    await populate(ls);
    const authn = await ls.authn();
    const first = await authn.listLinkedAccounts();
    expect(first.map((a) => `${a.provider_id} ${a.username}`)).toEqual([
      'cpanelid bob',
      'google alice',
      'google bob',
      'google info@bob.example',
      'google root',
    ]);
    // The memo hands out the same (frozen) entries: nothing was parsed or rebuilt.
    const warm = await authn.listLinkedAccounts();
    expect(warm).toEqual(first);
    expect(warm).not.toBe(first);
    warm.forEach((a, i) => expect(a).toBe(first[i]));
    expect(Object.isFrozen(warm[0])).toBe(true);
    await authn.unlinkAccount({ user: 'alice', provider: 'google', subject: 'g-alice' });
    expect((await authn.listLinkedAccounts()).map((a) => a.username)).not.toContain('alice');
    // Replaced behind the store's back (as cPanel would): seen at once.
    seed(ctx, `${LOGIN}/cpanelid.db`, '{"subject_unique_identifier":{},"user":{}}', 0o600);
    expect((await authn.listLinkedAccounts()).filter((a) => a.provider_id === 'cpanelid')).toEqual([]);
    // A corrupt LinkDB is an error every time, never a remembered answer.
    seed(ctx, `${LOGIN}/cpanelid.db`, '{"user":', 0o600);
    await expect(authn.listLinkedAccounts()).rejects.toMatchObject({ code: 'E_CORRUPT_FILE' });
    await expect(authn.listLinkedAccounts()).rejects.toMatchObject({ code: 'E_CORRUPT_FILE' });
  });
});
