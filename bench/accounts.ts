/**
 * A temp server tree of `n` cPanel accounts u0..u{n-1} (uid and gid 2000+i, jupiter, domain
 * u<i>.example) with google enabled in every service: the base the transfer and doctor
 * benchmarks fill with links.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCompact } from '../src/io/json-codec.js';

export const FIRST_ACCOUNT_ID = 2000;
const PKG = 'Cpanel::Security::Authn::Provider::';

/** The new tree's root (under the temp dir, named after `prefix`). */
export function accountsServer(prefix: string, n: number): string {
  const root = fs.mkdtempSync(join(tmpdir(), `linkstore-bench-${prefix}-`));
  const w = (p: string, c: string) => {
    fs.mkdirSync(join(root, p, '..'), { recursive: true });
    fs.writeFileSync(join(root, p), c);
  };
  const passwd = ['root:x:0:0:root:/root:/bin/bash'];
  const group = ['root:x:0:'];
  const domains: string[] = [];
  fs.mkdirSync(join(root, 'var/cpanel/users'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const id = FIRST_ACCOUNT_ID + i;
    passwd.push(`u${i}:x:${id}:${id}::/home/u${i}:/bin/bash`);
    group.push(`u${i}:x:${id}:`);
    domains.push(`u${i}.example: u${i}`);
    fs.writeFileSync(join(root, `var/cpanel/users/u${i}`), `DNS=u${i}.example\nOWNER=root\nRS=jupiter\n`);
  }
  w('/etc/passwd', passwd.join('\n') + '\n');
  w('/etc/group', group.join('\n') + '\n');
  w('/etc/userdomains', domains.join('\n') + '\n');
  w('/usr/local/cpanel/base/frontend/jupiter/config.json', '{"icon":{"feature":{"width":48,"height":48},"group":{"width":32,"height":32}}}');
  for (const s of ['cpaneld', 'webmaild', 'whostmgrd']) w(`/var/cpanel/authn/openid_connect/${s}`, encodeCompact({ google: `${PKG}Google` }));
  return root;
}
