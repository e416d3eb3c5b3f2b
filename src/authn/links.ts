/**
 * Add and remove one link (authn-links.md §7.1, §7.2) and read links back (§8.1, §9), keeping
 * the per-user DB and the provider's LinkDB in step under cPanel's lock order.
 */
import type { FileOp } from '../io/commit.js';
import { LinkstoreError } from '../io/errors.js';
import type { StepOptions } from '../io/planned-writes.js';
import type { AuthnUserDb, AuthnUserInfo } from '../generated/schemas.js';
import { MODE, PROTOCOL, linkDbPath, loginDirSpecs, userDirSpecs } from './constants.js';
import { type AuthnContext, type LinkUserRef, type MutationOptions, type MutationResult, requireLinkUser, sysuserGid, transact } from './context.js';
import {
  encodeDb,
  encodeLinkDbPaced,
  linkDbBytes,
  readLinkDbFile,
  readUserDb,
  saveLinksForUser,
  protocolMap,
  subjectsOf,
  withLink,
  withoutLink,
  type LinkDb,
} from './db.js';
import { MSG } from './messages.js';
import { enabledAnywhere } from './providers.js';
import {
  CHECKERS,
  type UserInfoInput,
  checkPreferredUsername,
  checkProtocol,
  checkProviderName,
  checkSubject,
  checkUserInfo,
  checkUserParam,
  normalizeLinkTime,
} from './validate.js';

export interface LinkParams {
  /** System user, `root`, or `local@domain`. */
  user: string;
  /** Provider id; lower-cased before the "enabled" check (authn-links.md §11 item 8). */
  provider: string;
  subject: string;
  /** Stored as given (preferred_username, link_time, extras); link_time defaults to now. */
  userInfo?: UserInfoInput;
  /** Only `openid_connect`. */
  protocol?: string;
}

export interface UnlinkParams {
  user: string;
  provider: string;
  subject: string;
  protocol?: string;
}

/** One entry of UAPI `get_authn_links`. */
export interface AuthnLink {
  provider_protocol: string;
  provider_id: string;
  subject_unique_identifier: string;
  /** As found on disk: an integer, or a string of digits in entries cPanel's restore wrote. */
  link_time: number | string | undefined;
  preferred_username: string | undefined;
}

function userDbWrite(ref: LinkUserRef, content: Uint8Array, gid: number): FileOp {
  return { op: 'write', path: ref.dbPath, content, mode: MODE.userDb, uid: 0, gid };
}

function linkDbWrite(provider: string, content: Uint8Array): FileOp {
  return { op: 'write', path: linkDbPath(provider), content, mode: MODE.linkDb, uid: 0, gid: 0 };
}

/** link_user_authn_provider / add_authn_link_for_user. */
export async function addLink(ctx: AuthnContext, params: LinkParams, options: StepOptions = {}): Promise<MutationResult> {
  const protocol = params.protocol ?? PROTOCOL;
  checkProtocol(protocol);
  const given = checkProviderName(params.provider);
  const provider = given.toLowerCase();
  if (!(await enabledAnywhere(ctx, provider))) {
    throw new LinkstoreError('E_PROVIDER', MSG.providerNotEnabled(given), { param: 'provider' });
  }
  const subject = checkSubject(params.subject);
  const info = checkUserInfo(params.userInfo ?? {});
  const user = checkUserParam(params.user);
  const ref = await requireLinkUser(ctx, user);
  checkPreferredUsername(info.preferred_username);
  const stored: AuthnUserInfo = { ...info, link_time: normalizeLinkTime(info.link_time, ctx.nowSeconds()) };
  // The file format wants a string here: a null or absent name is left out, a number kept as text.
  if (info.preferred_username === null || info.preferred_username === undefined) delete stored.preferred_username;
  else stored.preferred_username = String(info.preferred_username);
  return linkTransaction(ctx, ref, provider, options, (current, ldb) => {
    const db = withLink(current, protocol, provider, subject, stored);
    // cPanel re-syncs all of this user's subjects for the provider (§4.2).
    saveLinksForUser(ldb, ref.linkuser, subjectsOf(db, protocol, provider));
    return { db, order: 'user-db-first' };
  });
}

