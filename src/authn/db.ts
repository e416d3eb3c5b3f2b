/**
 * The two stores as data: reading them the way cPanel's readers do (missing, 0-byte or `null`
 * means empty; anything else must be the format), and the pure edits cPanel applies to them
 * (authn-links.md §3, §4). No locking and no writing here; see store.ts.
 */
import type { Disk } from '../io/disk.js';
import { LinkstoreError } from '../io/errors.js';
import { cloneJson, dict, dictFrom, own } from '../io/dict.js';
import { decodeStrict, decodeStrictPaced, encodeCompact, encodeCompactBytesPaced, isPlainObject, type JsonValue } from '../io/json-codec.js';
import { assertFileSchema, assertFileSchemaPaced, assertWritable, assertWritablePaced } from '../io/schema.js';
import type { SchemaId } from '../generated/schemas.js';
import type { AuthnLinkDbUserInfo, AuthnUserDb, AuthnUserInfo } from '../generated/schemas.js';
import { LINKDB_VERSION, USER_DB_VERSION } from './constants.js';

export type SubjectMap = Record<string, AuthnUserInfo>;

/**
 * Read a JSON DB as `Cpanel::Transaction::File::JSONReader` does: `undefined` for a missing or
 * 0-byte file or a false top-level scalar; otherwise it must be an object of format `schema`.
 */
export async function readJsonObject(disk: Disk, cpanelPath: string, schema: SchemaId): Promise<Record<string, unknown> | undefined> {
  return decodeObjectPaced(disk.host(cpanelPath), schema, await disk.readFile(cpanelPath));
}

/** The JSONReader rule on bytes already read (`file` is the host path, for messages). */
function decodeObject(file: string, schema: SchemaId, bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined || bytes.length === 0) return undefined;
  return checkedObject(file, schema, decodeStrict(bytes, file));
}

/**
 * `decodeObject` letting the event loop turn while a large file (a big LinkDB) is checked;
 * `mapMembers` may come back as Maps (see decodeStrictPaced).
 */
