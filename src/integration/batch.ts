/**
 * Bulk creation: many links across many users, with locks and directory fsyncs amortised.
 *
 * Every item is validated first (a bad item fails alone). Then, per user, the directories are
 * ensured once and the user's lock is taken once; the user's links are committed in chunks (each
 * chunk all-or-nothing, every file fsynced before its rename), and the directories touched by the
 * whole batch are fsynced once at the end, so everything is durable when the call returns.
 * Several users are processed concurrently (each under its own lock).
 */
import { changedOps, commitFiles, describeOps, isPublishedFailure, syncDirs, type FileOp } from '../io/commit.js';
import { DirChangeLog, undoDirChanges } from '../io/dirs.js';
import { isLinkstoreError, type LinkstoreError } from '../io/errors.js';
import { pace } from '../io/pace.js';
import { withoutRepeatedDirOps, type PlannedOp } from '../io/plan.js';
import { PlannedWrites } from '../io/planned-writes.js';
import { ensureUserDirs, linkOps, planUserDirs, themeCache, withUserLock, type Ctx } from './core.js';
import { validateLink, type Params, type ValidatedLink } from './validate.js';

export interface BatchLinkItem {
  user: string;
  app: string;
  params: Params;
}

export type BatchItemResult =
  | { ok: true; user: string; app: string; warnings: string[]; /** False when its three files already held this content. */ changed: boolean }
  | { ok: false; user: string; app: string; error: LinkstoreError };

export interface BatchOptions {
  dryRun?: boolean;
  /** Called after each committed chunk with the number of items settled so far. */
  onProgress?: (done: number, total: number) => void;
  /** Links per commit (each commit keeps 3 files per link open until its fsync). Default 32. */
  chunkSize?: number;
  /** Users processed at the same time. Default 8. */
  concurrency?: number;
}

export interface BatchResult {
  dryRun: boolean;
  /** One result per input item, in input order. */
  results: BatchItemResult[];
  ops: PlannedOp[];
  succeeded: number;
  failed: number;
  /** Whether any file or directory changed (or would). */
  changed: boolean;
}

interface Prepared {
  index: number;
  v: ValidatedLink;
  ops: FileOp[];
  /** The ops that change something, once compared with the disk (under the user's lock). */
  todo?: FileOp[];
}

/** Compare each item's files with the disk; returns the ops of the chunk that change something. */
async function pendingOps(ctx: Ctx, chunk: Prepared[]): Promise<FileOp[]> {
  for (const p of chunk) p.todo = await changedOps(ctx.disk, p.ops);
  return chunk.flatMap((p) => p.todo ?? p.ops);
}

/** Split a user's items into chunks that never hold the same app twice (a later one wins in order). */
function chunksOf(items: Prepared[], size: number): Prepared[][] {
  const out: Prepared[][] = [];
  let cur: Prepared[] = [];
  let apps = new Set<string>();
  for (const it of items) {
    if (cur.length >= size || apps.has(it.v.app)) {
      out.push(cur);
      cur = [];
      apps = new Set();
    }
    cur.push(it);
    apps.add(it.v.app);
  }
  if (cur.length) out.push(cur);
  return out;
}

async function runPool<T>(items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
}

/** What one createLinks call shares between its phases. */
interface Run {
  ctx: Ctx;
  items: readonly BatchLinkItem[];
  opts: BatchOptions;
  results: BatchItemResult[];
  done: number;
  dirsToSync: Set<string>;
  dirsMade: boolean;
  chunkSize: number;
}

/** Record a failed item (only typed errors: anything else is a bug and propagates). */
function failItem(run: Run, i: number, e: unknown): void {
  if (!isLinkstoreError(e)) throw e;
  const it = run.items[i] as BatchLinkItem;
  run.results[i] = { ok: false, user: it.user, app: it.app, error: e };
  run.done++;
}

/** Phase 1: validate every item and build its files, grouped by user (a bad item fails alone). */
async function prepareByUser(run: Run): Promise<Map<string, Prepared[]>> {
  const icons = themeCache(run.ctx);
  const byUser = new Map<string, Prepared[]>();
  for (let i = 0; i < run.items.length; i++) {
    // Validation answers from warm caches through microtasks only: let the loop turn.
    await pace();
    const it = run.items[i] as BatchLinkItem;
    try {
      const v = await validateLink(run.ctx.users, it.user, it.app, it.params);
      const ops = linkOps(v, await icons(v.theme));
      const list = byUser.get(v.user) ?? [];
      list.push({ index: i, v, ops });
      byUser.set(v.user, list);
    } catch (e) {
      failItem(run, i, e);
    }
  }
  return byUser;
}

/** Settle a chunk of one user's items: all failed with `error`, or all done. */
function settleChunk(run: Run, user: string, chunk: Prepared[], error?: unknown): void {
  for (const p of chunk) {
    if (error !== undefined) failItem(run, p.index, error);
    else {
      run.results[p.index] = { ok: true, user, app: p.v.app, warnings: p.v.warnings, changed: (p.todo ?? p.ops).length > 0 };
      run.done++;
    }
  }
  run.opts.onProgress?.(run.done, run.items.length);
}

