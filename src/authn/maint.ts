/**
 * LinkDB rebuild and drift check (authn-links.md §4.2): the LinkDB is derived from the
 * authoritative per-user DBs; `rebuild` rewrites it like cPanel's
 * `rebuild_provider_openid_connect_links_db` (optionally keeping root's links, which cPanel
 * drops), and `checkDrift` lists every difference between the two stores.
 */
import { own } from '../io/dict.js';
import { LinkstoreError } from '../io/errors.js';
import { pace } from '../io/pace.js';
import { mapOrdered } from '../io/pool.js';
import type { AuthnLinkDbUserInfo } from '../generated/schemas.js';
import { MODE, PROTOCOL, USERS_DIR, linkDbPath, loginDirSpecs, userDbPath } from './constants.js';
import { type AuthnContext, type MutationOptions, type MutationResult, transact } from './context.js';
import {
  emptyLinkDb,
  encodeLinkDbPaced,
  isEmptyLinkDb,
  linkDbBytes,
  parseUserDb,
  protocolMap,
  readLinkDb,
  readUserDb,
  sameJson,
  saveLinksForUser,
  type LinkDb,
  type SubjectMap,
} from './db.js';
import { linkDbProviders, listLinkUsers } from './lifecycle.js';
import { checkProviderName } from './validate.js';

export interface RebuildOptions extends MutationOptions {
  /** Also index `users/root/*.db` (cPanel's script walks cPanel accounts only, so it drops root). */
  includeRoot?: boolean;
}

/** The system users whose directories are walked: cPanel accounts, plus root when asked. */
async function walkedSysusers(ctx: AuthnContext, includeRoot: boolean): Promise<string[]> {
  const accounts = await ctx.users.cpanelAccounts();
  return includeRoot ? ['root', ...accounts.filter((a) => a !== 'root')] : accounts;
}

/** Expected LinkDB per provider, built from every per-user DB of the walked system users. */
export async function expectedLinkDbs(ctx: AuthnContext, includeRoot: boolean, only?: string): Promise<Map<string, LinkDb>> {
  const out = new Map<string, LinkDb>();
  if (only !== undefined) out.set(only, emptyLinkDb());
  for (const sysuser of await walkedSysusers(ctx, includeRoot)) {
    for (const linkuser of await listLinkUsers(ctx, sysuser)) {
      const db = await readUserDb(ctx.disk, userDbPath(sysuser, linkuser));
      await pace();
      const providers = protocolMap(db, PROTOCOL) ?? {};
      for (const [provider, subjects] of Object.entries(providers)) {
        if (only !== undefined && provider !== only) continue;
        let ldb = out.get(provider);
        if (!ldb) out.set(provider, (ldb = emptyLinkDb()));
        saveLinksForUser(ldb, linkuser, subjects);
      }
    }
  }
  return out;
}

/** Rebuild one provider's LinkDB from the per-user DBs, keeping unknown top-level keys. */
export async function rebuildLinkDb(ctx: AuthnContext, provider: string, options: RebuildOptions = {}): Promise<MutationResult> {
  const id = checkProviderName(provider).toLowerCase();
  const p = linkDbPath(id);
  return transact(ctx, { dirs: loginDirSpecs(), locks: [{ path: p, mode: MODE.linkDb }], dryRun: options.dryRun }, async () => {
    const expected = (await expectedLinkDbs(ctx, options.includeRoot === true, id)).get(id) as LinkDb;
    const current = await readLinkDb(ctx.disk, p);
    const next: LinkDb = { ...current, subject_unique_identifier: expected.subject_unique_identifier, user: expected.user };
    const exists = (await ctx.disk.statPath(p)) !== undefined;
    if (exists ? (await linkDbBytes(current)).equals(await linkDbBytes(next)) : isEmptyLinkDb(next)) return [];
    return [{ op: 'write', path: p, content: await encodeLinkDbPaced(next, p), mode: MODE.linkDb, uid: 0, gid: 0 }];
  });
}

export type DriftKind =
  /** A per-user link has no LinkDB entry: logins with it fail. */
  | 'missing_in_linkdb'
  /** The LinkDB has an entry that no per-user DB holds: a stale login path. */
  | 'extra_in_linkdb'
  /** Both hold the link but with different user-info. */
  | 'user_info_differs'
  /** The `user` map lacks an entry that the `subject_unique_identifier` map implies. */
  | 'user_map_missing'
  /** The `user` map has an entry that no per-user DB holds. */
  | 'user_map_extra'
  /** A directory under `links/users/` that belongs to no walked system user. */
  | 'orphan_user_dir'
  /** A 0-byte per-user DB (cPanel's restore fails on it). */
  | 'empty_user_db'
  /** A per-user DB that cannot be read. */
  | 'unreadable_user_db';

export interface DriftEntry {
  kind: DriftKind;
  provider?: string;
  linkuser?: string;
  subject?: string;
  /** Host path the entry is about, for file-level kinds. */
  path?: string;
  expected?: AuthnLinkDbUserInfo;
  actual?: AuthnLinkDbUserInfo;
  message?: string;
}

export interface DriftOptions {
  /** Count root's links as expected in the LinkDB (default true: the library indexes root). */
  includeRoot?: boolean;
}

/** Entries between two offers to let the event loop turn (`pace`, which yields only when due). */
const PACE_EVERY = 512;

