/**
 * A sample server for the authn suites: the users fixture (bob, alice, acmewidgets are cPanel
 * accounts; carol is a system user without a cPanel account), service files
 * enabling cpanelid and google, and mail accounts info@bob.example and sales@alice.example.
 */
import { AuthnStore, type AuthnStoreOptions } from '../../src/authn/index.js';
import { Users, userLookup } from '../../src/users/index.js';
import { seed, type DiskCtx } from '../helpers/disks.js';
import { seedUsersFixture } from '../users/fixture-tree.js';
import type { LinkstoreError } from '../../src/io/errors.js';
import { expect } from 'vitest';

export const PKG = 'Cpanel::Security::Authn::Provider::';
export const NOW_MS = 1_700_000_000_500;
export const NOW = 1_700_000_000;

export function seedServer(
  ctx: DiskCtx,
  enabled: Partial<Record<'cpaneld' | 'webmaild' | 'whostmgrd', string[]>> = { cpaneld: ['cpanelid', 'google'], whostmgrd: ['google'] },
): void {
  seedUsersFixture(ctx);
  const names: Record<string, string> = { cpanelid: 'cPanelID', google: 'Google', facebook: 'Facebook', whmcs: 'WHMCS' };
  for (const [service, ids] of Object.entries(enabled)) {
    const obj = Object.fromEntries(ids.map((id) => [id, PKG + (names[id] ?? id)]));
    seed(ctx, `/var/cpanel/authn/openid_connect/${service}`, JSON.stringify(obj), 0o644);
  }
  seed(ctx, '/home/bob/etc/bob.example/passwd', 'info:x:1001:1001::/home/bob/mail/bob.example/info:/usr/local/cpanel/bin/noshell\n', 0o640);
  seed(ctx, '/home/alice/etc/alice.example/passwd', 'sales:x:1002:1002::/home/alice/mail/alice.example/sales:/usr/local/cpanel/bin/noshell\n', 0o640);
  // cPanel's rule: an email account exists when its mail directory does (the passwd lines above are kept as cPanel keeps them).
  seed(ctx, '/home/bob/mail/bob.example/info/cur/.keep', '', 0o600);
  seed(ctx, '/home/alice/mail/alice.example/sales/cur/.keep', '', 0o600);
}

export function makeStore(ctx: DiskCtx, options: Partial<AuthnStoreOptions> = {}): { store: AuthnStore; users: Users } {
  const users = new Users(ctx.disk, { checkIntervalMs: 0 });
  const store = new AuthnStore({ disk: ctx.disk, users: userLookup(users), now: () => NOW_MS, hostname: 'host.example.com', ...options });
  return { store, users };
}

export async function rejectsWith(p: Promise<unknown>, code: string, message?: string): Promise<LinkstoreError> {
  try {
    await p;
  } catch (e) {
    const err = e as LinkstoreError;
    expect(err.code, err.message).toBe(code);
    if (message !== undefined) expect(err.message).toBe(message);
    return err;
  }
  throw new Error(`expected a rejection with ${code}`);
}

export const USERS = '/var/cpanel/authn/links/users';
export const LOGIN = '/var/cpanel/authn/links/openid_connect/login';
