/**
 * The sandbox server for the apply and serve suites: test/fixtures/users then test/fixtures/server
 * (jupiter theme, Google enabled for all three services, bob's mail account, /etc/hostname),
 * seeded onto a test disk, and the example state.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LinkstoreState } from '../../src/apply/index.js';
import { Linkstore } from '../../src/services.js';
import { seed, type DiskCtx } from '../helpers/disks.js';

export const TOP = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = ['users', 'server'].map((f) => join(TOP, 'test/fixtures', f));
export const EXAMPLE_STATE_YAML = join(TOP, 'docs/ansible/linkstore-state.yaml');

export function fixtureFiles(dir: string, rel = ''): Array<[string, Buffer, number]> {
  const out: Array<[string, Buffer, number]> = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const full = join(dir, rel, name);
    const st = statSync(full);
    if (st.isDirectory()) out.push(...fixtureFiles(dir, `${rel}/${name}`));
    else out.push([`${rel}/${name}`, readFileSync(full), st.mode & 0o777]);
  }
  return out;
}

export function seedSandbox(ctx: DiskCtx): void {
  for (const dir of FIXTURES) for (const [p, bytes, mode] of fixtureFiles(dir)) seed(ctx, p, bytes, mode);
}

export function linkstoreOn(ctx: DiskCtx, disk = ctx.disk): Linkstore {
  return new Linkstore({ disk, users: { checkIntervalMs: 0 } });
}

/** The example of issue 14, as the state schema takes it. */
export function exampleState(): LinkstoreState {
  return {
    providers: {
      google: {
        enabled: ['cpaneld'],
        client: { client_id: 'abc.apps.googleusercontent.com', client_secret: 's3cr3t' },
        display: { cpaneld: { color: '336699', label: 'Log in with Google' } },
      },
    },
    accounts: {
      bob: {
        links: {
          WHMCS_billing: {
            url: 'https://billing.example.com/cp',
            label: 'WHMCS Billing',
            implements: 'billing',
            group_id: 'WHMCS',
            order: '5',
            token: 'subway',
          },
        },
        groups: { WHMCS: { label: 'WHMCS Control', order: '1' } },
        authn_links: [{ provider: 'google', subject: '109876543210', preferred_username: 'bob@gmail.com' }],
      },
    },
  };
}
