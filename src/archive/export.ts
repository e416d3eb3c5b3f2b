/**
 * `linkstore archive export USER TARGET`: write an account's link sections as pkgacct does
 * (integration-links.md §7.2, authn-links.md §10.3) — `integration/links/` with the files of
 * `links/USER` and `authnlinks/` with the files of `links/users/USER/`, each 0700, files with
 * their own modes and owners, strays included — into a `cpmove-USER/` directory or a
 * `cpmove-USER.tar.gz`. A section whose source directory does not exist is left alone (pkgacct
 * does nothing then); an existing one is synced, extra files at the destination removed.
 */
import { posix as path } from 'node:path';
import { formatMode, sha256, type MutationResult, type PlannedOp } from '../io/plan.js';
import { LinkstoreError, failedAfter } from '../io/errors.js';
import type { FsPort } from '../io/fs-port.js';
import type { Disk } from '../io/disk.js';
import { ensureHostDir, listHostDir, lstatHost, openHostFile, readHostFile, removeHostDir, removeHostFile, writeHostFile } from '../io/outside.js';
import type { ArchiveFile } from '../integration/archive.js';
import { userLinksDir } from '../integration/paths.js';
import { userDir as authnUserDir } from '../authn/constants.js';
import type { Linkstore } from '../services.js';
import {
  ARCHIVE_DIR_MODE,
  AUTHN_SECTION,
  INTEGRATION_SECTION,
  SECTION_DIR_MODE,
  TARBALL_MODE,
  isTarballPath,
  sectionOf,
  userFromArchiveName,
} from './sections.js';
import { requireKnownUser } from '../account/known-user.js';
import { DEFAULT_LIMITS, archiveTop, refuse, scanTarball, tarBytes, type ArchiveLimits } from './tar-read.js';
import { END_OF_ARCHIVE, StreamTally, encodeMember, gzipStream, spliceTar, type NewMember } from './tar-write.js';

export interface ArchiveExportOptions {
  dryRun?: boolean;
  limits?: ArchiveLimits;
}

export interface ArchiveExportResult extends MutationResult {
  /** Host path written. */
  target: string;
  format: 'directory' | 'tarball';
  /** The sections written (those whose source directory exists). */
  sections: string[];
}

interface Section {
  /** `integration/links` or `authnlinks`. */
  dir: string;
  files: ArchiveFile[];
  mtimeMs: number;
}

/** The sections this account has on disk, read as pkgacct copies them. */
async function sourceSections(ls: Linkstore, user: string): Promise<Section[]> {
  const out: Section[] = [];
  const ist = await ls.integration();
  const archive = await ist.exportUser({ user }); // validates the name
  const ldir = await ls.disk.statPath(userLinksDir(user));
  if (ldir?.isDirectory()) out.push({ dir: INTEGRATION_SECTION, files: archive.files, mtimeMs: ldir.mtimeMs });
  const adir = await ls.disk.statPath(authnUserDir(user));
  if (adir?.isDirectory()) out.push({ dir: AUTHN_SECTION, files: await (await ls.authn()).exportUser({ user }), mtimeMs: adir.mtimeMs });
  return out;
}

export async function exportAccountArchive(ls: Linkstore, user: string, target: string, opts: ArchiveExportOptions = {}): Promise<ArchiveExportResult> {
  await requireKnownUser(ls, user);
  const host = path.resolve(target);
  assertNamedFor(host, user);
  const sections = await sourceSections(ls, user);
  const base = { dryRun: opts.dryRun === true, target: host, sections: sections.map((s) => s.dir), warnings: [] };
  // Both targets plan only what differs from what is there, so any planned operation is a change.
  if (isTarballPath(host)) {
    const ops = await toTarball(ls, user, host, sections, opts);
    return { ...base, format: 'tarball', ops, changed: ops.length > 0 };
  }
  const ops = await toDirectory(ls.disk, host, sections, opts.dryRun === true);
  return { ...base, format: 'directory', ops, changed: ops.length > 0 };
}

