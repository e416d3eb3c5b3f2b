/**
 * Batched import of many authn links (`authn.importLinks`, the `authn_link` records of
 * `linkstore import`), linear in the number of links.
 *
 * Per provider, in three steps:
 * 1. the provider's LinkDB is read once, unlocked, so that a damaged one fails the provider's
 *    items before anything is written;
 * 2. the per-user DBs, in chunks of link users: each chunk is one transaction holding only its
 *    users' DB locks, comparing every item with the DB already read and writing each changed DB
 *    once (an unchanged item writes nothing);
 * 3. the LinkDB, brought in step with those users' DBs in a bounded number of transactions that
 *    hold only the LinkDB lock (at most `linkDbBatch` users each): each user's subjects for the
 *    provider are re-read from its DB as it is now and saved with cPanel's `save_links_for_user`,
 *    and the LinkDB is written once per transaction, only if its bytes change.
 *
 * The per-link path (links.ts) instead holds the user's DB lock while it updates the LinkDB, and a
 * big import that did so per chunk rewrote the whole LinkDB once per chunk (quadratic). Here the
 * LinkDB trails the per-user DBs by at most one call; the lock order stays cPanel's (a per-user DB
 * lock is never taken while the LinkDB lock is held), and two things keep the index exact:
 * - a user whose DB lock is held by someone when step 3 looks (a cPanel add or remove in the
 *   middle of its own per-user-DB-then-LinkDB sequence) is not read under the LinkDB lock: it is
 *   synced afterwards by its own transaction, per-user DB lock first, like a single link;
 * - a user whose DB changed since step 2 (say a link was removed meanwhile) is synced from what
 *   its DB holds now, so a removed subject is never put back.
 * A crash between steps 2 and 3 leaves the LinkDB behind the per-user DBs, as a crash between
 * cPanel's two saves does; running the import again (every item `unchanged`, the LinkDB re-synced
 * and reported through `onLinkDbWrite`) or `linkstore rebuild-linkdb` repairs it. A dry run plans
 * step 3 too, against the per-user DBs step 2 plans, so it reports the same LinkDB writes. When step 3 fails, the items it covers are reported
 * failed with the reason, although their per-user DBs were written.
 */
import type { FileOp } from '../io/commit.js';
import type { DirSpec } from '../io/dirs.js';
import type { Disk } from '../io/disk.js';
import { pace } from '../io/pace.js';
import { PlannedWrites } from '../io/planned-writes.js';
import { cpanelLockPath } from '../io/dot-lock.js';
import { isLinkstoreError, LinkstoreError } from '../io/errors.js';
import { compareCodePoints, isPlainObject } from '../io/json-codec.js';
import type { AuthnUserDb, AuthnUserInfo } from '../generated/schemas.js';
import { MODE, PROTOCOL, linkDbPath, loginDirSpecs, userDirSpecs } from './constants.js';
import { type AuthnContext, type LinkUserRef, type MutationResult, requireLinkUser, sysuserGid, transact } from './context.js';
import {
  encodeDb,
  encodeLinkDbPaced,
  isEmptyLinkDb,
  readLinkDbFile,
  readUserDb,
  sameJson,
  saveLinksForUser,
  subjectsOf,
  withLinks,
  type LinkDb,
} from './db.js';
import { MSG } from './messages.js';
import { enabledAnywhere } from './providers.js';
import {
  type UserInfoInput,
  checkPreferredUsername,
  checkProtocol,
  checkProviderName,
  checkSubject,
  checkUserInfo,
  checkUserParam,
  normalizeLinkTime,
} from './validate.js';

export interface ImportLinkItem {
  user: string;
  provider: string;
  subject: string;
  userInfo?: UserInfoInput;
  protocol?: string;
}

export type ImportLinkStatus = 'created' | 'replaced' | 'unchanged' | 'conflict' | 'failed';

export interface ImportLinkResult {
  status: ImportLinkStatus;
  /** Why it failed or conflicts. */
  reason?: string;
}

export interface ImportLinksOptions {
  dryRun?: boolean;
  /** Leave a differing existing link alone and report it as `conflict`. */
  noReplace?: boolean;
  /** Link users per per-user-DB transaction (it holds their DB locks; a short critical section on a busy disk). Default 64. */
  chunkSize?: number;
  /** Link users per LinkDB transaction (each rewrites the LinkDB at most once). Default 4096. */
  linkDbBatch?: number;
  /** Called as items settle, with the number settled so far. */
  onProgress?: (done: number) => void;
  /** Providers to treat as enabled (a dry run of an import that enables them first). */
  alsoEnabled?: ReadonlySet<string>;
  /**
   * Called with the provider each time its LinkDB is rewritten (or, in a dry run, would be). The
   * items' statuses describe the per-user DBs only: a LinkDB repaired while every item is
   * `unchanged` (one left behind by a crash) shows only here.
   */
  onLinkDbWrite?: (provider: string) => void;
}

