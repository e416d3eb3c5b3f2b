/**
 * Load the link sections of an account archive from an extracted `cpmove-USER/` directory
 * anywhere on the host, or straight from `cpmove-USER.tar.gz`. Directory reads are bounded and
 * of regular files only; a link, device or FIFO inside a section refuses the whole archive,
 * naming it, as a hostile tarball member does.
 */
import { posix as path } from 'node:path';
import { LinkstoreError } from '../io/errors.js';
import type { FsPort } from '../io/fs-port.js';
import { lstatHost, listHostDir, readHostFile } from '../io/outside.js';
import type { ArchiveFile } from '../integration/archive.js';
import { AUTHN_SECTION, INTEGRATION_SECTION, sectionOf, userFromArchiveName, type AccountArchive } from './sections.js';
import { DEFAULT_LIMITS, archiveTop, keptBytesLimit, refuse, refuseTotal, scanTarball, type ArchiveLimits, type TarMember } from './tar-read.js';

/** A directory or a tarball, by what is on disk (E_NOT_FOUND when neither). */
export async function loadAccountArchive(fs: FsPort, source: string, limits: ArchiveLimits = DEFAULT_LIMITS): Promise<AccountArchive> {
  const st = lstatHost(fs, source);
  if (st?.isFile()) return loadTarball(fs, source, limits);
  return loadDirectory(fs, source, limits);
}

/** What the sections of one archive kept so far, against `ArchiveLimits.maxKeptBytes`. */
interface KeptTotal {
  bytes: number;
}

function loadSectionDir(fs: FsPort, top: string, section: string, limits: ArchiveLimits, strays: string[], total: KeptTotal): ArchiveFile[] | undefined {
  const dir = path.join(top, section);
  const entries = listHostDir(fs, dir);
  if (entries === undefined) return undefined;
  const bad = entries.find((e) => e.kind === 'symlink' || e.kind === 'other');
  if (bad) throw refuse(top, `${section}/${bad.name}`, bad.kind === 'symlink' ? 'is a link' : 'is a device, FIFO or socket');
  const files: ArchiveFile[] = [];
  for (const e of entries) {
    if (e.kind === 'dir') {
      strays.push(`${section}/${e.name}`);
      continue;
    }
    if (files.length >= limits.maxKeptMembers) throw refuse(top, `${section}/${e.name}`, `is beyond the limit of ${limits.maxKeptMembers} members`);
    if (e.stat.size > limits.maxMemberBytes) throw refuse(top, `${section}/${e.name}`, `is larger than the limit of ${limits.maxMemberBytes} bytes`);
    if (total.bytes + e.stat.size > keptBytesLimit(limits)) throw refuseTotal(top, `${section}/${e.name}`, limits);
    const content = readHostFile(fs, path.join(dir, e.name), limits.maxMemberBytes);
    // Counted as read: the file may have grown since the listing's lstat.
    total.bytes += content.length;
    if (total.bytes > keptBytesLimit(limits)) throw refuseTotal(top, `${section}/${e.name}`, limits);
    files.push({ name: e.name, content, mode: e.stat.mode & 0o7777, uid: e.stat.uid, gid: e.stat.gid, mtimeMs: e.stat.mtimeMs });
  }
  return files;
}

/** An extracted archive: the sections directly inside `dir`. */
export async function loadDirectory(fs: FsPort, dir: string, limits: ArchiveLimits = DEFAULT_LIMITS): Promise<AccountArchive> {
  const top = path.resolve(dir);
  listHostDir(fs, top); // E_NOT_DIRECTORY / E_SYMLINK unless a real directory
  if (lstatHost(fs, top) === undefined) throw new LinkstoreError('E_NOT_FOUND', `The archive “${top}” does not exist.`, { path: top });
  for (const d of ['integration', INTEGRATION_SECTION, AUTHN_SECTION]) {
    const st = lstatHost(fs, path.join(top, d));
    if (st !== undefined && !st.isDirectory()) throw refuse(top, d, st.isSymbolicLink() ? 'is a link' : 'is not a directory');
  }
  const strays: string[] = [];
  const total: KeptTotal = { bytes: 0 };
  const integration = loadSectionDir(fs, top, INTEGRATION_SECTION, limits, strays, total);
  const authn = loadSectionDir(fs, top, AUTHN_SECTION, limits, strays, total);
  return { user: userFromArchiveName(path.basename(top)), integration, authn, strays };
}

/** A tarball: every member checked, our sections' members kept (bounded). */
export async function loadTarball(fs: FsPort, file: string, limits: ArchiveLimits = DEFAULT_LIMITS): Promise<AccountArchive> {
  const inSection = (p: string) => {
    const slash = p.indexOf('/');
    return slash !== -1 && sectionOf(p.slice(slash + 1)) !== undefined;
  };
  const scan = await scanTarball(fs, file, inSection, limits);
  const top = archiveTop(file, scan);
  const byName = userFromArchiveName(path.basename(file));
  const out: AccountArchive = { user: userFromArchiveName(top) ?? byName, strays: [], warnings: [] };
  if (byName !== undefined && out.user !== byName) {
    out.warnings?.push(
      `The archive’s file name names the account “${byName}”, but its top directory “${top}/” names “${out.user}”; a restore goes by the top directory.`,
    );
  }
  const last = lastCopies(scan.kept);
  for (const [i, m] of scan.kept.entries()) {
    const rel = m.path.slice(top.length + 1);
    const where = sectionOf(rel);
    if (where === undefined) continue;
    const list = (out[where.section] ??= []);
    if (where.inner === '') continue;
    if (m.kind === 'dir' || where.inner.includes('/')) {
      const stray = `${where.section === 'integration' ? INTEGRATION_SECTION : AUTHN_SECTION}/${where.inner.split('/')[0]}`;
      if (!out.strays.includes(stray)) out.strays.push(stray);
      continue;
    }
    if (last.get(m.path) !== i) {
      // Extracting the archive (what cPanel's restore reads) leaves only the last copy.
      const warning = `The archive holds “${rel}” more than once; the system restored only its last copy, as extracting the archive does.`;
      if (!out.warnings?.includes(warning)) out.warnings?.push(warning);
      continue;
    }
    list.push({ name: where.inner, content: m.content ?? Buffer.alloc(0), mode: m.mode, uid: m.uid, gid: m.gid, mtimeMs: m.mtimeMs });
  }
  return out;
}

/** The index of the last file member at each path (tar appends a newer copy, `tar -r`, after the old). */
function lastCopies(members: readonly TarMember[]): Map<string, number> {
  const last = new Map<string, number>();
  members.forEach((m, i) => {
    if (m.kind === 'file') last.set(m.path, i);
  });
  return last;
}
