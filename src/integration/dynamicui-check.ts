/** What each DynamicUI file should hold, a read-only comparison with what it holds, and a rebuild (for doctor and rename). */
import { commitFiles, describeOps, type FileOp } from '../io/commit.js';
import { ensureDirs } from '../io/dirs.js';
import { LinkstoreError, isLinkstoreError } from '../io/errors.js';
import { compareCodePoints } from '../io/json-codec.js';
import type { IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import { encodeFile, readJson, themeCache, withUserLock, type Ctx } from './core.js';
import { sameDynamicUi } from './dynamicui-compare.js';
import { groupEntry, linkEntry } from './dynamicui.js';
import type { MutationOptions, MutationResult } from './links.js';
import { MSG } from './messages.js';
import {
  DYNAMICUI_MODE,
  DYNAMICUI_PREFIX,
  DYNAMICUI_SUFFIX,
  GROUP_PREFIX,
  USERCONFIG_SUFFIX,
  dynamicUiPath,
  userDirSpecs,
  userDynamicUiDir,
  userLinksDir,
  userconfigPath,
} from './paths.js';
import { assertAccount, assertName, userFacts } from './validate.js';

export type DynamicUiState = 'ok' | 'missing' | 'stale';

export interface DynamicUiCheck {
  /** App name, or `group_ID`. */
  name: string;
  kind: 'link' | 'group';
  /** cPanel path of the DynamicUI file. */
  path: string;
  state: DynamicUiState;
  /** The bytes the library would write for the current userconfig. */
  expected: Buffer;
}

export interface DynamicUiReport {
  entries: DynamicUiCheck[];
  /** DynamicUI files (cPanel paths) whose userconfig does not exist. */
  orphans: string[];
  /** userconfig files that could not be read (no expectation computed). */
  warnings: string[];
}

/**
 * The DynamicUI file a link or group should have, recomputed from its userconfig and the user's
 * current theme. Returns the path and bytes; E_NO_SUCH_LINK/E_NO_SUCH_GROUP when it has none.
 */
export async function expectedDynamicUi(
  ctx: Ctx,
  user: string,
  name: string,
  icons = themeCache(ctx),
): Promise<{ path: string; content: Buffer; kind: 'link' | 'group' }> {
  assertName(user, 'user');
  assertName(name, 'app');
  const facts = await userFacts(ctx.users, user);
  const sizes = await icons(facts.theme);
  const u = userconfigPath(user, name);
  const p = dynamicUiPath(user, name);
  if (name.startsWith(GROUP_PREFIX)) {
    const cfg = await readJson<IntegrationGroupUserConfig>(
      ctx,
      'integration-group-userconfig',
      u,
      () => new LinkstoreError('E_NO_SUCH_GROUP', MSG.cannotOpen(u), { path: ctx.disk.host(u) }),
    );
    const id = name.slice(GROUP_PREFIX.length);
    return { path: p, kind: 'group', content: encodeFile('dynamicui-group', [groupEntry(id, cfg, sizes.group)], p) };
  }
  const cfg = await readJson<IntegrationUserConfig>(
    ctx,
    'integration-userconfig',
    u,
    () => new LinkstoreError('E_NO_SUCH_LINK', MSG.cannotOpen(u), { path: ctx.disk.host(u) }),
  );
  return { path: p, kind: 'link', content: encodeFile('dynamicui-link', [linkEntry(name, cfg, sizes.feature)], p) };
}

/** Compare every DynamicUI file of a user with what its userconfig implies. Read-only. */
export async function checkDynamicUi(base: Ctx, user: string): Promise<DynamicUiReport> {
  assertName(user, 'user');
  // A view of the disk for this check: the user's two directories are resolved once, not per file.
  const ctx: Ctx = { ...base, disk: base.disk.scoped() };
  const icons = themeCache(ctx);
  const report: DynamicUiReport = { entries: [], orphans: [], warnings: [] };
  const linkNames = ((await ctx.disk.readdir(userLinksDir(user))) ?? [])
    .filter((n) => !n.startsWith('.') && n.endsWith(USERCONFIG_SUFFIX) && n.length > USERCONFIG_SUFFIX.length)
    .map((n) => n.slice(0, -USERCONFIG_SUFFIX.length))
    .sort(compareCodePoints);
  for (const name of linkNames) {
    try {
      const exp = await expectedDynamicUi(ctx, user, name, icons);
      const cur = await ctx.disk.readFile(exp.path);
      const state: DynamicUiState = cur === undefined ? 'missing' : sameDynamicUi(cur, exp.content, ctx.cpanelDefaultImageSha256) ? 'ok' : 'stale';
      report.entries.push({ name, kind: exp.kind, path: exp.path, state, expected: exp.content });
    } catch (e) {
      if (!isLinkstoreError(e) || e.code === 'E_NO_SUCH_USER' || e.code === 'E_NOT_CPANEL_USER') throw e;
      report.warnings.push(MSG.unreadableUserconfig(ctx.disk.host(userconfigPath(user, name)), e.message));
    }
  }
  const known = new Set(linkNames);
  for (const n of (await ctx.disk.readdir(userDynamicUiDir(user))) ?? []) {
    if (!n.startsWith(DYNAMICUI_PREFIX) || !n.endsWith(DYNAMICUI_SUFFIX)) continue;
    const name = n.slice(DYNAMICUI_PREFIX.length, -DYNAMICUI_SUFFIX.length);
    if (!known.has(name)) report.orphans.push(`${userDynamicUiDir(user)}/${n}`);
  }
  report.orphans.sort(compareCodePoints);
  return report;
}

/**
 * Rewrite every missing or stale DynamicUI file of a user from its userconfig (e.g. after a theme
 * change or a rename). Orphans are left to the caller (`checkDynamicUi` lists them).
 */
export async function rebuildDynamicUi(ctx: Ctx, user: string, opts: MutationOptions = {}): Promise<MutationResult> {
  await assertAccount(ctx.users, user);
  const facts = await userFacts(ctx.users, user);
  const planFor = (r: DynamicUiReport): FileOp[] =>
    r.entries.filter((e) => e.state !== 'ok').map((e) => ({ op: 'write', path: e.path, content: e.expected, mode: DYNAMICUI_MODE, uid: 0, gid: 0 }));
  if (opts.dryRun) {
    const r = await checkDynamicUi(ctx, user);
    const ops = describeOps(ctx.disk, planFor(r));
    return { dryRun: true, ops, changed: ops.length > 0, warnings: r.warnings };
  }
  if ((await ctx.disk.statPath(userLinksDir(user))) === undefined) return { dryRun: false, ops: [], changed: false, warnings: [] };
  const created = await ensureDirs(ctx.disk, userDirSpecs(user, facts.gid));
  const released: string[] = [];
  const out = await withUserLock(
    ctx,
    user,
    async (beforePublish) => {
      const r = await checkDynamicUi(ctx, user);
      const ops = planFor(r);
      await commitFiles(ctx.disk, ops, { beforePublish });
      return { dryRun: false, ops: describeOps(ctx.disk, ops), changed: ops.length > 0 || created.length > 0, warnings: r.warnings };
    },
    { warnings: released },
  );
  return { ...out, warnings: [...out.warnings, ...released] };
}
