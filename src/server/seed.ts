/**
 * `linkstore serve --memfs [--seed FIXTURE]`: an in-memory server. FIXTURE is a directory laid
 * out as a root prefix (its files are copied in, modes kept) or a `.json` file of
 * `createTestServer` options (`{ "users": ["bob"], "providers": ["google"] }`). Without a seed,
 * the server has root only. Real files are read through the library's fs port.
 */
import { posix as path } from 'node:path';
import { LinkstoreError } from '../io/errors.js';
import { nodeFsPort } from '../io/fs-port.js';
import type { Linkstore } from '../services.js';

const MAX_SEED_FILE = 16 * 1024 * 1024;

async function seedFiles(dir: string, rel = ''): Promise<Array<{ path: string; content: Buffer; mode: number }>> {
  const out: Array<{ path: string; content: Buffer; mode: number }> = [];
  for (const name of (await nodeFsPort.promises.readdir(path.join(dir, rel))).sort()) {
    const host = path.join(dir, rel, name);
    const st = await nodeFsPort.promises.lstat(host);
    if (st.isDirectory()) out.push(...(await seedFiles(dir, path.join(rel, name))));
    else if (st.isFile() && st.size <= MAX_SEED_FILE) {
      out.push({ path: '/' + path.join(rel, name), content: Buffer.from(await nodeFsPort.promises.readFile(host)), mode: st.mode & 0o7777 });
    }
  }
  return out;
}

export async function memfsLinkstore(seed?: string): Promise<Linkstore> {
  const { createTestServer } = await import('../testing/index.js');
  if (seed === undefined) return (await createTestServer()).linkstore;
  let st;
  try {
    st = await nodeFsPort.promises.stat(seed);
  } catch (e) {
    throw new LinkstoreError('E_NOT_FOUND', `The seed “${seed}” does not exist.`, { path: seed, cause: e });
  }
  if (st.isFile()) {
    let options: unknown;
    try {
      options = JSON.parse(Buffer.from(await nodeFsPort.promises.readFile(seed)).toString('utf8'));
    } catch (e) {
      throw new LinkstoreError('E_INVALID_PARAM', `The seed file “${seed}” is not JSON.`, { path: seed, cause: e });
    }
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new LinkstoreError('E_INVALID_PARAM', `The seed file “${seed}” must hold a JSON object of createTestServer options.`, { path: seed });
    }
    return (await createTestServer(options)).linkstore;
  }
  const server = await createTestServer();
  for (const f of await seedFiles(seed)) server.write(f.path, f.content, f.mode);
  return server.linkstore;
}