interface Validated {
  index: number;
  ref: LinkUserRef;
  protocol: string;
  provider: string;
  subject: string;
  info: AuthnUserInfo;
}

/** A link user whose per-user DB step 2 settled: its LinkDB entries are synced in step 3. */
interface Settled {
  ref: LinkUserRef;
  protocols: string[];
  /** Its items that did not fail (they fail if the LinkDB cannot be brought in step). */
  indexes: number[];
}

const reasonOf = (e: unknown): string => {
  if (isLinkstoreError(e)) return `${e.message} (${e.code})`;
  throw e;
};

/** The same checks, in the same order, as link_user_authn_provider (links.ts `addLink`). */
async function validateItem(
  ctx: AuthnContext,
  it: ImportLinkItem,
  index: number,
  refs: Map<string, Promise<LinkUserRef>>,
  alsoEnabled: ReadonlySet<string> | undefined,
): Promise<Validated> {
  const protocol = it.protocol ?? PROTOCOL;
  checkProtocol(protocol);
  const given = checkProviderName(it.provider);
  const provider = given.toLowerCase();
  if (!alsoEnabled?.has(provider) && !(await enabledAnywhere(ctx, provider)))
    throw new LinkstoreError('E_PROVIDER', MSG.providerNotEnabled(given), { param: 'provider' });
  const subject = checkSubject(it.subject);
  const raw = checkUserInfo(it.userInfo ?? {});
  const user = checkUserParam(it.user);
  let ref = refs.get(user);
  if (!ref) {
    ref = requireLinkUser(ctx, user);
    ref.catch(() => undefined);
    refs.set(user, ref);
  }
  const r = await ref;
  checkPreferredUsername(raw.preferred_username);
  const info: AuthnUserInfo = { ...raw, link_time: normalizeLinkTime(raw.link_time, ctx.nowSeconds()) };
  if (raw.preferred_username === null || raw.preferred_username === undefined) delete info.preferred_username;
  else info.preferred_username = String(raw.preferred_username);
  return { index, ref: r, protocol, provider, subject, info };
}

/** Import many links; see the file comment for the steps, the locks and the failure model. */
export async function importLinks(ctx: AuthnContext, items: readonly ImportLinkItem[], opts: ImportLinksOptions = {}): Promise<ImportLinkResult[]> {
  const results: ImportLinkResult[] = new Array(items.length);
  let done = 0;
  const settle = (i: number, r: ImportLinkResult) => {
    if (results[i] === undefined) done++;
    results[i] = r;
  };
  const refs = new Map<string, Promise<LinkUserRef>>();
  // provider → dbPath → items (in input order)
  const byProvider = new Map<string, Map<string, Validated[]>>();
  for (let i = 0; i < items.length; i++) {
    // Validation answers from warm caches through microtasks only: let the loop turn.
    await pace();
    try {
      const v = await validateItem(ctx, items[i] as ImportLinkItem, i, refs, opts.alsoEnabled);
      let users = byProvider.get(v.provider);
      if (!users) byProvider.set(v.provider, (users = new Map()));
      const list = users.get(v.ref.dbPath) ?? [];
      list.push(v);
      users.set(v.ref.dbPath, list);
    } catch (e) {
      settle(i, { status: 'failed', reason: reasonOf(e) });
    }
  }
  refs.clear();
  opts.onProgress?.(done);
  for (const [provider, users] of [...byProvider].sort((a, b) => compareCodePoints(a[0], b[0]))) {
    byProvider.delete(provider);
    await importProvider(ctx, provider, users, opts, settle, () => opts.onProgress?.(done));
  }
  return results;
}