async function compare(provider: string, expected: LinkDb, actual: LinkDb, out: DriftEntry[]): Promise<void> {
  let n = 0;
  for (const [subject, users] of expected.subject_unique_identifier) {
    // A LinkDB of 20,000 subjects is 40,000 comparisons: let the event loop turn now and then.
    if (++n % PACE_EVERY === 0) await pace();
    for (const [linkuser, info] of Object.entries(users)) {
      const got = own(actual.subject_unique_identifier.get(subject), linkuser);
      if (got === undefined) out.push({ kind: 'missing_in_linkdb', provider, linkuser, subject, expected: info });
      else if (!sameJson(got, info)) out.push({ kind: 'user_info_differs', provider, linkuser, subject, expected: info, actual: got });
      if (own(actual.user.get(linkuser), subject) !== 1) out.push({ kind: 'user_map_missing', provider, linkuser, subject });
    }
  }
  for (const [subject, users] of actual.subject_unique_identifier) {
    if (++n % PACE_EVERY === 0) await pace();
    for (const [linkuser, info] of Object.entries(users)) {
      if (own(expected.subject_unique_identifier.get(subject), linkuser) === undefined)
        out.push({ kind: 'extra_in_linkdb', provider, linkuser, subject, actual: info });
    }
  }
  for (const [linkuser, subjects] of actual.user) {
    if (++n % PACE_EVERY === 0) await pace();
    for (const subject of Object.keys(subjects)) {
      if (own(expected.user.get(linkuser), subject) === undefined) out.push({ kind: 'user_map_extra', provider, linkuser, subject });
    }
  }
}

/** System users whose per-user DBs are read at the same time by `checkDrift`. */
const READ_WIDTH = 8;

interface UserDbRead {
  linkuser: string;
  /** Host path. */
  path: string;
  empty: boolean;
  /** The DB's providers (openid_connect), or undefined when it cannot be read (see `message`). */
  providers?: Record<string, SubjectMap>;
  message?: string;
}

/** Every per-user DB of one system user, read and schema-checked, in listing order. */
async function readUserDbsOf(ctx: AuthnContext, sysuser: string): Promise<UserDbRead[]> {
  // A view of the disk for this directory: it is resolved once, not once per file.
  const view: AuthnContext = { ...ctx, disk: ctx.disk.scoped() };
  const out: UserDbRead[] = [];
  for (const linkuser of await listLinkUsers(view, sysuser)) {
    const dbp = userDbPath(sysuser, linkuser);
    const r: UserDbRead = { linkuser, path: view.disk.host(dbp), empty: false };
    try {
      // One read: the bytes tell "empty", and the same bytes are decoded as readUserDb does.
      const bytes = await view.disk.readFile(dbp);
      r.empty = bytes !== undefined && bytes.length === 0;
      r.providers = protocolMap(parseUserDb(bytes, r.path), PROTOCOL) ?? {};
    } catch (e) {
      r.message = e instanceof LinkstoreError ? e.message : String(e);
    }
    out.push(r);
  }
  return out;
}

/**
 * Every difference between the per-user DBs and the LinkDB of `provider` (or of every provider
 * that has either), plus file-level problems found on the way. An empty list means in step.
 */
export async function checkDrift(ctx: AuthnContext, provider?: string, options: DriftOptions = {}): Promise<DriftEntry[]> {
  const includeRoot = options.includeRoot !== false;
  const out: DriftEntry[] = [];
  const only = provider === undefined ? undefined : checkProviderName(provider).toLowerCase();
  const walked = await walkedSysusers(ctx, includeRoot);
  const walkedSet = new Set(walked);
  // File-level problems first, so that the expected index below can be built from readable files.
  const expected = new Map<string, LinkDb>();
  if (only !== undefined) expected.set(only, emptyLinkDb());
  // Read a few system users at a time (the reads wait on the thread pool), then fold in walk order.
  const perSysuser = await mapOrdered(walked, READ_WIDTH, (sysuser) => readUserDbsOf(ctx, sysuser));
  for (const dbs of perSysuser) {
    for (const { linkuser, path, empty, providers, message } of dbs) {
      // One link user's DB may hold thousands of links: offer the loop a turn before each.
      await pace();
      if (empty) out.push({ kind: 'empty_user_db', linkuser, path });
      if (providers === undefined) {
        out.push({ kind: 'unreadable_user_db', linkuser, path, message: message as string });
        continue;
      }
      for (const [prov, subjects] of Object.entries(providers)) {
        if (only !== undefined && prov !== only) continue;
        let ldb = expected.get(prov);
        if (!ldb) expected.set(prov, (ldb = emptyLinkDb()));
        saveLinksForUser(ldb, linkuser, subjects);
      }
    }
  }
  for (const dir of (await ctx.disk.readdir(USERS_DIR)) ?? []) {
    if (!walkedSet.has(dir) && dir !== 'root' && !dir.startsWith('.'))
      out.push({ kind: 'orphan_user_dir', linkuser: dir, path: ctx.disk.host(`${USERS_DIR}/${dir}`) });
  }
  const providers = new Set(expected.keys());
  if (only === undefined) for (const p of await linkDbProviders(ctx)) providers.add(p);
  for (const prov of [...providers].sort()) {
    await compare(prov, expected.get(prov) ?? emptyLinkDb(), await readLinkDb(ctx.disk, linkDbPath(prov)), out);
  }
  return out;
}
