/** What the symlink-race suites compare outside the root: every entry, as it is on disk. */
import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { join } from 'node:path';

/** Every entry below `dir`: type, mode, size, inode, mtime and a hash of the content. */
export function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const n of nodeFs.readdirSync(d).sort()) {
      const p = join(d, n);
      const st = nodeFs.lstatSync(p);
      const content = st.isFile() ? createHash('sha256').update(nodeFs.readFileSync(p)).digest('hex') : st.isSymbolicLink() ? nodeFs.readlinkSync(p) : '';
      out.set(`${rel}/${n}`, `${st.mode.toString(8)} ${st.size} ${st.ino} ${st.mtimeMs} ${content}`);
      if (st.isDirectory()) walk(p, `${rel}/${n}`);
    }
  };
  walk(dir, '');
  return out;
}
