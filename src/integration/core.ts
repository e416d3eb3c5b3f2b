/**
 * Shared machinery of the integration module: the context every operation receives, the
 * per-user lock, file encoding, the file operations of a link or group, and strict readers.
 */
import type { Disk } from '../io/disk.js';
import type { DotLockOptions } from '../io/dot-lock.js';
import { withDotLock } from '../io/dot-lock.js';
import { ensureDirs, planDirs, type DirChangeLog } from '../io/dirs.js';
import { LinkstoreError } from '../io/errors.js';
import type { FileOp } from '../io/commit.js';
import type { PlannedOp } from '../io/plan.js';
import { decodeStrict, encodePretty, type JsonValue } from '../io/json-codec.js';
import { assertFileSchema, assertWritable } from '../io/schema.js';
import type { SchemaId } from '../generated/schemas.js';
import type { UserLookup } from '../users/lookup.js';
import { groupEntry, linkEntry, readThemeIcons, type ThemeIcons } from './dynamicui.js';
import { MSG } from './messages.js';
import {
  ADMINCONFIG_MODE,
  DYNAMICUI_MODE,
  LINKS_DIR,
  USERCONFIG_MODE,
  USER_DIR_MODE,
  adminconfigPath,
  dynamicUiPath,
  groupDynamicUiPath,
  userDirSpecs,
  userDynamicUiDir,
  userLinksDir,
  groupUserconfigPath,
  userLockDataPath,
  userconfigPath,
} from './paths.js';
import type { ValidatedGroup, ValidatedLink } from './validate.js';

export interface Ctx {
  disk: Disk;
  users: UserLookup;
  /** Options of the per-user dot-lock (timeout, poll interval, critical-section bound). */
  lock: Omit<DotLockOptions, 'dataMode'>;
  /** Theme icon sizes shared across calls, re-read after `themeTtlMs` (see `themeCache`). */
  themes?: Map<string, { at: number; icons: Promise<ThemeIcons> }>;
  themeTtlMs?: number;
  /** Hashes that identify cPanel's default DynamicUI image (see IntegrationStoreOptions). */
  cpanelDefaultImageSha256?: readonly string[];
}

/**
 * Make sure the user's two directories exist with the right mode and owner. The common case
 * (both already right) costs two lstats; otherwise `ensureDirs` creates or repairs the whole
 * chain. Symlinks anywhere on the path are still refused by the commit's own path checks.
 * Returns the host paths of directories whose entries changed (to fsync).
 */
export async function ensureUserDirs(ctx: Ctx, user: string, gid: number, log?: DirChangeLog): Promise<string[]> {
  if (await userDirsRight(ctx, user, gid)) return [];
  return ensureDirs(ctx.disk, userDirSpecs(user, gid), log);
}

/** What `ensureUserDirs` would do, for a dry run: the same fast path, so the two agree. */
export async function planUserDirs(ctx: Ctx, user: string, gid: number): Promise<PlannedOp[]> {
  return (await userDirsRight(ctx, user, gid)) ? [] : planDirs(ctx.disk, userDirSpecs(user, gid));
}

/** Whether both of the user's directories exist with their mode and owner (two lstats). */
async function userDirsRight(ctx: Ctx, user: string, gid: number): Promise<boolean> {
  const ok = async (p: string) => {
    const st = await ctx.disk.lstatOrUndefined(ctx.disk.host(p));
    return st !== undefined && st.isDirectory() && (st.mode & 0o7777) === USER_DIR_MODE && (!ctx.disk.owners || (st.uid === 0 && st.gid === gid));
  };
  return (await ok(userLinksDir(user))) && (await ok(userDynamicUiDir(user)));
}

/** UTF-8 bytes of the cPanel pretty JSON of `value`, after a schema check of what is written. */
export function encodeFile(id: SchemaId, value: unknown, cpanelPath: string): Buffer {
  assertWritable(id, value, cpanelPath);
  return Buffer.from(encodePretty(value), 'utf8');
}

/**
 * Run `fn` holding the user's lock (`links/USER.lock`, outside both per-user directories). When
 * the links tree does not exist yet there is nothing to protect and nowhere to put the lock
 * (read/remove paths must not create directories), so `fn` runs without it.
 */
export interface UserLockOptions {
  /** The caller just made or checked `links/`: skip the check that it exists (no lock without it). */
  treeKnownToExist?: boolean;
  /** Where a release that could not complete is reported (the call itself succeeds). */
  warnings?: string[];
}

