/**
 * The sample server tree in test/fixtures/users (passwd, group, aliases, dbowners, userdomains,
 * cpanel.config, cpuser files with RS=jupiter), seeded onto a test disk. Other suites reuse it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seed, type DiskCtx } from '../helpers/disks.js';

export const USERS_FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'users');

/** Every fixture file as cPanel path → bytes. */
export function usersFixtureFiles(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full, `${rel}/${name}`);
      else out.set(`${rel}/${name}`, readFileSync(full));
    }
  };
  walk(USERS_FIXTURE_DIR, '');
  return out;
}

/** Copy the fixture tree under ctx's root. */
export function seedUsersFixture(ctx: DiskCtx): void {
  for (const [p, bytes] of usersFixtureFiles()) seed(ctx, p, bytes);
}
