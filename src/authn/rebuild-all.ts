/**
 * `linkstore rebuild-linkdb`: cPanel's `rebuild_provider_openid_connect_links_db` for every
 * provider that has a LinkDB or appears in a per-user DB, one provider's lock at a time.
 */
import type { PlannedOp } from '../io/plan.js';
import type { AuthnContext, MutationResult } from './context.js';
import { linkDbProviders, throwCollected } from './lifecycle.js';
import { expectedLinkDbs, rebuildLinkDb, type RebuildOptions } from './maint.js';

export interface RebuildAllResult extends MutationResult {
  /** The providers whose LinkDB was checked, sorted. */
  providers: string[];
}

export async function rebuildAllLinkDbs(ctx: AuthnContext, options: RebuildOptions = {}): Promise<RebuildAllResult> {
  const names = new Set(await linkDbProviders(ctx));
  for (const p of (await expectedLinkDbs(ctx, options.includeRoot === true)).keys()) names.add(p);
  const providers = [...names].sort();
  const ops: PlannedOp[] = [];
  let changed = false;
  const errors: unknown[] = [];
  for (const provider of providers) {
    try {
      const r = await rebuildLinkDb(ctx, provider, options);
      ops.push(...r.ops);
      changed ||= r.changed;
    } catch (e) {
      errors.push(e);
    }
  }
  throwCollected(errors, options.dryRun === true ? [] : ops);
  return { dryRun: options.dryRun === true, ops, changed, warnings: [], providers };
}