export async function withUserLock<T>(
  ctx: Ctx,
  user: string,
  fn: (beforePublish: (() => Promise<void>) | undefined) => Promise<T>,
  { treeKnownToExist = false, warnings }: UserLockOptions = {},
): Promise<T> {
  if (!treeKnownToExist) {
    const st = await ctx.disk.statPath(LINKS_DIR);
    if (st === undefined || !st.isDirectory()) return fn(undefined);
  }
  return withDotLock(ctx.disk, userLockDataPath(user), { ...ctx.lock, dataMode: USER_DIR_MODE, warnings }, (lock) => fn(() => lock.verify()));
}

/** The three writes of a link, in cPanel's order: userconfig → adminconfig → dynamicui. */
export function linkOps(v: ValidatedLink, icons: ThemeIcons): FileOp[] {
  const u = userconfigPath(v.user, v.app);
  const a = adminconfigPath(v.user, v.app);
  const d = dynamicUiPath(v.user, v.app);
  return [
    { op: 'write', path: u, content: encodeFile('integration-userconfig', v.userconfig, u), mode: USERCONFIG_MODE, uid: 0, gid: 0 },
    { op: 'write', path: a, content: encodeFile('integration-adminconfig', { token: v.token }, a), mode: ADMINCONFIG_MODE, uid: 0, gid: 0 },
    { op: 'write', path: d, content: encodeFile('dynamicui-link', [linkEntry(v.app, v.userconfig, icons.feature)], d), mode: DYNAMICUI_MODE, uid: 0, gid: 0 },
  ];
}

/** The two writes of a group: userconfig → dynamicui. */
export function groupOps(v: ValidatedGroup, icons: ThemeIcons): FileOp[] {
  const u = groupUserconfigPath(v.user, v.groupId);
  const d = groupDynamicUiPath(v.user, v.groupId);
  return [
    { op: 'write', path: u, content: encodeFile('integration-group-userconfig', v.userconfig, u), mode: USERCONFIG_MODE, uid: 0, gid: 0 },
    {
      op: 'write',
      path: d,
      content: encodeFile('dynamicui-group', [groupEntry(v.groupId, v.userconfig, icons.group)], d),
      mode: DYNAMICUI_MODE,
      uid: 0,
      gid: 0,
    },
  ];
}

/** Most themes the store-wide theme cache keeps (a server has a handful; see `themeCache`). */
const MAX_SHARED_THEMES = 64;

/**
 * Theme icon sizes, memoised per theme: for the life of one operation or batch, and across calls
 * of one store for `themeTtlMs` (default 1 s, like the user caches), so a theme edit is seen soon.
 *
 * The store-wide map is kept in age order and loses its expired entries whenever one is added,
 * and never holds more than MAX_SHARED_THEMES: an expired entry used to stay until its theme was
 * asked for again, so a long-running store kept one per theme name any account ever had (each
 * account's RS, themes since removed included).
 */
export function themeCache(ctx: Ctx): (theme: string) => Promise<ThemeIcons> {
  const local = new Map<string, Promise<ThemeIcons>>();
  const ttl = ctx.themeTtlMs ?? 1000;
  return (theme) => {
    let p = local.get(theme);
    if (p) return p;
    const themes = ctx.themes;
    const shared = themes?.get(theme);
    const now = Date.now();
    if (shared && now - shared.at < ttl) {
      p = shared.icons;
    } else {
      p = readThemeIcons(ctx.disk, theme);
      if (themes !== undefined) {
        const entry = { at: now, icons: p };
        p.catch(() => {
          if (themes.get(theme) === entry) themes.delete(theme);
        });
        themes.delete(theme); // re-inserted last: the map's order is the entries' age order
        themes.set(theme, entry);
        for (const [t, e] of themes) {
          if (themes.size <= MAX_SHARED_THEMES && now - e.at < ttl) break;
          if (t !== theme) themes.delete(t);
          else break;
        }
      }
    }
    local.set(theme, p);
    return p;
  };
}

/**
 * Read and check one integration JSON file as cPanel's strict loader would: a missing file is
 * `missing()` (the caller picks the error), an empty or malformed one is E_CORRUPT_FILE naming it.
 */
export async function readJson<T>(ctx: Ctx, id: SchemaId, cpanelPath: string, missing: () => LinkstoreError): Promise<T> {
  const bytes = await ctx.disk.readFile(cpanelPath);
  if (bytes === undefined) throw missing();
  const host = ctx.disk.host(cpanelPath);
  if (bytes.length === 0) throw new LinkstoreError('E_CORRUPT_FILE', MSG.emptyFile(host), { path: host });
  const value: JsonValue = decodeStrict(bytes, host);
  assertFileSchema<T>(id, value, host);
  return value as T;
}