async function importProvider(
  ctx: AuthnContext,
  provider: string,
  users: Map<string, Validated[]>,
  opts: ImportLinksOptions,
  settle: (i: number, r: ImportLinkResult) => void,
  progress: () => void,
): Promise<void> {
  const failAll = (lists: Iterable<Validated[]>, e: unknown) => {
    const reason = reasonOf(e);
    for (const list of lists) for (const v of list) settle(v.index, { status: 'failed', reason });
  };
  // Step 1: a damaged LinkDB fails the provider's items with nothing written.
  const ldbPath = linkDbPath(provider);
  let known: KnownLinkDb | undefined;
  try {
    known = await readLinkDbFile(ctx.disk, ldbPath);
  } catch (e) {
    failAll(users.values(), e);
    progress();
    return;
  }
  // Step 2: the per-user DBs, chunk by chunk. A dry run keeps what it plans for them, so that
  // step 3 is planned against the per-user DBs the real run would have written.
  const planned = opts.dryRun ? new PlannedWrites() : undefined;
  const settled: Settled[] = [];
  const size = Math.max(1, opts.chunkSize ?? 64);
  const paths = [...users.keys()].sort(compareCodePoints);
  for (let at = 0; at < paths.length; at += size) {
    const chunk = paths.slice(at, at + size).map((p) => users.get(p) as Validated[]);
    const statuses = new Map<number, ImportLinkResult>();
    try {
      await userDbChunk(ctx, chunk, opts, statuses, planned);
      for (const [i, r] of statuses) settle(i, r);
      for (const list of chunk) {
        // Conflicts were left alone; the others' links are in place once the LinkDB is in step.
        const indexes = list.filter((v) => !['failed', 'conflict'].includes(statuses.get(v.index)?.status as string)).map((v) => v.index);
        if (indexes.length > 0) settled.push({ ref: (list[0] as Validated).ref, protocols: [...new Set(list.map((v) => v.protocol))], indexes });
      }
    } catch (e) {
      failAll(chunk, e);
    }
    progress();
  }
  users.clear();
  // Step 3: the LinkDB, at most `linkDbBatch` users per transaction.
  const batch = Math.max(1, opts.linkDbBatch ?? 4096);
  for (let at = 0; at < settled.length; at += batch) {
    const part = settled.slice(at, at + batch);
    try {
      const synced = await syncLinkDb(ctx, provider, part, known, planned);
      known = synced.known;
      if (synced.wrote) opts.onLinkDbWrite?.(provider);
    } catch (e) {
      known = undefined;
      const reason = `stored in the per-user DB, but the LinkDB of “${provider}” was not brought in step (run it again, or rebuild-linkdb): ${reasonOf(e)}`;
      for (const s of part) for (const i of s.indexes) settle(i, { status: 'failed', reason });
    }
    progress();
  }
}

/** Step 2 for one chunk of link users: one transaction holding their per-user DB locks. */
async function userDbChunk(
  ctx: AuthnContext,
  chunk: Validated[][],
  opts: ImportLinksOptions,
  statuses: Map<number, ImportLinkResult>,
  planned: PlannedWrites | undefined,
): Promise<void> {
  const dirs: DirSpec[] = [];
  const gids = new Map<string, number>();
  for (const list of chunk) {
    const sysuser = (list[0] as Validated).ref.sysuser;
    if (!gids.has(sysuser)) {
      gids.set(sysuser, await sysuserGid(ctx, sysuser));
      dirs.push(...userDirSpecs(sysuser));
    }
  }
  const locks = chunk.map((l) => ({ path: (l[0] as Validated).ref.dbPath, mode: MODE.userDb }));
  await transact(ctx, { dirs, locks, dryRun: opts.dryRun, planned }, async (disk) => {
    // compute may run twice (an unlocked check before directories are made); the last run counts.
    statuses.clear();
    const ops: FileOp[] = [];
    for (const list of chunk) {
      const ref = (list[0] as Validated).ref;
      let db: AuthnUserDb;
      try {
        db = await readUserDb(disk, ref.dbPath);
      } catch (e) {
        const reason = reasonOf(e);
        for (const v of list) statuses.set(v.index, { status: 'failed', reason });
        continue;
      }
      const edits = userDbEdits(db, list, opts, statuses);
      if (edits.size > 0) {
        // One copy of each edited subject map per user, however many links it gains.
        for (const [protocol, links] of edits) db = withLinks(db, protocol, (list[0] as Validated).provider, links);
        const content = encodeDb('authn-user-db', db, ref.dbPath);
        ops.push({ op: 'write', path: ref.dbPath, content, mode: MODE.userDb, uid: 0, gid: gids.get(ref.sysuser) as number });
      }
    }
    return ops;
  });
}

/**
 * The links of one user's items (one provider) that change its DB, per protocol in item order,
 * each item's status set: compared with the DB as read and with the earlier items of the list
 * (the DB one `withLink` per item would have built), so that the work is linear in the items.
 */
function userDbEdits(
  db: AuthnUserDb,
  list: readonly Validated[],
  opts: ImportLinksOptions,
  statuses: Map<number, ImportLinkResult>,
): Map<string, Map<string, AuthnUserInfo>> {
  const edits = new Map<string, Map<string, AuthnUserInfo>>();
  for (const v of list) {
    const pending = edits.get(v.protocol);
    const current = pending?.get(v.subject) ?? subjectsOf(db, v.protocol, v.provider)[v.subject];
    if (current !== undefined && isPlainObject(current) && sameJson(current, v.info)) {
      statuses.set(v.index, { status: 'unchanged' });
      continue;
    }
    if (current !== undefined && opts.noReplace) {
      statuses.set(v.index, { status: 'conflict', reason: 'a different link with this subject is already stored' });
      continue;
    }
    if (pending) pending.set(v.subject, v.info);
    else edits.set(v.protocol, new Map([[v.subject, v.info]]));
    statuses.set(v.index, { status: current === undefined ? 'created' : 'replaced' });
  }
  return edits;
}

