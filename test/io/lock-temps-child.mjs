// Child process for the lock-temp exit test: lock twice back to back, report how many idle temps
// the directory holds, then exit from inside the same event-loop turn (the exit hook must sweep).
// Usage: node lock-temps-child.mjs <root> <cPanel path of the data file>
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Disk, withDotLock } from '../../dist/src/io/index.js';

const [root, file] = process.argv.slice(2);
const disk = new Disk({ root });
await withDotLock(disk, file, { dataMode: 0o600 }, async () => undefined);
await withDotLock(disk, file, { dataMode: 0o600 }, async () => undefined);
process.stdout.write(`idle ${readdirSync(join(root, dirname(file))).length}\n`);
process.exit(0);
