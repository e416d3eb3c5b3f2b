/** The pkgacct view of `links/USER` (integration-links.md §7.2): export to, and load from, an archive. */
import { posix as path } from 'node:path';
import { isLibraryTempName } from '../io/commit.js';
import { isLockEntryName } from '../io/dot-lock.js';
import { compareCodePoints } from '../io/json-codec.js';
import { withUserLock, type Ctx } from './core.js';
import { userLinksDir } from './paths.js';
import { assertName } from './validate.js';

export interface ArchiveFile {
  /** File name inside `integration/links/` of the archive. */
  name: string;
  content: Uint8Array;
  mode: number;
  /** Owner and modification time of the file (archives keep them; restore ignores them). */
  uid?: number;
  gid?: number;
  mtimeMs?: number;
}

/** The integration part of a pkgacct archive: the files of `links/USER` (DynamicUI is rebuilt). */
export interface IntegrationArchive {
  /** The user the files were exported from. */
  user?: string;
  files: ArchiveFile[];
}

/**
 * Read every regular file of a directory (cPanel path) into archive form; other entries are
 * skipped, and so is writer debris — dot-locks, their temps and our write temps — which is no
 * account data: a per-user DB's lock temp stays in its directory for a turn after every write
 * (kept for the next lock), and archived it came back from a restore as an unknown file.
 */
export async function readFilesOf(ctx: Pick<Ctx, 'disk'>, dir: string): Promise<ArchiveFile[]> {
  const names = (await ctx.disk.readdir(dir)) ?? [];
  const files: ArchiveFile[] = [];
  for (const name of names.sort(compareCodePoints)) {
    if (isLockEntryName(name) || isLibraryTempName(name)) continue;
    const host = path.join(await ctx.disk.resolve(dir), name);
    const st = await ctx.disk.lstatOrUndefined(host);
    if (!st?.isFile()) continue;
    const content = await ctx.disk.readFile(`${dir}/${name}`);
    if (content !== undefined) files.push({ name, content, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs });
  }
  return files;
}

/**
 * Backup (§7.2): the contents of `links/USER`, every regular file as pkgacct copies it (strays
 * included, so a restore reports them). Taken under the user's lock for a consistent view.
 */
export async function exportUser(ctx: Ctx, user: string): Promise<IntegrationArchive> {
  assertName(user, 'user');
  const files = await withUserLock(ctx, user, () => readFilesOf(ctx, userLinksDir(user)));
  return { user, files };
}

/** Load an extracted archive directory (cPanel path of `<work>/integration/links`). */
export async function loadArchiveDir(ctx: Ctx, dir: string): Promise<IntegrationArchive> {
  return { files: await readFilesOf(ctx, dir) };
}
