/**
 * Whole-server transfer of the authn tree: readers for export (each file through the store's own
 * schema-checked reader, one file per call so a caller can skip a corrupt one), and a batched
 * import of many links that groups them per provider and edits each LinkDB once per chunk of
 * link users instead of once per link (the per-link transaction rewrites the whole LinkDB, which
 * made a big import quadratic).
 */
import type { FileOp } from '../io/commit.js';
import type { DirSpec } from '../io/dirs.js';
import { isLinkstoreError } from '../io/errors.js';
import { compareCodePoints, isPlainObject } from '../io/json-codec.js';
import type { AuthnClientConfig, AuthnDisplayConfig, AuthnUserDb, AuthnUserInfo } from '../generated/schemas.js';
import {
  CLIENT_CONFIG_DIR,
  MODE,
  PROTOCOL,
  SERVICES,
  USERS_DIR,
  clientConfigPath,
  displayConfigPath,
  linkDbPath,
  loginDirSpecs,
  userDirSpecs,
  type Service,
} from './constants.js';
import { type AuthnContext, type LinkUserRef, requireLinkUser, sysuserGid, transact } from './context.js';
import { encodeDb, protocolMap, readJsonObject, readLinkDbFile, readUserDb, sameJson, saveLinksForUser, subjectsOf, withLink } from './db.js';
import { listLinkUsers } from './lifecycle.js';
import { MSG } from './messages.js';
import { LinkstoreError } from '../io/errors.js';
import { enabledAnywhere, readServiceFile } from './providers.js';
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

/** One link as stored in a per-user DB. */
export interface StoredLink {
  user: string;
  sysuser: string;
  protocol: string;
  provider: string;
  subject: string;
  user_info: AuthnUserInfo;
}

const visible = (names: string[] | undefined): string[] => (names ?? []).filter((n) => !n.startsWith('.')).sort(compareCodePoints);

/** System users that have a links directory (`links/users/*`), sorted. */
export async function linkSystemUsers(ctx: AuthnContext): Promise<string[]> {
  return visible(await ctx.disk.readdir(USERS_DIR));
}

/** The link users of a system user, by cPanel's listing rule, sorted. */
export function linkUsersOf(ctx: AuthnContext, sysuser: string): Promise<string[]> {
  return listLinkUsers(ctx, sysuser);
}

/** Every link of one per-user DB (schema-checked by `readUserDb`), sorted by protocol, provider, subject. */
export async function storedLinksOf(ctx: AuthnContext, sysuser: string, linkuser: string): Promise<StoredLink[]> {
  const db = await readUserDb(ctx.disk, `${USERS_DIR}/${sysuser}/${linkuser}.db`);
  const out: StoredLink[] = [];
  for (const protocol of Object.keys(db).sort(compareCodePoints)) {
    const providers = protocolMap(db, protocol);
    if (!providers) continue;
    for (const provider of Object.keys(providers).sort(compareCodePoints)) {
      const subjects = providers[provider] ?? {};
      for (const subject of Object.keys(subjects).sort(compareCodePoints)) {
        out.push({ user: linkuser, sysuser, protocol, provider, subject, user_info: subjects[subject] as AuthnUserInfo });
      }
    }
  }
  return out;
}

/** The provider keys of one service file (through the store's reader), sorted. */
export async function enabledIn(ctx: AuthnContext, service: Service): Promise<string[]> {
  return Object.keys(await readServiceFile(ctx, service)).sort(compareCodePoints);
}

/** Providers that have a stored client configuration file. */
export async function clientConfigProviders(ctx: AuthnContext): Promise<string[]> {
  // Provider ids never hold a dot; lock files (`google.lock`, `google.lock-…`) and hidden files do.
  return visible(await ctx.disk.readdir(CLIENT_CONFIG_DIR)).filter((n) => !n.includes('.'));
}

/** A provider's client configuration as stored (redirect_uris included), or undefined. */
export async function storedClientConfig(ctx: AuthnContext, provider: string): Promise<AuthnClientConfig | undefined> {
  return (await readJsonObject(ctx.disk, clientConfigPath(provider), 'authn-client-config')) as AuthnClientConfig | undefined;
}

/** (provider, service) pairs with a custom display configuration file, sorted. */
export async function displayConfigKeys(ctx: AuthnContext): Promise<Array<{ provider: string; service: Service }>> {
  const out: Array<{ provider: string; service: Service }> = [];
  for (const name of ((await ctx.disk.readdir(CLIENT_CONFIG_DIR)) ?? []).sort(compareCodePoints)) {
    const m = /^\.(.+)\.([a-z]+)\.display_configurations$/s.exec(name);
    if (m && (SERVICES as readonly string[]).includes(m[2] as string)) out.push({ provider: m[1] as string, service: m[2] as Service });
  }
  return out;
}

