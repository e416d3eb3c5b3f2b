/**
 * Bulk creation: many links across many users, with locks and directory fsyncs amortised.
 *
 * Every item is validated first (a bad item fails alone). Then, per user, the directories are
 * ensured once and the user's lock is taken once; the user's links are committed in chunks (each
 * chunk all-or-nothing, every file fsynced before its rename), and the directories touched by the
 * whole batch are fsynced once at the end, so everything is durable when the call returns.
 * Several users are processed concurrently (each under its own lock).
 */
import { changedOps, commitFiles, describeOps, syncDirs, type FileOp } from '../io/commit.js';
import { planDirs } from '../io/dirs.js';
import { isLinkstoreError, type LinkstoreError } from '../io/errors.js';
import type { PlannedOp } from '../io/plan.js';
import { ensureUserDirs, linkOps, themeCache, withUserLock, type Ctx } from './core.js';
import { userDirSpecs } from './paths.js';
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

/** Create or replace many links; see the file comment for the durability and failure model. */
export async function createLinks(ctx: Ctx, items: readonly BatchLinkItem[], opts: BatchOptions = {}): Promise<BatchResult> {
  const dryRun = opts.dryRun === true;
  const results: BatchItemResult[] = new Array(items.length);
  const icons = themeCache(ctx);
  const byUser = new Map<string, Prepared[]>();
  let done = 0;
  const fail = (i: number, e: unknown) => {
    if (!isLinkstoreError(e)) throw e;
    const it = items[i] as BatchLinkItem;
    results[i] = { ok: false, user: it.user, app: it.app, error: e };
    done++;
  };

  for (let i = 0; i < items.length; i++) {
    const it = items[i] as BatchLinkItem;
    try {
      const v = await validateLink(ctx.users, it.user, it.app, it.params);
      const ops = linkOps(v, await icons(v.theme));
      const list = byUser.get(v.user) ?? [];
      list.push({ index: i, v, ops });
      byUser.set(v.user, list);
    } catch (e) {
      fail(i, e);
    }
  }

  const planned: PlannedOp[][] = [];
  const dirsToSync = new Set<string>();
  let dirsMade = false;
  const chunkSize = Math.max(1, opts.chunkSize ?? 32);
  const users = [...byUser.entries()].map(([user, list], slot) => ({ user, list, slot }));
  await runPool(users, opts.concurrency ?? 8, async ({ user, list, slot }) => {
    const first = (list[0] as Prepared).v;
    const specs = userDirSpecs(user, first.gid);
    const mine: PlannedOp[] = [];
    planned[slot] = mine;
    const settle = (chunk: Prepared[], error?: unknown) => {
      for (const p of chunk) {
        if (error !== undefined) fail(p.index, error);
        else {
          results[p.index] = { ok: true, user, app: p.v.app, warnings: p.v.warnings, changed: (p.todo ?? p.ops).length > 0 };
          done++;
        }
      }
      opts.onProgress?.(done, items.length);
    };
    if (dryRun) {
      mine.push(...(await planDirs(ctx.disk, specs)));
      for (const chunk of chunksOf(list, chunkSize)) {
        mine.push(...describeOps(ctx.disk, await pendingOps(ctx, chunk)));
        settle(chunk);
      }
      return;
    }
    try {
      for (const d of await ensureUserDirs(ctx, user, first.gid)) {
        dirsToSync.add(d);
        dirsMade = true;
      }
    } catch (e) {
      settle(list, e);
      return;
    }
    await withUserLock(
      ctx,
      user,
      async (beforePublish) => {
        for (const chunk of chunksOf(list, chunkSize)) {
          try {
            const ops = await pendingOps(ctx, chunk);
            await commitFiles(ctx.disk, ops, { beforePublish, deferDirSync: dirsToSync, flush: 'filesystem' });
            mine.push(...describeOps(ctx.disk, ops));
            settle(chunk);
          } catch (e) {
            settle(chunk, e);
          }
        }
      },
      true,
    ).catch((e: unknown) => {
      // The lock itself failed: every item of this user not yet settled fails with it.
      settle(
        list.filter((p) => results[p.index] === undefined),
        e,
      );
    });
  });
  if (!dryRun) await syncDirs(ctx.disk, dirsToSync, { filesystem: true });
  const succeeded = results.filter((r) => r.ok).length;
  const ops = planned.flat();
  return { dryRun, results, ops, succeeded, failed: results.length - succeeded, changed: dirsMade || ops.length > 0 };
}
