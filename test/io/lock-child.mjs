// Child process for lock tests. Usage:
//   node lock-child.mjs count <root> <iterations>   increment /var/cpanel/authn/counter under the dot-lock
//   node lock-child.mjs hold <root>                  take the lock, print "held", then hang
import { Disk, withDotLock, writeFileAtomic } from '../../dist/src/io/index.js';

const [mode, root, n] = process.argv.slice(2);
const disk = new Disk({ root, lock: { timeoutMs: 30_000, pollMs: 10 } });
const FILE = '/var/cpanel/authn/counter';

if (mode === 'count') {
  for (let i = 0; i < Number(n); i++) {
    await withDotLock(disk, FILE, { dataMode: 0o600 }, async (lock) => {
      const cur = Number((await disk.readFile(FILE))?.toString() ?? '0');
      await writeFileAtomic(disk, FILE, Buffer.from(String(cur + 1)), { mode: 0o600, beforePublish: lock.verify });
    });
  }
} else if (mode === 'hold') {
  await withDotLock(disk, FILE, { dataMode: 0o600 }, async () => {
    process.stdout.write('held\n');
    // Hang while holding the lock (a pending promise alone would let the process exit).
    await new Promise(() => setInterval(() => undefined, 1000));
  });
}