/**
 * The target must be named as pkgacct names it, for this user: a restore takes the account from
 * the name (`cpmove-alice` restores into alice), so bob's links under that name would go to alice.
 */
function assertNamedFor(host: string, user: string): void {
  const base = path.basename(host);
  const named = userFromArchiveName(base);
  if (named === user) return;
  throw new LinkstoreError(
    'E_INVALID_PARAM',
    `The archive of “${user}” must be named cpmove-${user} (a directory) or cpmove-${user}.tar.gz, not “${base}”${named !== undefined && named !== user ? `: a restore would put it into the account “${named}”` : ''}.`,
    { param: 'target', path: host },
  );
}

/**
 * An existing tarball's top directory must be this user's too: a restore takes the account from
 * it, not from the file name, so bob's sections under `cpmove-alice/` would go to alice.
 */
function assertTopFor(host: string, top: string, user: string): void {
  if (top === `cpmove-${user}`) return;
  const named = userFromArchiveName(top);
  throw new LinkstoreError(
    'E_INVALID_PARAM',
    `Refusing the archive “${host}”: its top directory is “${top}/”, not “cpmove-${user}/”${named !== undefined ? `, and a restore would put the links of “${user}” into the account “${named}”` : ''}. Nothing was written.`,
    { param: 'target', path: host },
  );
}

// ------------------------------------------------------------------ directory

/** `existed`: a write replaces a file that is there (it cannot be undone by removing it). */
type DirAction =
  { op: 'mkdir'; host: string; mode: number } | { op: 'write'; host: string; file: ArchiveFile; existed: boolean } | { op: 'remove'; host: string };

function assertDirOrAbsent(fs: FsPort, top: string, rel: string): boolean {
  const st = lstatHost(fs, path.join(top, rel));
  if (st === undefined) return false;
  if (!st.isDirectory()) throw refuse(top, rel || '.', st.isSymbolicLink() ? 'is a link' : 'is not a directory');
  return true;
}

/** Whether the file at `host` already has these bytes and this mode (then it is not rewritten). */
function sameFile(fs: FsPort, host: string, f: ArchiveFile): boolean {
  const st = lstatHost(fs, host);
  if (!st?.isFile() || (st.mode & 0o7777) !== f.mode || st.size !== f.content.length) return false;
  return readHostFile(fs, host, f.content.length).equals(Buffer.from(f.content));
}

/** Everything checked first (nothing written when anything is refused), then applied in order. */
function planDirectory(fs: FsPort, top: string, sections: readonly Section[]): DirAction[] {
  const actions: DirAction[] = [];
  if (!assertDirOrAbsent(fs, '/', top.slice(1))) actions.push({ op: 'mkdir', host: top, mode: ARCHIVE_DIR_MODE });
  for (const s of sections) {
    const parents = s.dir === INTEGRATION_SECTION ? ['integration', s.dir] : [s.dir];
    const existing = parents.map((p) => assertDirOrAbsent(fs, top, p));
    if (s.files.length === 0 && !existing[existing.length - 1]) continue; // both empty: nothing to do
    parents.forEach((p, i) => {
      if (!existing[i]) actions.push({ op: 'mkdir', host: path.join(top, p), mode: SECTION_DIR_MODE });
    });
    const dir = path.join(top, s.dir);
    const present = listHostDir(fs, dir) ?? [];
    const bad = present.find((e) => e.kind !== 'file');
    if (bad) throw refuse(top, `${s.dir}/${bad.name}`, bad.kind === 'symlink' ? 'is a link' : 'is not a regular file');
    const names = new Set(s.files.map((f) => f.name));
    for (const f of s.files) {
      const host = path.join(dir, f.name);
      if (!sameFile(fs, host, f)) actions.push({ op: 'write', host, file: f, existed: lstatHost(fs, host) !== undefined });
    }
    for (const e of present) if (!names.has(e.name)) actions.push({ op: 'remove', host: path.join(dir, e.name) });
  }
  return actions;
}

