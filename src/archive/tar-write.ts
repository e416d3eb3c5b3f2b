/**
 * Writing tar members with node-tar's Header and Pax encoders, and replacing our two sections of
 * an existing tarball while every other member is copied through as the very bytes it was
 * (header blocks, extended headers and data). The copy is a stream: it splits the decompressed
 * archive at member boundaries (each header decoded by node-tar's `Header`, extended headers by
 * its `Pax`) and holds only one header group in memory at a time.
 */
import { createHash } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { LinkstoreError } from '../io/errors.js';
import type { HostReader } from '../io/outside.js';
import { normalizeMemberPath } from './tar-read.js';

const BLOCK = 512;
/** Extended headers larger than this are refused (node-tar's default meta limit is 1 MiB as well). */
const MAX_META_BYTES = 1024 * 1024;

export interface NewMember {
  /** Path inside the archive, without a trailing `/`. */
  path: string;
  kind: 'file' | 'dir';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  content?: Uint8Array;
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** The blocks of one member: an extended (pax) header when a field does not fit, the header, the data. */
export async function encodeMember(m: NewMember): Promise<Buffer[]> {
  const { Header, Pax } = await import('tar');
  const path = m.kind === 'dir' ? `${m.path}/` : m.path;
  const content = m.kind === 'file' ? Buffer.from(m.content ?? new Uint8Array()) : Buffer.alloc(0);
  const mtime = new Date(Math.floor(m.mtimeMs / 1000) * 1000);
  const fields = { path, mode: m.mode & 0o7777, uid: m.uid, gid: m.gid, size: content.length, mtime };
  const header = new Header({ ...fields, type: m.kind === 'dir' ? 'Directory' : 'File', uname: '', gname: '' });
  const out: Buffer[] = [];
  if (header.encode()) out.push(new Pax(fields).encode());
  out.push(header.block as Buffer);
  if (content.length) out.push(content, padding(content.length));
  return out;
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

type HeaderData = Record<string, unknown>;

/** Buffered reader over a chunk stream: take exact byte counts, or pass bytes through. */
class Blocks {
  #it: AsyncIterator<Buffer>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;
  constructor(src: AsyncIterable<Buffer>) {
    this.#it = src[Symbol.asyncIterator]();
  }
  async #fill(n: number): Promise<boolean> {
    while (this.#buf.length < n && !this.#done) {
      const r = await this.#it.next();
      if (r.done) this.#done = true;
      else this.#buf = this.#buf.length ? Buffer.concat([this.#buf, r.value]) : r.value;
    }
    return this.#buf.length >= n;
  }
  /** Exactly n bytes, or undefined at the end of the stream. */
  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.#fill(n))) return undefined;
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
  /** The next n bytes in pieces, without holding them all. */
  async *pass(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.#fill(1))) throw truncated();
      const piece = this.#buf.subarray(0, Math.min(left, this.#buf.length));
      this.#buf = this.#buf.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
}

const truncated = () => new LinkstoreError('E_CORRUPT_FILE', 'The archive ends in the middle of a member.');

const META_TYPES = new Set(['ExtendedHeader', 'OldExtendedHeader', 'NextFileHasLongPath', 'NextFileHasLongLinkpath']);

/**
 * The raw tar stream `src` with every member for which `drop(path)` is true left out, the
 * `additions` (already encoded) appended, and a fresh end-of-archive marker. Global extended
 * headers are always kept (they apply to the members after them).
 */
export async function* spliceTar(src: AsyncIterable<Buffer>, drop: (path: string) => boolean, additions: readonly Buffer[]): AsyncGenerator<Buffer> {
  const { Header, Pax } = await import('tar');
  const blocks = new Blocks(src);
  let ex: HeaderData | undefined;
  let gex: HeaderData | undefined;
  let group: Buffer[] = [];
  for (;;) {
    const block = await blocks.take(BLOCK);
    if (block === undefined || block.every((b) => b === 0)) break;
    const header = new Header(Buffer.from(block), 0, ex, gex);
    if (!header.cksumValid) throw new LinkstoreError('E_CORRUPT_FILE', 'The archive has a member header with a bad checksum.');
    const size = header.size ?? 0;
    const dataLen = size + padding(size).length;
    const type = header.type as string;
    if (META_TYPES.has(type) || type === 'GlobalExtendedHeader') {
      if (size > MAX_META_BYTES) throw new LinkstoreError('E_CORRUPT_FILE', 'The archive has an oversized extended header.');
      const data = await blocks.take(dataLen);
      if (data === undefined) throw truncated();
      const body = data.subarray(0, size).toString('utf8');
      if (type === 'GlobalExtendedHeader') {
        gex = Pax.parse(body, gex, true) as unknown as HeaderData;
        yield Buffer.from(block);
        yield Buffer.from(data);
        continue;
      }
      if (type === 'NextFileHasLongPath') ex = { ...ex, path: body.replace(/\0.*$/s, '') };
      else if (type === 'NextFileHasLongLinkpath') ex = { ...ex, linkpath: body.replace(/\0.*$/s, '') };
      else ex = Pax.parse(body, ex, false) as unknown as HeaderData;
      group.push(Buffer.from(block), Buffer.from(data));
      continue;
    }
    const path = normalizeMemberPath(header.path ?? '');
    const keep = !drop(path);
    if (keep) {
      for (const g of group) yield g;
      yield Buffer.from(block);
    }
    for await (const piece of blocks.pass(dataLen)) if (keep) yield Buffer.from(piece);
    group = [];
    ex = undefined;
  }
  for (const a of additions) yield a;
  yield END_OF_ARCHIVE;
}

/**
 * gzip a chunk stream. The output is a function of the input alone: zlib writes a zero mtime and
 * no file name into the gzip header, and its deflate does not depend on how the input is split,
 * so the same archive gives the same bytes and a re-export can see that nothing changed.
 */
export async function* gzipStream(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const gz = createGzip();
  const feed = (async () => {
    for await (const c of src) if (!gz.write(c)) await new Promise((r) => gz.once('drain', r));
    gz.end();
  })();
  feed.catch((e: unknown) => gz.destroy(e instanceof Error ? e : new Error(String(e))));
  for await (const c of gz) yield c as Buffer;
  await feed;
}

/** A stream's bytes as they pass: counted, hashed, and compared with the file they would replace. */
export class StreamTally {
  bytes = 0;
  readonly #hash = createHash('sha256');
  readonly #old: HostReader | undefined;
  #same: boolean;
  #digest: string | undefined;
  constructor(old?: HostReader) {
    this.#old = old;
    this.#same = old !== undefined;
  }
  /** Whether the stream, once it has ended, was exactly the old file's bytes. */
  get same(): boolean {
    return this.#same && this.bytes === this.#old?.size;
  }
  sha256(): string {
    return (this.#digest ??= this.#hash.digest('hex'));
  }
  async *count(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const c of src) {
      this.#hash.update(c);
      if (this.#same) this.#same = await this.#matches(c);
      this.bytes += c.length;
      yield c;
    }
  }
  async #matches(c: Buffer): Promise<boolean> {
    const old = this.#old;
    if (old === undefined || this.bytes + c.length > old.size) return false;
    const buf = Buffer.allocUnsafe(c.length);
    for (let got = 0; got < c.length;) {
      const n = await old.read(buf.subarray(got), this.bytes + got);
      if (n <= 0) return false;
      got += n;
    }
    return buf.equals(c);
  }
}
