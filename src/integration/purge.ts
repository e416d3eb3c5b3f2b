/** Account removal (integration-links.md §7.1): both per-user trees go, symlinks are unlinked and never followed. */
import { posix as path } from 'node:path';
import { syncDirs } from '../io/commit.js';
import { failedAfter, ioError } from '../io/errors.js';
import type { PlannedOp } from '../io/plan.js';
import { withUserLock, type Ctx } from './core.js';
import type { MutationOptions, MutationResult } from './links.js';
import { DYNAMICUI_DIR, LINKS_DIR } from './paths.js';
import { assertName } from './validate.js';

/** Operations that delete `host` (a file, a symlink — unlinked, never followed — or a tree). */
async function planRemoveTree(ctx: Ctx, host: string, out: PlannedOp[]): Promise<void> {
  const st = await ctx.disk.lstatOrUndefined(host);
  if (st === undefined) return;
  if (!st.isDirectory()) {
    out.push({ op: 'remove', path: host });
    return;
  }
  let names: string[];
  try {
    names = await ctx.disk.p.readdir(host);
  } catch (e) {
    throw ioError(e, 'list', host);
  }
  for (const n of names.sort()) await planRemoveTree(ctx, path.join(host, n), out);
  out.push({ op: 'rmdir', path: host });
}

/** Carry out the removals in order; a failure after the first is E_PARTIAL, listing those made. */
async function applyRemovals(ctx: Ctx, ops: readonly PlannedOp[]): Promise<void> {
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i] as PlannedOp;
    try {
      // Each removal goes through a verified handle on its parent (never by a path walked again).
      await ctx.disk.removeHostEntry(o.path, o.op === 'rmdir' ? 'dir' : 'file');
    } catch (e) {
      throw failedAfter(e, ops.slice(0, i));
    }
  }
}

/**
 * Account removal (§7.1): delete `links/USER` and `dynamicui/USER` recursively without following
 * symlinks (a symlinked per-user root is unlinked), and the user's lock file. Base directories stay.
 */
export async function purgeUser(ctx: Ctx, user: string, opts: MutationOptions = {}): Promise<MutationResult> {
  assertName(user, 'user');
  const plan = async () => {
    const out: PlannedOp[] = [];
    for (const tree of [LINKS_DIR, DYNAMICUI_DIR]) {
      const st = await ctx.disk.statPath(tree);
      if (st === undefined || !st.isDirectory()) continue;
      await planRemoveTree(ctx, path.join(await ctx.disk.resolve(tree), user), out);
    }
    return out;
  };
  if (opts.dryRun) {
    const planned = await plan();
    return { dryRun: true, ops: planned, changed: planned.length > 0, warnings: [] };
  }
  // Holding the lock excludes our own writers; releasing it removes the lock file, and taking
  // it breaks a stale one left by a dead process.
  const warnings: string[] = [];
  const ops = await withUserLock(
    ctx,
    user,
    async (beforePublish) => {
      const planned = await plan();
      await beforePublish?.();
      await applyRemovals(ctx, planned);
      return planned;
    },
    { warnings },
  );
  if (ops.length > 0) {
    const parents = [LINKS_DIR, DYNAMICUI_DIR].map((t) => ctx.disk.host(t));
    const existing = [];
    for (const p of parents) if ((await ctx.disk.lstatOrUndefined(p))?.isDirectory()) existing.push(p);
    await syncDirs(ctx.disk, existing);
  }
  return { dryRun: false, ops, changed: ops.length > 0, warnings };
}