async function toDirectory(disk: Disk, top: string, sections: readonly Section[], dryRun: boolean): Promise<PlannedOp[]> {
  const { fs, owners, fsyncMode: fsync } = disk;
  const actions = planDirectory(fs, top, sections);
  const ops: PlannedOp[] = actions.map((a) =>
    a.op === 'mkdir'
      ? { op: 'mkdir', path: a.host, mode: formatMode(a.mode) }
      : a.op === 'write'
        ? {
            op: 'write',
            path: a.host,
            mode: formatMode(a.file.mode),
            owner: `${a.file.uid ?? 0}:${a.file.gid ?? 0}`,
            sha256: sha256(a.file.content),
            bytes: a.file.content.length,
          }
        : { op: 'remove', path: a.host },
  );
  if (dryRun) return ops;
  for (const [i, a] of actions.entries()) {
    const before = a.op === 'mkdir' ? undefined : lstatHost(fs, a.host);
    try {
      if (a.op === 'mkdir') await ensureHostDir(fs, a.host, a.mode, false, fsync);
      else if (a.op === 'write') await writeHostFile(fs, a.host, [a.file.content], { mode: a.file.mode, uid: a.file.uid, gid: a.file.gid, owners, fsync });
      else removeHostFile(fs, a.host);
    } catch (e) {
      // A replace that failed before its rename (ENOSPC in the temp) replaced nothing: only a
      // failing step that is in place counts as tried, so the creates before it can still go.
      const landed = inPlace(fs, a, before);
      const upTo = landed || onlyCreates(a) ? i + 1 : i;
      throw undoOrPartial(fs, actions.slice(0, upTo), ops.slice(0, landed ? i + 1 : i), e);
    }
  }
  return ops;
}

/** Whether the failed action `a` took effect anyway (a rename that landed before its fsync failed); `before`: the target's lstat before it. */
function inPlace(fs: FsPort, a: DirAction, before: ReturnType<typeof lstatHost>): boolean {
  const now = lstatHost(fs, a.host);
  if (a.op === 'mkdir') return now?.isDirectory() === true;
  if (a.op === 'remove') return now === undefined;
  return now !== undefined && (before === undefined || now.ino !== before.ino || now.dev !== before.dev);
}

const onlyCreates = (a: DirAction) => a.op === 'mkdir' || (a.op === 'write' && !a.existed);

/**
 * The error of an export that failed part-way, after which nothing may be left behind unsaid.
 * When everything tried only created (a new target, or new sections in it), it is removed again,
 * newest first, the failing step included (a mkdir or a rename may have landed before its fsync
 * failed), and the error stands as it is. When a step replaced or removed a file that was there,
 * its old bytes are gone: E_PARTIAL lists what is in place, and once the cause is fixed a retry makes the rest.
 */
function undoOrPartial(fs: FsPort, tried: readonly DirAction[], done: readonly PlannedOp[], e: unknown): unknown {
  if (!tried.every(onlyCreates)) return failedAfter(e, done);
  try {
    for (const a of [...tried].reverse()) {
      if (a.op === 'write') removeHostFile(fs, a.host);
      else removeHostDir(fs, a.host);
    }
  } catch {
    return failedAfter(
      e,
      done.filter((o) => lstatHost(fs, o.path) !== undefined),
    );
  }
  return e;
}

// ------------------------------------------------------------------ tarball

async function sectionMembers(top: string, sections: readonly Section[], hasIntegrationDir: boolean): Promise<Buffer[]> {
  const members: NewMember[] = [];
  for (const s of sections) {
    if (s.dir === INTEGRATION_SECTION && !hasIntegrationDir) {
      members.push({ path: `${top}/integration`, kind: 'dir', mode: SECTION_DIR_MODE, uid: 0, gid: 0, mtimeMs: s.mtimeMs });
    }
    if (s.files.length === 0) continue;
    members.push({ path: `${top}/${s.dir}`, kind: 'dir', mode: SECTION_DIR_MODE, uid: 0, gid: 0, mtimeMs: s.mtimeMs });
    for (const f of s.files) {
      members.push({
        path: `${top}/${s.dir}/${f.name}`,
        kind: 'file',
        mode: f.mode,
        uid: f.uid ?? 0,
        gid: f.gid ?? 0,
        mtimeMs: f.mtimeMs ?? s.mtimeMs,
        content: f.content,
      });
    }
  }
  const out: Buffer[] = [];
  for (const m of members) out.push(...(await encodeMember(m)));
  return out;
}

