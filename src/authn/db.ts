/**
 * The two stores as data: reading them the way cPanel's readers do (missing, 0-byte or `null`
 * means empty; anything else must be the format), and the pure edits cPanel applies to them
 * (authn-links.md §3, §4). No locking and no writing here; see store.ts.
 */
import type { Disk } from '../io/disk.js';
import { LinkstoreError } from '../io/errors.js';
import { cloneJson, dict, dictFrom, own } from '../io/dict.js';
import { decodeStrict, decodeStrictPaced, encodeCompact, encodeCompactPaced, isPlainObject, type JsonValue } from '../io/json-codec.js';
import { assertFileSchema, assertFileSchemaPaced, assertWritable, assertWritablePaced } from '../io/schema.js';
import type { SchemaId } from '../generated/schemas.js';
import type { AuthnLinkDb, AuthnLinkDbUserInfo, AuthnUserDb, AuthnUserInfo } from '../generated/schemas.js';
import { LINKDB_VERSION, USER_DB_VERSION } from './constants.js';

export type SubjectMap = Record<string, AuthnUserInfo>;

/**
 * Read a JSON DB as `Cpanel::Transaction::File::JSONReader` does: `undefined` for a missing or
 * 0-byte file or a false top-level scalar; otherwise it must be an object of format `schema`.
 */
export async function readJsonObject(disk: Disk, cpanelPath: string, schema: SchemaId): Promise<Record<string, unknown> | undefined> {
  return (await readJsonFile(disk, cpanelPath, schema)).value;
}

/** `readJsonObject`, also returning the bytes read (undefined when the file is missing). */
async function readJsonFile(
  disk: Disk,
  cpanelPath: string,
  schema: SchemaId,
): Promise<{ value: Record<string, unknown> | undefined; bytes: Buffer | undefined }> {
  const bytes = await disk.readFile(cpanelPath);
  return { value: await decodeObjectPaced(disk.host(cpanelPath), schema, bytes), bytes };
}

/** The JSONReader rule on bytes already read (`file` is the host path, for messages). */
export function decodeObject(file: string, schema: SchemaId, bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined || bytes.length === 0) return undefined;
  return checkedObject(file, schema, decodeStrict(bytes, file));
}

/** `decodeObject` letting the event loop turn while a large file (a big LinkDB) is checked. */
export async function decodeObjectPaced(file: string, schema: SchemaId, bytes: Buffer | undefined): Promise<Record<string, unknown> | undefined> {
  if (bytes === undefined || bytes.length === 0) return undefined;
  const value = jsonObject(file, await decodeStrictPaced(bytes, file));
  if (value !== undefined) await assertFileSchemaPaced(schema, value, file);
  return value;
}

function checkedObject(file: string, schema: SchemaId, value: JsonValue): Record<string, unknown> | undefined {
  const object = jsonObject(file, value);
  if (object !== undefined) assertFileSchema(schema, object, file);
  return object;
}

/** The JSONReader rule on a decoded value: a false scalar is "no data", anything else an object. */
function jsonObject(file: string, value: JsonValue): Record<string, JsonValue> | undefined {
  if (value === null || value === false || value === 0 || value === '') return undefined;
  if (!isPlainObject(value)) {
    throw new LinkstoreError('E_CORRUPT_FILE', `The file “${file}” is corrupt: it does not hold a JSON object. Restore it from a backup or remove it.`, {
      path: file,
    });
  }
  return value;
}

export function encodeDb(schema: SchemaId, value: unknown, cpanelPath: string): Uint8Array {
  assertWritable(schema, value, cpanelPath);
  return Buffer.from(encodeCompact(value), 'utf8');
}

/** `encodeDb` letting the event loop turn while a large value (a big LinkDB) is encoded. */
export async function encodeDbPaced(schema: SchemaId, value: unknown, cpanelPath: string): Promise<Uint8Array> {
  await assertWritablePaced(schema, value, cpanelPath);
  return Buffer.from(await encodeCompactPaced(value), 'utf8');
}

// ---------------------------------------------------------------- per-user DB

export async function readUserDb(disk: Disk, cpanelPath: string): Promise<AuthnUserDb> {
  return parseUserDb(await disk.readFile(cpanelPath), disk.host(cpanelPath));
}

/** A per-user DB from bytes already read (`hostPath` for messages); missing or empty is an empty DB. */
export function parseUserDb(bytes: Buffer | undefined, hostPath: string): AuthnUserDb {
  return (decodeObject(hostPath, 'authn-user-db', bytes) ?? dict()) as AuthnUserDb;
}

/** protocol → provider → subject → user-info of a per-user DB (without `__VERSION`). */
export function protocolMap(db: AuthnUserDb, protocol: string): Record<string, SubjectMap> | undefined {
  if (protocol === '__VERSION') return undefined;
  const v = own(db as Record<string, unknown>, protocol);
  return isPlainObject(v) ? (v as Record<string, SubjectMap>) : undefined;
}

export function subjectsOf(db: AuthnUserDb, protocol: string, provider: string): SubjectMap {
  return own(protocolMap(db, protocol), provider) ?? dict();
}

/** Every provider of `protocol` that holds at least one subject. */
export function providersOf(db: AuthnUserDb, protocol: string): string[] {
  const m = protocolMap(db, protocol);
  return m ? Object.keys(m).filter((p) => Object.keys(own(m, p) ?? {}).length > 0) : [];
}