async function decodeObjectPaced(
  file: string,
  schema: SchemaId,
  bytes: Buffer | undefined,
  mapMembers?: ReadonlySet<string>,
): Promise<Record<string, unknown> | undefined> {
  if (bytes === undefined || bytes.length === 0) return undefined;
  const value = jsonObject(file, await decodeStrictPaced(bytes, file, mapMembers));
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
async function encodeDbPaced(schema: SchemaId, value: unknown, cpanelPath: string): Promise<Buffer> {
  await assertWritablePaced(schema, value, cpanelPath);
  return encodeCompactBytesPaced(value);
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
  return withLinks(db, protocol, provider, new Map([[subject, info]]));
}

/**
 * §3.2 add for many subjects of one provider, in the map's order: the same DB as one `withLink`
 * per subject, but the provider's subject map is copied once, not once per subject (an import of
 * thousands of links into a user holding thousands was quadratic, and overran its lock's bound).
 */
export function withLinks(db: AuthnUserDb, protocol: string, provider: string, links: ReadonlyMap<string, AuthnUserInfo>): AuthnUserDb {
  // Copies only the maps on the edited path; the rest is shared with `db`, which stays unchanged.
  const proto = dictFrom(protocolMap(db, protocol));
  const subjects = dictFrom(own(proto, provider));
  for (const [subject, info] of links) subjects[subject] = info;
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

/**
 * A LinkDB in memory. Its two maps grow with every link on the server (100,000 subjects is a
 * 12 MB file), so they are `Map`s: listing a Map's keys takes a millisecond, where `Object.keys`
 * of a 100,000-key object held the event loop for 50–75 ms in one step. Their inner maps (a
 * subject's users, a user's subjects) are small null-prototype records, as read.
 */
export interface LinkDb {
  subject_unique_identifier: Map<string, Record<string, AuthnLinkDbUserInfo>>;
  user: Map<string, Record<string, number>>;
  /** Any other top-level member, as found (cPanel writes none; they are kept). */
  others: Record<string, unknown>;
}

/** The LinkDB members read as Maps when a file is decoded in slices (see decodeStrictPaced). */
const LINKDB_MAPS: ReadonlySet<string> = new Set(['subject_unique_identifier', 'user']);

export function emptyLinkDb(): LinkDb {
  return { subject_unique_identifier: new Map(), user: new Map(), others: dict() };
}

/** A LinkDB with both maps present (a missing file or `null` reads as empty maps). */
export async function readLinkDb(disk: Disk, cpanelPath: string): Promise<LinkDb> {
  return (await readLinkDbFile(disk, cpanelPath)).ldb;
}

/** `readLinkDb`, also returning the file's bytes as read (undefined when it is missing). */
export async function readLinkDbFile(disk: Disk, cpanelPath: string): Promise<{ ldb: LinkDb; bytes: Buffer | undefined }> {
  const bytes = await disk.readFile(cpanelPath);
  return { ldb: await decodeLinkDbPaced(disk.host(cpanelPath), bytes), bytes };
}

/** A LinkDB from bytes already read (`file` for messages), checked against its format, in slices. */
export async function decodeLinkDbPaced(file: string, bytes: Buffer | undefined): Promise<LinkDb> {
  const value = await decodeObjectPaced(file, 'authn-linkdb', bytes, LINKDB_MAPS);
  return value === undefined ? emptyLinkDb() : toLinkDb(value);
}

/** The in-memory form of a decoded LinkDB that matched its format. */
function toLinkDb(raw: Record<string, unknown>): LinkDb {
  const others = dictFrom(raw);
  delete others.subject_unique_identifier;
  delete others.user;
  return {
    subject_unique_identifier: asMap(own(raw, 'subject_unique_identifier')) as LinkDb['subject_unique_identifier'],
    user: asMap(own(raw, 'user')) as LinkDb['user'],
    others,
  };
}

/** A decoded map as a Map: a large one already is one; a small one (parsed whole) is copied. */
function asMap(v: unknown): Map<string, unknown> {
  if (v instanceof Map) return v as Map<string, unknown>;
  return v === undefined ? new Map() : new Map(Object.entries(v as Record<string, unknown>));
}

/** The LinkDB as the JSON value to write: its other members and the two maps (Maps encode as objects). */
function linkDbValue(ldb: LinkDb): Record<string, unknown> {
  return Object.assign(dictFrom(ldb.others), { subject_unique_identifier: ldb.subject_unique_identifier, user: ldb.user });
}

/** The bytes of a LinkDB to write, checked against its format, in slices. */
export function encodeLinkDbPaced(ldb: LinkDb, cpanelPath: string): Promise<Buffer> {
  return encodeDbPaced('authn-linkdb', linkDbValue(ldb), cpanelPath);
}

/**
 * The canonical bytes of a LinkDB, in slices, without the format check: for change detection
 * (bytes, not a string: joining a 12 MB text is one 10–20 ms step, comparing buffers a memcmp).
 */
export function linkDbBytes(ldb: LinkDb): Promise<Buffer> {
  return encodeCompactBytesPaced(linkDbValue(ldb));
}

/** Whether the LinkDB has no entries at all (a missing file that would stay empty). */
export function isEmptyLinkDb(ldb: LinkDb): boolean {
  return ldb.subject_unique_identifier.size === 0 && ldb.user.size === 0;
}

/** Remove `inner` from the record at `outer`, then the record when it is left empty. */
function pruneEntry<T>(map: Map<string, Record<string, T>>, outer: string, inner: string): void {
  const m = map.get(outer);
  if (!m) return;
  delete m[inner];
  if (isEmptyRecord(m)) map.delete(outer);
}

function isEmptyRecord(m: object): boolean {
  for (const _ in m) return false;
  return true;
}

/** The record at `key` of `map`, created (empty, null-prototype) when missing. */
function recordAt<T>(map: Map<string, Record<string, T>>, key: string): Record<string, T> {
  let m = map.get(key);
  if (!m) map.set(key, (m = dict<T>()));
  return m;
}

/**
 * `save_links_for_user`: per subject, upsert a non-empty user-info (plus `version` "1.1") into
 * both maps, or delete both entries for anything else. Mutates `ldb`.
 */
export function saveLinksForUser(ldb: LinkDb, user: string, links: Record<string, AuthnUserInfo | null>): void {
  for (const [subject, info] of Object.entries(links)) {
    if (info && isPlainObject(info) && Object.keys(info).length > 0) {
      recordAt(ldb.subject_unique_identifier, subject)[user] = Object.assign(dictFrom(info), { version: LINKDB_VERSION });
      recordAt(ldb.user, user)[subject] = 1;
    } else {
      pruneEntry(ldb.subject_unique_identifier, subject, user);
      pruneEntry(ldb.user, user, subject);
    }
  }
}

/**
 * `remove_all_links_for_users`: drop each user's `user` entry and its subject entries. Unlike
 * cPanel, subject entries that the `user` map lost track of are removed too. Mutates `ldb`.
 */
export function removeAllLinksForUsers(ldb: LinkDb, users: readonly string[]): void {
  const gone = [...new Set(users)];
  for (const u of gone) ldb.user.delete(u);
  // Every subject is visited (a user map may have lost track of some), asking only about the
  // removed users; deleting the entry being visited is safe in a Map's iteration.
  for (const [subject, byUser] of ldb.subject_unique_identifier) {
    for (const u of gone) if (Object.hasOwn(byUser, u)) pruneEntry(ldb.subject_unique_identifier, subject, u);
  }
}

/** `change_usernames`: move both map entries of each old name to its new name. Mutates `ldb`. */
export function changeUsernames(ldb: LinkDb, renames: Record<string, string>): void {
  for (const [from, to] of Object.entries(renames)) {
    if (from === to) continue;
    const subjects = ldb.user.get(from);
    if (subjects) {
      ldb.user.set(to, Object.assign(dictFrom(ldb.user.get(to)), subjects));
      ldb.user.delete(from);
    }
    for (const byUser of ldb.subject_unique_identifier.values()) {
      if (Object.hasOwn(byUser, from)) {
        byUser[to] = byUser[from] as AuthnLinkDbUserInfo;
        delete byUser[from];
      }
    }
  }
}

/** Stable text of a JSON value for change detection (keys sorted). */
export function sameJson(a: unknown, b: unknown): boolean {
  return encodeCompact(a) === encodeCompact(b);
}
