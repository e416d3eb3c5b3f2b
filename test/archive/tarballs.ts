/**
 * Real tar archives for the archive suites, made with node-tar: members encoded one by one with
 * its `Header`/`Pax` (so a suite can build hostile members — links, devices, absolute paths,
 * `..` — that its `create` would refuse or rewrite), and listings read back with its `Parser`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header, Parser, Pax, type ReadEntry } from 'tar';

export interface Craft {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  content?: string | Buffer;
  linkpath?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const MTIME = new Date(1_700_000_000_000);

/** One member's blocks (pax header when needed, header, data, padding). */
export function member(m: Craft): Buffer {
  const type = m.type ?? 'File';
  const content = type === 'File' ? Buffer.from(m.content ?? '') : Buffer.alloc(0);
  const fields = { path: m.path, size: content.length, mode: m.mode ?? (type === 'Directory' ? 0o700 : 0o644), uid: m.uid ?? 0, gid: m.gid ?? 0, mtime: MTIME };
  const h = new Header({ ...fields, type, linkpath: m.linkpath, uname: 'root', gname: 'root' });
  const out: Buffer[] = [];
  if (h.encode()) out.push(new Pax({ ...fields, linkpath: m.linkpath }).encode());
  out.push(h.block as Buffer, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  return Buffer.concat(out);
}

export const EOF = Buffer.alloc(1024);

export function tarball(members: readonly (Craft | Buffer)[], gzip = true): Buffer {
  const raw = Buffer.concat([...members.map((m) => (Buffer.isBuffer(m) ? m : member(m))), EOF]);
  return gzip ? gzipSync(raw) : raw;
}

export interface Listed {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  content: string;
}

/** Every member of a (gzipped) tarball, read with node-tar's Parser. */
export async function list(bytes: Buffer): Promise<Listed[]> {
  const out: Listed[] = [];
  const p = new Parser();
  p.on('entry', (e: ReadEntry) => {
    const chunks: Buffer[] = [];
    e.on('data', (c: Buffer) => chunks.push(c));
    e.on('end', () => out.push({ path: e.path, type: e.type, mode: e.mode ?? 0, uid: e.uid ?? 0, gid: e.gid ?? 0, content: Buffer.concat(chunks).toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', () => resolve());
    p.end(bytes);
  });
  return out;
}

export const gunzip = (b: Buffer): Buffer => gunzipSync(b);