/** §3.2 add: `__VERSION` "1.0" and the subject's user-info (overwriting). Returns a new DB. */
export function withLink(db: AuthnUserDb, protocol: string, provider: string, subject: string, info: AuthnUserInfo): AuthnUserDb {
  // Copies only the maps on the edited path; the rest is shared with `db`, which stays unchanged.
  const proto = dictFrom(protocolMap(db, protocol));
  const subjects = dictFrom(own(proto, provider));
  subjects[subject] = info;
  proto[provider] = subjects;
  const out = dictFrom(db as Record<string, unknown>);
  out.__VERSION = USER_DB_VERSION;
  out[protocol] = proto;
  return out as AuthnUserDb;
}

/** §3.2 remove: delete the subject, then an empty provider, then an empty protocol. */
export function withoutLink(db: AuthnUserDb, protocol: string, provider: string, subject: string): AuthnUserDb | undefined {
  const proto = protocolMap(db, protocol);
  const subs = own(proto, provider);
  if (!subs || !Object.hasOwn(subs, subject)) return undefined;
  const out = cloneJson(db);
  const p = protocolMap(out, protocol) as Record<string, SubjectMap>;
  const s = p[provider] as SubjectMap;
  delete s[subject];
  if (Object.keys(s).length === 0) delete p[provider];
  if (Object.keys(p).length === 0) delete out[protocol];
  return out;
}

// ---------------------------------------------------------------- LinkDB

export interface LinkDb extends AuthnLinkDb {
  subject_unique_identifier: Record<string, Record<string, AuthnLinkDbUserInfo>>;
  user: Record<string, Record<string, number>>;
}

/** A LinkDB with both maps present (a missing file or `null` reads as empty maps). */
export async function readLinkDb(disk: Disk, cpanelPath: string): Promise<LinkDb> {
  return (await readLinkDbFile(disk, cpanelPath)).ldb;
}

/** `readLinkDb`, also returning the file's bytes as read (undefined when it is missing). */
export async function readLinkDbFile(disk: Disk, cpanelPath: string): Promise<{ ldb: LinkDb; bytes: Buffer | undefined }> {
  const { value, bytes } = await readJsonFile(disk, cpanelPath, 'authn-linkdb');
  return { ldb: normalizeLinkDb((value ?? {}) as AuthnLinkDb), bytes };
}

export function normalizeLinkDb(raw: AuthnLinkDb): LinkDb {
  const out = dictFrom(raw as Record<string, unknown>) as unknown as LinkDb;
  out.subject_unique_identifier = raw.subject_unique_identifier ?? dict();
  out.user = raw.user ?? dict();
  return out;
}

function pruneSet<T>(map: Record<string, Record<string, T>>, outer: string, inner: string): void {
  const m = own(map, outer);
  if (!m) return;
  delete m[inner];
  if (Object.keys(m).length === 0) delete map[outer];
}

/**
 * `save_links_for_user`: per subject, upsert a non-empty user-info (plus `version` "1.1") into
 * both maps, or delete both entries for anything else. Mutates `ldb`.
 */
export function saveLinksForUser(ldb: LinkDb, user: string, links: Record<string, AuthnUserInfo | null>): void {
  for (const [subject, info] of Object.entries(links)) {
    if (info && isPlainObject(info) && Object.keys(info).length > 0) {
      const byUser = own(ldb.subject_unique_identifier, subject) ?? (ldb.subject_unique_identifier[subject] = dict());
      byUser[user] = Object.assign(dictFrom(info), { version: LINKDB_VERSION });
      (own(ldb.user, user) ?? (ldb.user[user] = dict()))[subject] = 1;
    } else {
      pruneSet(ldb.subject_unique_identifier, subject, user);
      pruneSet(ldb.user, user, subject);
    }
  }
}

/**
 * `remove_all_links_for_users`: drop each user's `user` entry and its subject entries. Unlike
 * cPanel, subject entries that the `user` map lost track of are removed too. Mutates `ldb`.
 */
export function removeAllLinksForUsers(ldb: LinkDb, users: readonly string[]): void {
  const gone = new Set(users);
  for (const u of users) delete ldb.user[u];
  for (const subject of Object.keys(ldb.subject_unique_identifier)) {
    for (const u of Object.keys(own(ldb.subject_unique_identifier, subject) ?? {})) {
      if (gone.has(u)) pruneSet(ldb.subject_unique_identifier, subject, u);
    }
  }
}

/** `change_usernames`: move both map entries of each old name to its new name. Mutates `ldb`. */
export function changeUsernames(ldb: LinkDb, renames: Record<string, string>): void {
  for (const [from, to] of Object.entries(renames)) {
    if (from === to) continue;
    const subjects = own(ldb.user, from);
    if (subjects) {
      ldb.user[to] = Object.assign(dictFrom(own(ldb.user, to)), subjects);
      delete ldb.user[from];
    }
    for (const subject of Object.keys(ldb.subject_unique_identifier)) {
      const m = ldb.subject_unique_identifier[subject] as Record<string, AuthnLinkDbUserInfo>;
      if (Object.hasOwn(m, from)) {
        m[to] = m[from] as AuthnLinkDbUserInfo;
        delete m[from];
      }
    }
  }
}

/** Stable text of a JSON value for change detection (keys sorted). */
export function sameJson(a: unknown, b: unknown): boolean {
  return encodeCompact(a) === encodeCompact(b);
}