/** A custom display configuration as stored, or undefined. */
export async function storedDisplayConfig(ctx: AuthnContext, provider: string, service: Service): Promise<AuthnDisplayConfig | undefined> {
  return (await readJsonObject(ctx.disk, displayConfigPath(provider, service), 'authn-display-config')) as AuthnDisplayConfig | undefined;
}

// ---------------------------------------------------------------- batched import

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
  /** Link users per transaction (each holds its per-user DB lock). Default 256. */
  chunkSize?: number;
  /** Called as items settle, with the number settled so far. */
  onProgress?: (done: number) => void;
  /** Providers to treat as enabled (a dry run of an import that enables them first). */
  alsoEnabled?: ReadonlySet<string>;
}

interface Validated {
  index: number;
  ref: LinkUserRef;
  protocol: string;
  provider: string;
  subject: string;
  info: AuthnUserInfo;
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

/**
 * Import many links: validated one by one (a bad item fails alone), then per provider in chunks
 * of link users, each chunk one transaction holding the chunk's per-user DB locks and then the
 * provider's LinkDB lock (cPanel's order: user DB before LinkDB), reading every DB once and
 * writing each changed file once. Items are compared with what the DB already holds.
 */
export async function importLinks(ctx: AuthnContext, items: readonly ImportLinkItem[], opts: ImportLinksOptions = {}): Promise<ImportLinkResult[]> {
  const results: ImportLinkResult[] = new Array(items.length);
  let done = 0;
  const settle = (i: number, r: ImportLinkResult) => {
    results[i] = r;
    done++;
  };
  const refs = new Map<string, Promise<LinkUserRef>>();
  // provider → dbPath → items (in input order)
  const byProvider = new Map<string, Map<string, Validated[]>>();
  for (let i = 0; i < items.length; i++) {
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
  opts.onProgress?.(done);
  const size = Math.max(1, opts.chunkSize ?? 256);
  for (const [provider, users] of [...byProvider].sort((a, b) => compareCodePoints(a[0], b[0]))) {
    const paths = [...users.keys()].sort(compareCodePoints);
    for (let at = 0; at < paths.length; at += size) {
      const chunk = paths.slice(at, at + size).map((p) => users.get(p) as Validated[]);
      const statuses = new Map<number, ImportLinkResult>();
      try {
        await importChunk(ctx, provider, chunk, opts, statuses);
        for (const [i, r] of statuses) settle(i, r);
      } catch (e) {
        const reason = reasonOf(e);
        for (const list of chunk) for (const v of list) settle(v.index, { status: 'failed', reason });
      }
      opts.onProgress?.(done);
    }
  }
  return results;
}

async function importChunk(
  ctx: AuthnContext,
  provider: string,
  chunk: Validated[][],
  opts: ImportLinksOptions,
  statuses: Map<number, ImportLinkResult>,
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
  dirs.push(...loginDirSpecs());
  const ldbPath = linkDbPath(provider);
  const locks = [...chunk.map((l) => ({ path: (l[0] as Validated).ref.dbPath, mode: MODE.userDb })), { path: ldbPath, mode: MODE.linkDb }];
  await transact(ctx, { dirs, locks, dryRun: opts.dryRun }, async (disk) => {
    // compute may run twice (an unlocked check before directories are made); the last run counts.
    statuses.clear();
    const { ldb, bytes } = await readLinkDbFile(disk, ldbPath);
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
      const before = db;
      for (const v of list) {
        const current = subjectsOf(db, v.protocol, v.provider)[v.subject];
        if (current !== undefined && isPlainObject(current) && sameJson(current, v.info)) {
          statuses.set(v.index, { status: 'unchanged' });
          continue;
        }
        if (current !== undefined && opts.noReplace) {
          statuses.set(v.index, { status: 'conflict', reason: 'a different link with this subject is already stored' });
          continue;
        }
        db = withLink(db, v.protocol, v.provider, v.subject, v.info);
        statuses.set(v.index, { status: current === undefined ? 'created' : 'replaced' });
      }
      // cPanel re-syncs all of this user's subjects for the provider (§4.2); this also repairs drift.
      for (const protocol of new Set(list.map((v) => v.protocol))) saveLinksForUser(ldb, ref.linkuser, subjectsOf(db, protocol, provider));
      if (db !== before) {
        ops.push({
          op: 'write',
          path: ref.dbPath,
          content: encodeDb('authn-user-db', db, ref.dbPath),
          mode: MODE.userDb,
          uid: 0,
          gid: gids.get(ref.sysuser) as number,
        });
      }
    }
    const after = encodeDb('authn-linkdb', ldb, ldbPath);
    const empty = bytes === undefined && Object.keys(ldb.user).length === 0 && Object.keys(ldb.subject_unique_identifier).length === 0;
    if (!empty && !(bytes !== undefined && bytes.equals(after))) ops.push({ op: 'write', path: ldbPath, content: after, mode: MODE.linkDb, uid: 0, gid: 0 });
    return ops;
  });
}
