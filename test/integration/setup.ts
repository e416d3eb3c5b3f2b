/**
 * A small server tree for the integration suites: three cPanel accounts (alice and carol on
 * jupiter, bob on a theme without config.json), a system user without a cpuser file, and
 * jupiter's icon sizes. Built through the backend so it works on memfs and tmpdir alike.
 */
import { expect } from 'vitest';
import { Users, userLookup } from '../../src/users/index.js';
import { IntegrationStore } from '../../src/integration/index.js';
import { LinkstoreError, type ErrorCode } from '../../src/io/errors.js';
import { seed, type DiskCtx } from '../helpers/disks.js';

export const GID = { alice: 1001, bob: 1002, carol: 1003, sysuser: 1004 } as const;

export function seedServer(ctx: DiskCtx): void {
  seed(
    ctx,
    '/etc/passwd',
    [
      'root:x:0:0:root:/root:/bin/bash',
      'alice:x:1001:1001::/home/alice:/bin/bash',
      'bob:x:1002:1002::/home/bob:/bin/bash',
      'carol:x:1003:1003::/home/carol:/bin/bash',
      'sysuser:x:1004:1004::/home/sysuser:/sbin/nologin',
      '',
    ].join('\n'),
  );
  seed(ctx, '/etc/group', 'root:x:0:\nalice:x:1001:\nbob:x:1002:\ncarol:x:1003:\nsysuser:x:1004:\n');
  seed(
    ctx,
    '/var/cpanel/users/alice',
    '# cPanel -- If you edit this file directly you must run /usr/local/cpanel/scripts/updateuserdomains\nDNS=alice.example\nRS=jupiter\n',
  );
  seed(ctx, '/var/cpanel/users/bob', 'DNS=bob.example\nRS=oldtheme\n');
  seed(ctx, '/var/cpanel/users/carol', 'DNS=carol.example\nRS=jupiter\n');
  seed(
    ctx,
    '/usr/local/cpanel/base/frontend/jupiter/config.json',
    JSON.stringify({ icon: { group: { height: 32, width: 32 }, feature: { height: 48, width: 48 } }, name: 'jupiter' }),
  );
}

export function makeStore(ctx: DiskCtx, disk = ctx.disk, users = new Users(disk, { checkIntervalMs: 0 })): IntegrationStore {
  return new IntegrationStore({ disk, users: userLookup(users), lock: { timeoutMs: 20_000, pollMs: 10 }, themeTtlMs: 0 });
}

/** Expect `p` to reject with a LinkstoreError of `code` and, when given, exactly `message`. */
export async function expectError(p: Promise<unknown>, code: ErrorCode, message?: string): Promise<LinkstoreError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeInstanceOf(LinkstoreError);
  const le = err as LinkstoreError;
  expect({ code: le.code, message: message === undefined ? undefined : le.message }).toEqual({ code, message });
  return le;
}

/** A minimal valid PNG (1×1) as base64, for callers that supply their own image. */
export const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