/** A LinkDB as last read or written by this import, with its bytes (to skip decoding it again). */
interface KnownLinkDb {
  ldb: LinkDb;
  bytes: Buffer | undefined;
}

/** The LinkDB as on disk now: the known copy when the bytes are the same, else decoded afresh. */
async function currentLinkDb(disk: Disk, ldbPath: string, known: KnownLinkDb | undefined): Promise<KnownLinkDb> {
  const bytes = await disk.readFile(ldbPath);
  if (known !== undefined && known.bytes !== undefined && bytes !== undefined && bytes.equals(known.bytes)) return { ldb: known.ldb, bytes };
  return readLinkDbFile(disk, ldbPath);
}

/** Whether someone holds the per-user DB's lock (a single link or unlink between its two saves). */
async function userDbLocked(disk: Disk, ref: LinkUserRef): Promise<boolean> {
  return (await disk.statPath(cpanelLockPath(ref.dbPath))) !== undefined;
}

/** cPanel's re-sync of one user's subjects for the provider, from its per-user DB as it is now. */
async function syncUser(disk: Disk, ldb: LinkDb, provider: string, s: Settled): Promise<void> {
  const db = await readUserDb(disk, s.ref.dbPath);
  for (const protocol of s.protocols) saveLinksForUser(ldb, s.ref.linkuser, subjectsOf(db, protocol, provider));
}

/**
 * Step 3 for up to `linkDbBatch` users: one transaction holding the LinkDB lock; users whose DB
 * lock is held are synced afterwards, each by its own transaction in cPanel's lock order. A dry
 * run (`planned`: what step 2 plans) takes no lock and reads the per-user DBs as planned.
 * Returns the LinkDB as written (or found), for the next batch, and whether it was written.
 */
async function syncLinkDb(
  ctx: AuthnContext,
  provider: string,
  part: Settled[],
  known: KnownLinkDb | undefined,
  planned: PlannedWrites | undefined,
): Promise<{ known: KnownLinkDb | undefined; wrote: boolean }> {
  const ldbPath = linkDbPath(provider);
  const lock = { path: ldbPath, mode: MODE.linkDb };
  let deferred: Settled[] = [];
  let result: KnownLinkDb | undefined;
  const write = async (disk: Disk, users: readonly Settled[], skipLocked: boolean): Promise<FileOp[]> => {
    // compute may run twice (an unlocked check before directories are made); the last run counts.
    deferred = [];
    result = undefined;
    const { ldb, bytes } = await currentLinkDb(disk, ldbPath, known);
    // From here `ldb` is edited in place: the copy it may share with `known` is no longer its file.
    known = undefined;
    for (const s of users) {
      if (skipLocked && (await userDbLocked(disk, s.ref))) deferred.push(s);
      else await syncUser(disk, ldb, provider, s);
    }
    const after = await encodeLinkDbPaced(ldb, ldbPath);
    const empty = bytes === undefined && isEmptyLinkDb(ldb);
    if (empty || (bytes !== undefined && bytes.equals(after))) {
      result = { ldb, bytes };
      return [];
    }
    result = { ldb, bytes: after };
    return [{ op: 'write', path: ldbPath, content: after, mode: MODE.linkDb, uid: 0, gid: 0 }];
  };
  const wroteLinkDb = (r: MutationResult) => r.ops.some((o) => o.op === 'write' && o.path === ctx.disk.host(ldbPath));
  if (planned) {
    const r = await transact(ctx, { dirs: loginDirSpecs(), locks: [lock], dryRun: true, planned }, (disk) => write(disk, part, false));
    return { known: result, wrote: wroteLinkDb(r) };
  }
  let wrote = wroteLinkDb(await transact(ctx, { dirs: loginDirSpecs(), locks: [lock] }, (disk) => write(disk, part, true)));
  known = result;
  const later = deferred;
  for (const s of later) {
    const r = await transact(ctx, { dirs: loginDirSpecs(), locks: [{ path: s.ref.dbPath, mode: MODE.userDb }, lock] }, (disk) => write(disk, [s], false));
    wrote ||= wroteLinkDb(r);
    known = result;
  }
  return { known, wrote };
}
