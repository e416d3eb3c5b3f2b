/** Account rename (integration-links.md §7.5): move both per-user trees, re-chown, rebuild DynamicUI. */
import { posix as path } from 'node:path';
import { syncDirs } from '../io/commit.js';
import { withDotLocks } from '../io/dot-lock.js';
import { ensureDirs } from '../io/dirs.js';
import { LinkstoreError, failedAfter, ioError } from '../io/errors.js';
import { compareCodePoints } from '../io/json-codec.js';
import { plannedMove } from '../io/moves.js';
import type { PlannedOp } from '../io/plan.js';
import type { Ctx } from './core.js';
import type { MutationOptions, MutationResult } from './links.js';
import { MSG } from './messages.js';
import { DYNAMICUI_DIR, LINKS_DIR, USER_DIR_MODE, userDirSpecs, userLockDataPath } from './paths.js';
import { assertAccount, assertName, userFacts } from './validate.js';
import { rebuildDynamicUi } from './dynamicui-check.js';

export interface RenameUserOptions extends MutationOptions {
  /**
   * The cPanel account whose gid and theme the moved trees get. Default `newUser` (the passwd
   * rename already happened); pass `oldUser` when it has not happened yet.
   */
  accountOf?: string;
}

/**
 * Account rename (§7.5): move `links/OLD` and `dynamicui/OLD` to NEW, give them NEW's gid, and
 * rebuild the DynamicUI files with NEW's theme. NEW must already be a cPanel account (the rename
 * happened) unless `accountOf` names the account to take them from; an existing non-empty NEW
 * directory is refused rather than merged.
 */
export async function renameUser(ctx: Ctx, oldUser: string, newUser: string, opts: RenameUserOptions = {}): Promise<MutationResult> {
  assertName(oldUser, 'user');
  assertName(newUser, 'newuser');
  const account = opts.accountOf ?? newUser;
  await assertAccount(ctx.users, account);
  const facts = await userFacts(ctx.users, account);
  if (oldUser === newUser) return rebuildDynamicUi(ctx, newUser, opts);
  const linksSt = await ctx.disk.statPath(LINKS_DIR);
  if (linksSt === undefined) return { dryRun: opts.dryRun === true, ops: [], changed: false, warnings: [] };

  const moves = async () => {
    const out: { from: string; to: string; toExists: boolean; ops: PlannedOp[] }[] = [];
    for (const tree of [LINKS_DIR, DYNAMICUI_DIR]) {
      const st = await ctx.disk.statPath(tree);
      if (st === undefined) continue;
      const base = await ctx.disk.resolve(tree);
      const from = path.join(base, oldUser);
      const to = path.join(base, newUser);
      const fst = await ctx.disk.lstatOrUndefined(from);
      if (fst === undefined) continue;
      if (!fst.isDirectory())
        throw new LinkstoreError(fst.isSymbolicLink() ? 'E_SYMLINK' : 'E_NOT_DIRECTORY', `“${from}” must be a directory.`, { path: from });
      const tst = await ctx.disk.lstatOrUndefined(to);
      if (tst !== undefined && !tst.isDirectory()) {
        const what = tst.isSymbolicLink() ? 'a symbolic link' : tst.isFile() ? 'a file' : 'something else';
        throw new LinkstoreError('E_INVALID_PARAM', MSG.renameTargetNotDir(to, what), { path: to, param: 'newuser' });
      }
      if (tst !== undefined && (await ctx.disk.p.readdir(to)).length > 0) {
        throw new LinkstoreError('E_INVALID_PARAM', MSG.renameTargetBusy(to), { path: to, param: 'newuser' });
      }
      // Listed before anything moves: the real run reports what its dry run plans.
      const ops = await plannedMove(ctx.disk, from, to, { mode: '0750', owner: `0:${facts.gid}` });
      out.push({ from, to, toExists: tst !== undefined, ops });
    }
    return out;
  };
  const planned = (m: Awaited<ReturnType<typeof moves>>): PlannedOp[] =>
    m.flatMap((x) => [...(x.toExists ? [{ op: 'rmdir' as const, path: x.to }] : []), ...x.ops]);
  if (opts.dryRun) {
    const ops = planned(await moves());
    return { dryRun: true, ops, changed: ops.length > 0, warnings: [] };
  }

  const locks = [oldUser, newUser].sort(compareCodePoints).map((u) => ({ path: userLockDataPath(u), mode: USER_DIR_MODE }));
  const warnings: string[] = [];
  const ops = await withDotLocks(ctx.disk, locks, { ...ctx.lock, warnings }, async (held) => {
    const m = await moves();
    for (const l of held) await l.verify();
    for (let i = 0; i < m.length; i++) {
      const x = m[i] as (typeof m)[number];
      try {
        if (x.toExists) await ctx.disk.removeHostEntry(x.to, 'dir');
        await ctx.disk.renameHostEntry(x.from, x.to);
      } catch (e) {
        // The first tree may already have moved: then this is E_PARTIAL, saying so.
        throw failedAfter(ioError(e, 'move', x.from), planned(m.slice(0, i)));
      }
    }
    // The trees have moved: whatever fails from here on is E_PARTIAL, naming the moves.
    try {
      await ensureDirs(ctx.disk, userDirSpecs(newUser, facts.gid));
      await syncDirs(ctx.disk, [ctx.disk.host(LINKS_DIR), ctx.disk.host(DYNAMICUI_DIR)]);
    } catch (e) {
      throw failedAfter(e, planned(m));
    }
    return planned(m);
  });
  // Before the passwd rename the account (and so its theme) is the same: the moved DynamicUI
  // files are still right, and NEW cannot be looked up yet.
  if (account !== newUser) return { dryRun: false, ops, changed: ops.length > 0, warnings };
  const rebuilt = await rebuildDynamicUi(ctx, newUser).catch((e: unknown) => Promise.reject(failedAfter(e, ops)));
  return { dryRun: false, ops: [...ops, ...rebuilt.ops], changed: ops.length > 0 || rebuilt.changed, warnings: [...warnings, ...rebuilt.warnings] };
}
