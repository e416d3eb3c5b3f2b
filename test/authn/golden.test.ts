import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeOnDisks, hostPath, seed } from '../helpers/disks.js';
import { LOGIN, USERS, makeStore, seedServer } from './setup.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'authn');
const fixture = (p: string) => readFileSync(join(FIX, p));

describeOnDisks('authn golden files', (ctx) => {
  it('reads cPanel-written stores and writes byte-exact golden files', async () => {
    seedServer(ctx);
    seed(ctx, `${USERS}/bob/bob.db`, fixture('cpanel-written/bob.db'), 0o640);
    seed(ctx, `${LOGIN}/cpanelid.db`, fixture('cpanel-written/cpanelid.db'), 0o600);
    const { store } = makeStore(ctx);
    expect(await store.listLinks({ user: 'bob' })).toEqual([
      {
        provider_protocol: 'openid_connect',
        provider_id: 'cpanelid',
        subject_unique_identifier: '123456789012345678901',
        link_time: 1443124604,
        preferred_username: 'bob@example.com',
      },
      {
        provider_protocol: 'openid_connect',
        provider_id: 'google',
        subject_unique_identifier: '1098',
        link_time: 1443124700,
        preferred_username: 'bob@gmail.com',
      },
    ]);
    await store.linkAccount({ user: 'bob', provider: 'google', subject: '2000', userInfo: { preferred_username: 'bob2' } });
    await store.linkAccount({
      user: 'info@bob.example',
      provider: 'cpanelid',
      subject: '123456789012345678901',
      userInfo: { preferred_username: 'bob@example.com' },
    });
    await store.unlinkAccount({ user: 'bob', provider: 'google', subject: '1098' });
    const files: Array<[string, string]> = [
      [`${USERS}/bob/bob.db`, 'golden/bob.db'],
      [`${USERS}/bob/info@bob.example.db`, 'golden/info@bob.example.db'],
      [`${LOGIN}/google.db`, 'golden/google.db'],
      [`${LOGIN}/cpanelid.db`, 'golden/cpanelid.db'],
    ];
    for (const [onDisk, golden] of files) {
      expect(ctx.fs.readFileSync(hostPath(ctx, onDisk)).equals(fixture(golden)), golden).toBe(true);
    }
  });
});