async function toTarball(ls: Linkstore, user: string, host: string, sections: readonly Section[], opts: ArchiveExportOptions): Promise<PlannedOp[]> {
  const { fs, owners, fsyncMode: fsync } = ls.disk;
  const existing = lstatHost(fs, host);
  if (existing !== undefined && !existing.isFile()) throw refuse(host, path.basename(host), existing.isSymbolicLink() ? 'is a link' : 'is not a regular file');
  if (lstatHost(fs, path.dirname(host))?.isDirectory() !== true) {
    throw new LinkstoreError('E_NOT_DIRECTORY', `The directory “${path.dirname(host)}” for the archive does not exist.`, { path: host });
  }
  const top = `cpmove-${user}`;
  let hasIntegrationDir = false;
  if (existing !== undefined) {
    // Pass 1: check every member (a hostile archive is refused before anything is written).
    const scan = await scanTarball(fs, host, (p) => p.endsWith('/integration') && p.split('/').length === 2, opts.limits ?? DEFAULT_LIMITS);
    assertTopFor(host, archiveTop(host, scan), user);
    hasIntegrationDir = scan.kept.some((m) => m.path === `${top}/integration`);
  }
  const additions = await sectionMembers(top, sections, hasIntegrationDir);
  if (existing === undefined)
    additions.unshift(...(await encodeMember({ path: top, kind: 'dir', mode: ARCHIVE_DIR_MODE, uid: 0, gid: 0, mtimeMs: topMtime(sections) })));
  const replaced = new Set(sections.map((s) => s.dir));
  const drop = (p: string) => {
    const where = p.startsWith(`${top}/`) ? sectionOf(p.slice(top.length + 1)) : undefined;
    return where !== undefined && replaced.has(where.section === 'integration' ? INTEGRATION_SECTION : AUTHN_SECTION);
  };
  // The file keeps its mode and owner; a new one is root's, as pkgacct's are.
  const [mode, uid, gid] = existing ? [existing.mode & 0o7777, existing.uid, existing.gid] : [TARBALL_MODE, 0, 0];
  // Pass 2: copy every other member through byte for byte, add ours, gzip, and replace the file
  // atomically, unless the bytes (counted and compared as they stream) are the file's own. A dry
  // run streams them too: its plan has the real run's size and digest.
  const reader = existing ? await openHostFile(fs, host) : undefined;
  const tally = new StreamTally(reader);
  try {
    const raw = reader ? spliceTar(tarBytes(reader), drop, additions) : fromList([...additions, END_OF_ARCHIVE]);
    const bytes = tally.count(gzipStream(raw));
    if (opts.dryRun) for await (const _ of bytes);
    else await writeHostFile(fs, host, bytes, { mode, uid, gid, owners, fsync, publish: () => !tally.same });
  } finally {
    await reader?.close();
  }
  if (tally.same) return [];
  return [{ op: 'write', path: host, mode: formatMode(mode), owner: owners ? `${uid}:${gid}` : undefined, sha256: tally.sha256(), bytes: tally.bytes }];
}

/**
 * A new archive's top directory gets its newest section's mtime, not the clock's: the same
 * account then gives the same bytes, in a dry run and in the real run.
 */
function topMtime(sections: readonly Section[]): number {
  return sections.length > 0 ? Math.max(...sections.map((s) => s.mtimeMs)) : Date.now();
}

async function* fromList(list: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const b of list) yield b;
}
