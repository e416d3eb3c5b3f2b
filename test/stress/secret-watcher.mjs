// Samples the managed trees of <root> continuously, temp files included, and prints a line for
// every file that holds a secret ("SECRET-") while readable by group or others. Each file is read
// through one descriptor, so the mode and the bytes are of the same inode. Prints "scans N" and
// exits on SIGTERM.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';

const root = process.argv[2];
let scans = 0;
let files = 0;
let stop = false;
process.on('SIGTERM', () => (stop = true));
const bases = ['var/cpanel/integration', 'var/cpanel/authn'].map((b) => join(root, b));

function scan(dir) {
  let names;
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const d of names) {
    const p = join(dir, d.name);
    if (d.isDirectory()) scan(p);
    else if (d.isFile()) {
      let fd;
      try {
        fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      } catch {
        continue;
      }
      try {
        const st = fs.fstatSync(fd);
        const bytes = fs.readFileSync(fd);
        files++;
        if (st.mode & 0o044 && bytes.includes('SECRET-')) process.stdout.write(`LEAK ${p} ${(st.mode & 0o777).toString(8)}\n`);
      } catch {
        // vanished
      } finally {
        fs.closeSync(fd);
      }
    }
  }
}

while (!stop) {
  for (const b of bases) scan(b);
  scans++;
  await tick();
}
process.stdout.write(`scans ${scans} files ${files}\n`);
