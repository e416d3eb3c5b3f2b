/**
 * The eight WHM functions' effects (integration-links.md §5) on top of validation, the per-user
 * lock and the multi-file commit: create/replace, remove, list and read links and groups, and
 * token updates.
 */
import { changedOps, commitFiles, describeOps, isPublishedFailure, syncDirs, type FileOp } from '../io/commit.js';
import { DirChangeLog, undoDirChanges } from '../io/dirs.js';
import { LinkstoreError } from '../io/errors.js';
import { compareCodePoints } from '../io/json-codec.js';
import type { PlannedOp } from '../io/plan.js';
import type { IntegrationAdminConfig, IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import { encodeFile, ensureUserDirs, groupOps, linkOps, planUserDirs, readJson, themeCache, withUserLock, type Ctx } from './core.js';
import { MSG } from './messages.js';
import {
  ADMINCONFIG_MODE,
  GROUP_PREFIX,
  USERCONFIG_SUFFIX,
  adminconfigPath,
  dynamicUiPath,
  groupDynamicUiPath,
  groupUserconfigPath,
  userLinksDir,
  userconfigPath,
} from './paths.js';
import { assertAccount, assertName, requireParam, userFacts, validateAppName, validateGroup, validateLink, type Params, type UserFacts } from './validate.js';

export type { MutationOptions, MutationResult } from '../io/plan.js';
import type { MutationOptions, MutationResult } from '../io/plan.js';

/**
 * Make the directories, take the user's lock, commit the `ops` that change something (all or
 * nothing), and flush the directories. With `dryRun`, return the plan instead. The plan lists
 * only what is (or would be) done: empty when every file already holds its content.
 */
export async function writeUserFiles(ctx: Ctx, facts: UserFacts, ops: FileOp[], dryRun: boolean, warnings?: string[]): Promise<MutationResult> {
  if (dryRun) return result(true, [...(await planUserDirs(ctx, facts.user, facts.gid)), ...describeOps(ctx.disk, await changedOps(ctx.disk, ops))], warnings);
  const dirLog = new DirChangeLog();
  let done: FileOp[];
  let created: string[];
  try {
    created = await ensureUserDirs(ctx, facts.user, facts.gid, dirLog);
    // The commit leaves out the files that already hold their content (same inode, same mtime).
    done = await withUserLock(ctx, facts.user, async (beforePublish) => (await commitFiles(ctx.disk, ops, { beforePublish })).applied, {
      treeKnownToExist: true,
      warnings,
    });
    if (created.length > 0) await syncDirs(ctx.disk, created);
  } catch (e) {
    // Failed before publishing: leave the tree as it was, directories included.
    if (!isPublishedFailure(e)) await undoDirChanges(ctx.disk, dirLog);
    throw e;
  }
  // The directories made or repaired are reported as the dry run plans them, and count as a
  // change even when every file was already in place.
  return result(false, [...dirLog.ops, ...describeOps(ctx.disk, done)], warnings);
}

/** A mutation result whose `changed` is whether any operation is (or would be) performed. */
export function result(dryRun: boolean, ops: PlannedOp[], warnings: string[] = []): MutationResult {
  return { dryRun, ops, changed: ops.length > 0, warnings };
}

/** create_integration_link: validate (§4.1) and write the three files (§3, §8.4). */
export async function createLink(ctx: Ctx, user: string, app: string, params: Params, opts: MutationOptions = {}): Promise<MutationResult> {
  const v = await validateLink(ctx.users, user, app, params);
  const icons = await themeCache(ctx)(v.theme);
  return writeUserFiles(ctx, v, linkOps(v, icons), opts.dryRun === true, v.warnings);
}

/** create_integration_group: validate (§4.4) and write the two files. */
export async function createGroup(ctx: Ctx, user: string, groupId: string, params: Params, opts: MutationOptions = {}): Promise<MutationResult> {
  const v = await validateGroup(ctx.users, user, groupId, params);
  const icons = await themeCache(ctx)(v.theme);
  return writeUserFiles(ctx, v, groupOps(v, icons), opts.dryRun === true, v.warnings);
}

/** The checks every read/remove function shares: user present, an account, valid names. */
async function checkUserAndName(ctx: Ctx, userIn: unknown, nameParam: string, nameIn: unknown, allowGroupPrefix: boolean): Promise<[string, string]> {
  const user = requireParam('user', userIn);
  const name = requireParam(nameParam, nameIn);
  await assertAccount(ctx.users, user);
  assertName(user, 'user');
  validateAppName(name, nameParam, allowGroupPrefix);
  return [user, name];
}

/** Remove whichever of `paths` exist, under the user's lock, all or nothing. Never creates anything. */
async function removeFiles(ctx: Ctx, user: string, paths: string[], dryRun: boolean, warnings: string[]): Promise<PlannedOp[]> {
  const existing = async () => {
    const out: FileOp[] = [];
    for (const p of paths) if ((await ctx.disk.statPath(p)) !== undefined) out.push({ op: 'remove', path: p });
    return out;
  };
  if (dryRun) return describeOps(ctx.disk, await existing());
  return withUserLock(
    ctx,
    user,
    async (beforePublish) => {
      const ops = await existing();
      await commitFiles(ctx.disk, ops, { beforePublish });
      return describeOps(ctx.disk, ops);
    },
    { warnings },
  );
}

/** remove_integration_link: idempotent; unlinks userconfig, adminconfig and the DynamicUI file. */
export async function removeLink(ctx: Ctx, userIn: string, appIn: string, opts: MutationOptions = {}): Promise<MutationResult> {
  const [user, app] = await checkUserAndName(ctx, userIn, 'app', appIn, false);
  const warnings: string[] = [];
  const ops = await removeFiles(ctx, user, [userconfigPath(user, app), adminconfigPath(user, app), dynamicUiPath(user, app)], opts.dryRun === true, warnings);
  return result(opts.dryRun === true, ops, warnings);
}

/** remove_integration_group: idempotent; unlinks the group's userconfig and DynamicUI file. */
export async function removeGroup(ctx: Ctx, userIn: string, groupIdIn: string, opts: MutationOptions = {}): Promise<MutationResult> {
  const [user, groupId] = await checkUserAndName(ctx, userIn, 'group_id', groupIdIn, false);
  const warnings: string[] = [];
  const ops = await removeFiles(ctx, user, [groupUserconfigPath(user, groupId), groupDynamicUiPath(user, groupId)], opts.dryRun === true, warnings);
  return result(opts.dryRun === true, ops, warnings);
}

export interface UpdateTokenOptions extends MutationOptions {
  /**
   * cPanel's behaviour: write `APP.adminconfig` even when the link does not exist (creating the
   * directories), which leaves an orphan file. Default false: E_NO_SUCH_LINK instead.
   */
  allowOrphan?: boolean;
}

/** update_integration_link_token: rewrite only `APP.adminconfig` (§7.4). */
export async function updateLinkToken(ctx: Ctx, userIn: string, appIn: string, tokenIn: string, opts: UpdateTokenOptions = {}): Promise<MutationResult> {
  const user = requireParam('user', userIn);
  const app = requireParam('app', appIn);
  const token = requireParam('token', tokenIn);
  await assertAccount(ctx.users, user);
  assertName(user, 'user');
  validateAppName(app);
  if (!token.isWellFormed()) {
    throw new LinkstoreError('E_INVALID_PARAM', 'The value of “token” contains an unpaired UTF-16 surrogate, which cannot be stored.', { param: 'token' });
  }
  const a = adminconfigPath(user, app);
  const ops: FileOp[] = [{ op: 'write', path: a, content: encodeFile('integration-adminconfig', { token }, a), mode: ADMINCONFIG_MODE, uid: 0, gid: 0 }];
  const dryRun = opts.dryRun === true;
  const mustExist = async () => {
    if ((await ctx.disk.statPath(userconfigPath(user, app))) === undefined) {
      throw new LinkstoreError('E_NO_SUCH_LINK', MSG.noSuchLink(user, app), { param: 'app', path: ctx.disk.host(userconfigPath(user, app)) });
    }
  };
  if (opts.allowOrphan) {
    const facts = await userFacts(ctx.users, user);
    return writeUserFiles(ctx, facts, ops, dryRun);
  }
  if (dryRun) {
    await mustExist();
    return result(dryRun, describeOps(ctx.disk, await changedOps(ctx.disk, ops)));
  }
  const warnings: string[] = [];
  const done = await withUserLock(
    ctx,
    user,
    async (beforePublish) => {
      await mustExist();
      return (await commitFiles(ctx.disk, ops, { beforePublish })).applied;
    },
    { warnings },
  );
  return result(dryRun, describeOps(ctx.disk, done), warnings);
}

/** Names in `links/USER` with the given shape, sorted bytewise; temp and dot files are skipped. */
async function listNames(ctx: Ctx, user: string, groups: boolean): Promise<string[]> {
  const names = (await ctx.disk.readdir(userLinksDir(user))) ?? [];
  const out: string[] = [];
  for (const n of names) {
    if (n.startsWith('.') || !n.endsWith(USERCONFIG_SUFFIX)) continue;
    const isGroup = n.startsWith(GROUP_PREFIX);
    if (isGroup !== groups) continue;
    const base = n.slice(groups ? GROUP_PREFIX.length : 0, n.length - USERCONFIG_SUFFIX.length);
    if (base !== '') out.push(base);
  }
  return out.sort(compareCodePoints);
}

async function checkUser(ctx: Ctx, userIn: unknown): Promise<string> {
  const user = requireParam('user', userIn);
  await assertAccount(ctx.users, user);
  assertName(user, 'user');
  return user;
}

/** list_integration_links: the apps of a user, sorted. Reads the directory only. */
export async function listLinks(ctx: Ctx, userIn: string): Promise<string[]> {
  return listNames(ctx, await checkUser(ctx, userIn), false);
}

/** list_integration_groups: the group ids of a user, sorted. */
export async function listGroups(ctx: Ctx, userIn: string): Promise<string[]> {
  return listNames(ctx, await checkUser(ctx, userIn), true);
}

/** get_integration_link_user_config: the parsed `APP.userconfig` (any key order). */
export async function getLinkUserConfig(ctx: Ctx, userIn: string, appIn: string): Promise<IntegrationUserConfig> {
  // cPanel does not check the group_ prefix here: app=group_X returns that group's config.
  const [user, app] = await checkUserAndName(ctx, userIn, 'app', appIn, true);
  const p = userconfigPath(user, app);
  return readJson<IntegrationUserConfig>(
    ctx,
    'integration-userconfig',
    p,
    () => new LinkstoreError('E_NO_SUCH_LINK', MSG.cannotOpen(p), { path: ctx.disk.host(p), param: 'app' }),
  );
}

/** The group's `group_GROUPID.userconfig`. */
export async function getGroupUserConfig(ctx: Ctx, userIn: string, groupIdIn: string): Promise<IntegrationGroupUserConfig> {
  const [user, groupId] = await checkUserAndName(ctx, userIn, 'group_id', groupIdIn, false);
  const p = groupUserconfigPath(user, groupId);
  return readJson<IntegrationGroupUserConfig>(
    ctx,
    'integration-group-userconfig',
    p,
    () => new LinkstoreError('E_NO_SUCH_GROUP', MSG.cannotOpen(p), { path: ctx.disk.host(p), param: 'group_id' }),
  );
}

/** The parsed `APP.adminconfig` (`{token}`), for autologin daemons. */
export async function getAdminConfig(ctx: Ctx, userIn: string, appIn: string): Promise<IntegrationAdminConfig> {
  const [user, app] = await checkUserAndName(ctx, userIn, 'app', appIn, false);
  const p = adminconfigPath(user, app);
  return readJson<IntegrationAdminConfig>(ctx, 'integration-adminconfig', p, () => {
    const host = ctx.disk.host(p);
    return new LinkstoreError('E_NO_SUCH_LINK', MSG.noSuchAdminConfig(user, app) + ' ' + MSG.cannotOpen(p), { path: host, param: 'app' });
  });
}
