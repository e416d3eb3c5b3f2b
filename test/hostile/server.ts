/**
 * The sample server the reliability suites share: the users fixture (bob, alice and acmewidgets are
 * cPanel accounts on jupiter; carol is a system user), jupiter's icon sizes, service files enabling
 * cpanelid and google, and mail accounts info@bob.example and sales@alice.example. Plus a
 * consistency checker that knows every managed file's format and exact mode: the independent
 * oracle of the crash and concurrency suites.
 */
import { join } from 'node:path';
import { Linkstore } from '../../src/services.js';
import { seed, type DiskCtx } from '../helpers/disks.js';
import { installShippedModules } from '../authn/provider-modules.js';
import { seedServer as seedAuthnServer } from '../authn/setup.js';

export const NOW_MS = 1_700_000_000_500;

export const JUPITER_CONFIG = JSON.stringify({ icon: { group: { height: 32, width: 32 }, feature: { height: 48, width: 48 } }, name: 'jupiter' });

export function seedServer(ctx: DiskCtx): void {
  seedAuthnServer(ctx);
  seed(ctx, '/usr/local/cpanel/base/frontend/jupiter/config.json', JUPITER_CONFIG);
  seed(ctx, '/etc/hostname', 'host.example.com\n');
  installShippedModules(ctx);
  fixDirModes(ctx);
}

/** Directories the seeding made through the umask get cPanel's modes, as on a real server. */
export function fixDirModes(ctx: DiskCtx): void {
  for (const d of [
    '/var/cpanel/authn',
    '/var/cpanel/authn/openid_connect',
    '/var/cpanel/authn/client_config',
    '/var/cpanel/authn/client_config/openid_connect',
  ]) {
    try {
      ctx.fs.chmodSync(join(ctx.root, d), 0o711);
    } catch {
      // absent
    }
  }
}

export function makeLinkstore(ctx: DiskCtx, disk = ctx.disk): Linkstore {
  return new Linkstore({ disk, hostname: 'host.example.com', now: () => NOW_MS, users: { checkIntervalMs: 0 } });
}

/** A 1×1 PNG. */
export const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
