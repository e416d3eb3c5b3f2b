// Library child process for the authn lock tests (imports the build in dist/).
// Usage: node authn-child.mjs <root> <user> <provider> <count> <prefix>
import { AuthnStore } from '../../dist/src/authn/index.js';
import { Disk } from '../../dist/src/io/index.js';
import { Users, userLookup } from '../../dist/src/users/index.js';

const [root, user, provider, count, prefix] = process.argv.slice(2);
const disk = new Disk({ root, lock: { timeoutMs: 30_000, pollMs: 10 } });
const store = new AuthnStore({ disk, users: userLookup(new Users(disk, { checkIntervalMs: 0 })) });
for (let i = 1; i <= Number(count); i++) {
  await store.linkAccount({ user, provider, subject: `${prefix}-${i}`, userInfo: { preferred_username: `${prefix}-${i}` } });
}
