/**
 * Reading `cpmove-USER.tar.gz` with node-tar's streaming Parser (docs/design.md): the file is
 * read in chunks through the fs port, gunzipped as a stream and parsed entry by entry, so a
 * backup of any size costs memory only for the members we keep (our two sections), each bounded.
 *
 * Every member is checked, not only ours: a link (hard or symbolic), a device, a FIFO, any
 * other non-file type, an absolute path or a `..` component refuses the whole archive, naming
 * the member, before the caller writes anything.
 */
import { createGunzip } from 'node:zlib';
import type { ReadEntry } from 'tar';
import type { FsPort } from '../io/fs-port.js';
import { LinkstoreError } from '../io/errors.js';
import { openHostFile, type HostReader } from '../io/outside.js';
import { DEFAULT_LIMITS } from './limits.js';

export { DEFAULT_LIMITS };

export interface ArchiveLimits {
  /** Largest member of our sections that is read into memory (default: the library's limit for data files, 8 MiB). */
  maxMemberBytes: number;
  /** Largest number of members kept from our sections (default 100,000). */
  maxKeptMembers: number;
  /**
   * Largest total of the kept members' bytes, all held in memory before any is parsed (default
   * 256 MiB; without it, 100,000 members of 8 MiB would be 800 GB).
   */
  maxKeptBytes?: number;
}

/** The total-bytes bound of `limits` (its default when the caller's limits predate it). */
export function keptBytesLimit(limits: ArchiveLimits): number {
  return limits.maxKeptBytes ?? (DEFAULT_LIMITS.maxKeptBytes as number);
}

/** The refusal of a member that takes the kept total over `limits` (see keptBytesLimit). */
export function refuseTotal(host: string, member: string, limits: ArchiveLimits): LinkstoreError {
  return refuse(host, member, `takes our sections over the limit of ${keptBytesLimit(limits)} bytes in all`);
}

export interface TarMember {
  /** Path inside the archive, normalized (no leading `./`, no trailing `/`). */
  path: string;
  kind: 'file' | 'dir';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** Content of kept files. */
  content?: Buffer;
}

