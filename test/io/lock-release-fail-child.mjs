// Child process for the failed-release exit test: take a lock whose release fails (the unlink of the
// lock and of its temp each fail once, as in a directory made immutable), then exit from inside the
// same event-loop turn, before any background retry: the exit hooks must remove both. The last exit
// listener (registered after the library's) prints what the lock directory then holds.
// Usage: node lock-release-fail-child.mjs memfs|tmpdir <root>
import * as nodeFs from 'node:fs';
import { Disk, withDotLock } from '../../dist/src/io/index.js';
import { createMemfs } from '../../dist/src/testing/index.js';

const [backend, root] = process.argv.slice(2);
const DIR = '/var/cpanel/authn';
const base = backend === 'memfs' ? createMemfs().fs : nodeFs;
base.mkdirSync(root + DIR, { recursive: true });
const failOnce = [/\/d\.lock$/, /\/d\.lock-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/];
const fs = new Proxy(base, {
  get(target, prop, recv) {
    const v = Reflect.get(target, prop, recv);
    if (typeof v !== 'function') return v;
    if (prop !== 'unlinkSync') return v.bind(target);
    return (p, ...rest) => {
      const i = failOnce.findIndex((re) => re.test(String(p)));
      if (i !== -1) {
        failOnce.splice(i, 1);
        throw Object.assign(new Error(`EPERM: injected, unlink '${p}'`), { code: 'EPERM' });
      }
      return v.call(target, p, ...rest);
    };
  },
});
const disk = new Disk({ fs, root });
const warnings = [];
await withDotLock(disk, `${DIR}/d`, { dataMode: 0o600, reuseTemps: true, warnings }, async () => undefined);
process.once('exit', () => {
  nodeFs.writeSync(1, `${JSON.stringify({ failed: failOnce.length === 0, warnings: warnings.length, left: base.readdirSync(root + DIR) })}\n`);
});
process.exit(0);
