/**
 * A sample server for the doctor, transfer and CLI suites: the users fixture (bob, alice and
 * acmewidgets are cPanel accounts on jupiter; carol is a system user only), google and cpanelid
 * enabled, mail accounts info@bob.example and sales@alice.example, jupiter's icon sizes; and a
 * populated set of integration links/groups and authn links written through the library.
 */
import * as nodeFs from 'node:fs';
import { seed, type DiskCtx } from '../helpers/disks.js';
import { seedServer as seedAuthnServer, NOW_MS } from '../authn/setup.js';
import { Linkstore } from '../../src/services.js';
import type { Disk } from '../../src/io/disk.js';

export const INT = '/var/cpanel/integration';
export const L = `${INT}/links`;
export const D = `${INT}/dynamicui`;
export const AUTHN = '/var/cpanel/authn';
export const USERS = `${AUTHN}/links/users`;
export const LOGIN = `${AUTHN}/links/openid_connect/login`;
export const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

export function seedServer(ctx: Pick<DiskCtx, 'fs' | 'root'>): void {
  seedAuthnServer(ctx as DiskCtx);
  seed(
    ctx as DiskCtx,
    '/usr/local/cpanel/base/frontend/jupiter/config.json',
    JSON.stringify({ icon: { group: { height: 32, width: 32 }, feature: { height: 48, width: 48 } }, name: 'jupiter' }),
  );
  // The seeded part of the authn tree as cPanel's installer leaves it: 0711 directories, root-owned.
  const h = (p: string) => `${ctx.root}${p}`;
  for (const dir of [AUTHN, `${AUTHN}/openid_connect`]) ctx.fs.chmodSync(h(dir), 0o711);
  // Only root can hand files to root (memfs enforces this against the real uid too).
  if ((process.getuid?.() ?? 0) === 0) {
    for (const p of [AUTHN, `${AUTHN}/openid_connect`, ...['cpaneld', 'whostmgrd'].map((s) => `${AUTHN}/openid_connect/${s}`)]) ctx.fs.chownSync(h(p), 0, 0);
  }
}

/** A seeded server on a real directory (for the CLI suites, which spawn the binary). */
export function seedHostServer(root: string): void {
  seedServer({ fs: nodeFs, root });
}

export function makeLinkstore(disk: Disk): Linkstore {
  return new Linkstore({ disk, hostname: 'host.example.com', now: () => NOW_MS, users: { checkIntervalMs: 0 } });
}

/** Links, groups and authn links for bob, alice and their mail users. */
export async function populate(ls: Linkstore): Promise<void> {
  const ist = await ls.integration();
  await ist.createGroup({ user: 'bob', group_id: 'tools', label: 'Tools', order: '3' });
  await ist.createLink({ user: 'bob', app: 'wiki', url: 'https://wiki.example/', token: 's3cret', group_id: 'tools', label: 'Wiki' });
  await ist.createLink({ user: 'bob', app: 'chat', autologin_token_url: 'https://chat.example/auto', base64_png_image: TINY_PNG, hide: '1' });
  await ist.createLink({ user: 'alice', app: 'crm', url: 'https://crm.example/é', order: '7' });
  const authn = await ls.authn();
  await authn.linkAccount({
    user: 'bob',
    provider: 'google',
    subject: 'g-bob',
    userInfo: { preferred_username: 'bob@gmail.example', link_time: 1_600_000_000 },
  });
  await authn.linkAccount({ user: 'bob', provider: 'cpanelid', subject: 'c-bob', userInfo: { link_time: 1_600_000_100, email: 'bob@bob.example' } });
  await authn.linkAccount({ user: 'info@bob.example', provider: 'google', subject: 'g-info' });
  await authn.linkAccount({ user: 'alice', provider: 'google', subject: 'g-alice', userInfo: { preferred_username: 'Alice' } });
  await authn.linkAccount({ user: 'root', provider: 'google', subject: 'g-root' });
}

/** Set a file's mtime an hour back (so doctor treats debris as abandoned, not in progress). */
export function age(ctx: Pick<DiskCtx, 'fs' | 'root'>, cpanelPath: string, seconds = 3600): void {
  const t = Date.now() / 1000 - seconds;
  ctx.fs.utimesSync(`${ctx.root}${cpanelPath}`, t, t);
}