export interface TarScan {
  /** The first path component of the first member (`cpmove-bob`), if any. */
  top?: string;
  /** The first member that is not inside a top directory `top` (see archiveTop), as written. */
  outside?: string;
  /** Every member, in order (content only for kept ones). */
  count: number;
  kept: TarMember[];
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** `./a//b/` → `a/b`. */
export function normalizeMemberPath(p: string): string {
  let s = p.replace(/\/+/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  return s.endsWith('/') ? s.slice(0, -1) : s;
}

/** Why a member makes the archive unsafe, or undefined when it is a plain file or directory. */
export function memberProblem(rawPath: string, type: string): string | undefined {
  if (rawPath.startsWith('/') || /^[A-Za-z]:/.test(rawPath) || rawPath.startsWith('\\')) return 'has an absolute path';
  if (rawPath.split(/[/\\]/).includes('..')) return 'climbs out with “..”';
  if (type === 'Link' || type === 'SymbolicLink') return 'is a link';
  if (type === 'CharacterDevice' || type === 'BlockDevice' || type === 'FIFO') return 'is a device or FIFO';
  if (!FILE_TYPES.has(type) && type !== 'Directory') return `has the unsupported type “${type}”`;
  return undefined;
}

export function refuse(label: string, member: string, problem: string): LinkstoreError {
  return new LinkstoreError('E_INVALID_PARAM', `Refusing the archive “${label}”: its member “${member}” ${problem}. Nothing was written.`, {
    path: label,
  });
}

/** First path components that cannot be an archive's top directory: the tar root, or a section's own. */
const NOT_A_TOP = new Set(['', '.', 'integration', 'authnlinks']);

/** Track the top directory (the first member's first component) and the first member outside it. */
function noteTop(scan: TarScan, path: string, raw: string, isDir: boolean): void {
  const first = path.split('/')[0] as string;
  scan.top ??= first;
  if (scan.outside !== undefined) return;
  const topLevelFile = path === first && !isDir;
  if (first !== scan.top || NOT_A_TOP.has(first) || topLevelFile) scan.outside = raw;
}

/**
 * The archive's top directory. pkgacct's archives hold everything inside `cpmove-USER/`, and a
 * restore takes the account and finds the sections there; an archive whose members sit at the
 * tar root (`tar -C cpmove-bob -czf … .`) or under several tops has no such directory and is
 * refused, naming the first member outside it, rather than read as holding no sections.
 */
export function archiveTop(host: string, scan: TarScan): string {
  if (scan.outside !== undefined || scan.top === undefined) {
    throw refuse(host, scan.outside ?? '', 'is not inside a top directory (an account archive holds everything inside one cpmove-USER/ directory)');
  }
  return scan.top;
}

/** The decompressed bytes of a tarball (gzip detected by its magic number), as a stream. */
export async function* tarBytes(reader: HostReader, chunkSize = 256 * 1024): AsyncGenerator<Buffer> {
  const first = Buffer.alloc(2);
  const n = await reader.read(first, 0);
  const gzip = n === 2 && first[0] === 0x1f && first[1] === 0x8b;
  async function* raw(): AsyncGenerator<Buffer> {
    for (let pos = 0; ;) {
      const buf = Buffer.allocUnsafe(chunkSize);
      const got = await reader.read(buf, pos);
      if (got <= 0) return;
      pos += got;
      yield buf.subarray(0, got);
    }
  }
  if (!gzip) {
    yield* raw();
    return;
  }
  const gunzip = createGunzip();
  const feed = (async () => {
    for await (const c of raw()) if (!gunzip.write(c)) await new Promise((r) => gunzip.once('drain', r));
    gunzip.end();
  })();
  feed.catch((e: unknown) => gunzip.destroy(e instanceof Error ? e : new Error(String(e))));
  for await (const c of gunzip) yield c as Buffer;
  await feed;
}

/**
 * Parse the whole archive, checking every member, and keep the files and directories for which
 * `keep(path)` is true (bounded by `limits`).
 */
export async function scanTarball(fs: FsPort, host: string, keep: (path: string) => boolean, limits: ArchiveLimits = DEFAULT_LIMITS): Promise<TarScan> {
  const { Parser } = await import('tar');
  const reader = await openHostFile(fs, host);
  const scan: TarScan = { count: 0, kept: [] };
  let keptBytes = 0;
  let failure: unknown;
  const parser = new Parser({ strict: true });
  const fail = (e: unknown) => {
    failure ??= e;
  };
  const onEntry = (e: ReadEntry, ignored: boolean) => {
    scan.count++;
    const problem = memberProblem(e.path, e.type) ?? (ignored ? 'could not be read' : undefined);
    if (problem !== undefined) {
      fail(refuse(host, e.path, problem));
      e.resume();
      return;
    }
    const path = normalizeMemberPath(e.path);
    noteTop(scan, path, e.path, e.type === 'Directory');
    if (ignored || !keep(path)) {
      e.resume();
      return;
    }
    if (scan.kept.length >= limits.maxKeptMembers) fail(refuse(host, e.path, `is beyond the limit of ${limits.maxKeptMembers} members`));
    const member: TarMember = {
      path,
      kind: e.type === 'Directory' ? 'dir' : 'file',
      mode: (e.mode ?? 0) & 0o7777,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtimeMs: e.mtime?.getTime() ?? 0,
    };
    if (member.kind === 'file') {
      if (e.size > limits.maxMemberBytes) {
        fail(refuse(host, e.path, `is larger than the limit of ${limits.maxMemberBytes} bytes`));
        e.resume();
        return;
      }
      // The header's size is what the parser will deliver (it refuses a member that ends early).
      keptBytes += e.size;
      if (keptBytes > keptBytesLimit(limits)) {
        fail(refuseTotal(host, e.path, limits));
        e.resume();
        return;
      }
      const chunks: Buffer[] = [];
      e.on('data', (c: Buffer) => chunks.push(c));
      e.on('end', () => (member.content = Buffer.concat(chunks)));
    } else e.resume();
    scan.kept.push(member);
  };
  parser.on('entry', (e: ReadEntry) => onEntry(e, false));
  parser.on('ignoredEntry', (e: ReadEntry) => onEntry(e, true));
  parser.on('error', fail);
  const done = new Promise<void>((resolve) => parser.on('close', () => resolve()));
  try {
    for await (const chunk of tarBytes(reader)) {
      if (failure !== undefined) break;
      if (!parser.write(chunk)) await new Promise((r) => parser.once('drain', r));
    }
    if (failure === undefined) {
      parser.end();
      await done;
    }
  } catch (e) {
    fail(new LinkstoreError('E_CORRUPT_FILE', `The archive “${host}” cannot be read: ${e instanceof Error ? e.message : String(e)}`, { path: host, cause: e }));
  } finally {
    await reader.close();
  }
  if (failure !== undefined) {
    if (failure instanceof LinkstoreError) throw failure;
    throw new LinkstoreError(
      'E_CORRUPT_FILE',
      `The archive “${host}” is not a valid tar archive: ${failure instanceof Error ? failure.message : String(failure)}`,
      {
        path: host,
        cause: failure,
      },
    );
  }
  if (scan.count === 0) throw new LinkstoreError('E_CORRUPT_FILE', `The archive “${host}” holds no members.`, { path: host });
  return scan;
}