/**
 * `pendingOps` for a dry run: the real run compares each chunk with what the earlier chunks
 * wrote, so a path an earlier chunk plans to write is compared with that plan, not with the disk
 * (the same app twice in a batch: the second changes nothing when it is the same).
 */
async function plannedOps(ctx: Ctx, chunk: Prepared[], earlier: PlannedWrites): Promise<FileOp[]> {
  for (const p of chunk) p.todo = await earlier.changed(ctx.disk, p.ops);
  return chunk.flatMap((p) => p.todo ?? p.ops);
}

/** Phase 2, dry run: what one user's items would write. */
async function planUser(run: Run, user: string, list: Prepared[], planned: PlannedOp[]): Promise<void> {
  planned.push(...(await planUserDirs(run.ctx, user, (list[0] as Prepared).v.gid)));
  const earlier = new PlannedWrites();
  for (const chunk of chunksOf(list, run.chunkSize)) {
    planned.push(...describeOps(run.ctx.disk, await plannedOps(run.ctx, chunk, earlier)));
    settleChunk(run, user, chunk);
  }
}

/**
 * The part of `log` about `user`'s own directories: the trees' base directories are shared by the
 * users of a batch, which run side by side, and one user's failure must not remove a base
 * another user is about to write into.
 */
function ownDirsOnly(log: DirChangeLog, user: string): DirChangeLog {
  const own = (p: string) => p.endsWith(`/${user}`);
  const out = new DirChangeLog();
  out.created.push(...log.created.filter(own));
  out.repaired.push(...log.repaired.filter((r) => own(r.path)));
  return out;
}

/**
 * Phase 2: one user's items, committed chunk by chunk under the user's lock (directories fsynced
 * later). When no chunk of the user gets as far as publishing, the directories made or repaired
 * for them are put back as they were.
 */
async function commitUser(run: Run, user: string, list: Prepared[], planned: PlannedOp[]): Promise<void> {
  const { ctx } = run;
  const dirLog = new DirChangeLog();
  let created: string[];
  try {
    created = await ensureUserDirs(ctx, user, (list[0] as Prepared).v.gid, dirLog);
  } catch (e) {
    await undoDirChanges(ctx.disk, ownDirsOnly(dirLog, user));
    settleChunk(run, user, list, e);
    return;
  }
  const files: PlannedOp[] = [];
  // A release of the user's lock that could not complete: a warning of each of its items.
  const released: string[] = [];
  let published = false;
  await withUserLock(
    ctx,
    user,
    async (beforePublish) => {
      for (const chunk of chunksOf(list, run.chunkSize)) {
        try {
          const ops = await pendingOps(ctx, chunk);
          await commitFiles(ctx.disk, ops, { beforePublish, deferDirSync: run.dirsToSync, flush: 'filesystem' });
          published = true;
          files.push(...describeOps(ctx.disk, ops));
          settleChunk(run, user, chunk);
        } catch (e) {
          published ||= isPublishedFailure(e);
          settleChunk(run, user, chunk, e);
        }
      }
    },
    { treeKnownToExist: true, warnings: released },
  ).catch((e: unknown) => {
    // The lock itself failed: every item of this user not yet settled fails with it.
    settleChunk(
      run,
      user,
      list.filter((p) => run.results[p.index] === undefined),
      e,
    );
  });
  for (const p of list) {
    const r = run.results[p.index];
    if (r?.ok) r.warnings = [...r.warnings, ...released];
  }
  // Unpublished, only the user's own directories go; what was done to the shared bases stays, and
  // is reported.
  const ops = published ? dirLog.ops : dirLog.ops.filter((o) => !o.path.endsWith(`/${user}`));
  if (!published) await undoDirChanges(ctx.disk, ownDirsOnly(dirLog, user));
  for (const d of created) run.dirsToSync.add(d);
  run.dirsMade ||= ops.length > 0;
  planned.push(...ops, ...files);
}

/** Create or replace many links; see the file comment for the durability and failure model. */
export async function createLinks(ctx: Ctx, items: readonly BatchLinkItem[], opts: BatchOptions = {}): Promise<BatchResult> {
  const dryRun = opts.dryRun === true;
  const run: Run = {
    ctx,
    items,
    opts,
    results: new Array(items.length),
    done: 0,
    dirsToSync: new Set(),
    dirsMade: false,
    chunkSize: Math.max(1, opts.chunkSize ?? 32),
  };
  const byUser = await prepareByUser(run);
  // One list of planned ops per user, in the users' first-seen order whatever order they finish in.
  const planned: PlannedOp[][] = [];
  const users = [...byUser.entries()].map(([user, list], slot) => ({ user, list, slot }));
  await runPool(users, opts.concurrency ?? 8, async ({ user, list, slot }) => {
    const mine: PlannedOp[] = (planned[slot] = []);
    await (dryRun ? planUser : commitUser)(run, user, list, mine);
  });
  if (!dryRun) await syncDirs(ctx.disk, run.dirsToSync, { filesystem: true });
  const succeeded = run.results.filter((r) => r.ok).length;
  // The shared base directories are made once for the whole batch, by whichever user comes first;
  // a dry run plans them for every user of a fresh tree.
  const ops = withoutRepeatedDirOps(planned.flat());
  return { dryRun, results: run.results, ops, succeeded, failed: run.results.length - succeeded, changed: run.dirsMade || ops.length > 0 };
}