/** unlink_user_authn_provider / remove_authn_link_for_user. */
export async function removeLink(ctx: AuthnContext, params: UnlinkParams, options: MutationOptions = {}): Promise<MutationResult> {
  const protocol = params.protocol ?? PROTOCOL;
  checkProtocol(protocol);
  const given = checkProviderName(params.provider);
  const subject = checkSubject(params.subject);
  const user = checkUserParam(params.user, CHECKERS.removeUser);
  const ref = await requireLinkUser(ctx, user);

  // Check before creating anything (cPanel would leave a 0-byte DB behind here).
  const current = await readUserDb(ctx.disk, ref.dbPath);
  const provider = [given, given.toLowerCase()].find((p) => Object.hasOwn(subjectsOf(current, protocol, p), subject));
  if (provider === undefined) {
    throw new LinkstoreError('E_NO_SUCH_LINK', MSG.subjectNotLinked(), { param: 'subject_unique_identifier' });
  }
  return linkTransaction(ctx, ref, provider, options, (current, ldb) => {
    const db = withoutLink(current, protocol, provider, subject);
    if (db === undefined) throw new LinkstoreError('E_NO_SUCH_LINK', MSG.subjectNotLinked(), { param: 'subject_unique_identifier' });
    saveLinksForUser(ldb, ref.linkuser, { [subject]: null });
    // cPanel's remove order: LinkDB saved first, then the per-user DB.
    return { db, order: 'linkdb-first' };
  });
}

/**
 * One link or unlink: lock the per-user DB then the provider's LinkDB (cPanel's order), read both,
 * let `edit` change them, and write what changed in the order cPanel saves them.
 */
async function linkTransaction(
  ctx: AuthnContext,
  ref: LinkUserRef,
  provider: string,
  options: StepOptions,
  edit: (current: AuthnUserDb, ldb: LinkDb) => { db: AuthnUserDb; order: 'user-db-first' | 'linkdb-first' },
): Promise<MutationResult> {
  const gid = await sysuserGid(ctx, ref.sysuser);
  const ldbPath = linkDbPath(provider);
  return transact(
    ctx,
    {
      dirs: [...userDirSpecs(ref.sysuser), ...loginDirSpecs()],
      locks: [
        { path: ref.dbPath, mode: MODE.userDb },
        { path: ldbPath, mode: MODE.linkDb },
      ],
      dryRun: options.dryRun,
      planned: options.planned,
    },
    async (disk) => {
      const [current, { ldb, bytes }] = await Promise.all([readUserDb(disk, ref.dbPath), readLinkDbFile(disk, ldbPath)]);
      // The LinkDB is rewritten only when its bytes would change: compared with the file as read
      // (no deep copy, no second encoding of a map that grows with every link). A file cPanel wrote
      // in another key order is rewritten once, in ours. A missing file stays missing when the
      // edit leaves the (empty) maps as they were.
      const missingBefore = bytes === undefined ? await linkDbBytes(ldb) : undefined;
      const { db, order } = edit(current, ldb);
      const userOp = userDbWrite(ref, encodeDb('authn-user-db', db, ref.dbPath), gid);
      const after = await encodeLinkDbPaced(ldb, ldbPath);
      const unchanged = (bytes ?? (missingBefore as Buffer)).equals(after);
      const ldbOps = unchanged ? [] : [linkDbWrite(provider, after)];
      return order === 'user-db-first' ? [userOp, ...ldbOps] : [...ldbOps, userOp];
    },
  );
}

/** UAPI `get_authn_links` for one link user, from the per-user DB. Sorted by provider, subject. */
export async function getLinks(ctx: AuthnContext, user: string): Promise<AuthnLink[]> {
  // A user that does not exist is E_NO_SUCH_USER (one code per missing object), not an empty list.
  const ref = await requireLinkUser(ctx, checkUserParam(user));
  const db = await readUserDb(ctx.disk, ref.dbPath);
  const out: AuthnLink[] = [];
  for (const protocol of Object.keys(db).sort()) {
    const providers = protocolMap(db, protocol);
    if (!providers) continue;
    for (const provider of Object.keys(providers).sort()) {
      const subs = providers[provider] ?? {};
      for (const subject of Object.keys(subs).sort()) {
        const info = subs[subject] ?? {};
        out.push({
          provider_protocol: protocol,
          provider_id: provider,
          subject_unique_identifier: subject,
          link_time: info.link_time,
          preferred_username: info.preferred_username,
        });
      }
    }
  }
  return out;
}
