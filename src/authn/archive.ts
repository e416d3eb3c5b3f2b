/**
 * The pkgacct view of `links/users/USER/` (authn-links.md §10.3): backup copies the whole
 * directory into the archive's `authnlinks/`; restore replays every `*.db` through add (§7.1).
 */
import { LinkstoreError, isLinkstoreError } from '../io/errors.js';
import { compareCodePoints, decodeStrict, isPlainObject, type JsonValue } from '../io/json-codec.js';
import { nodeNameProblem } from '../io/node-name.js';
import { withoutRepeatedDirOps, type PlannedOp } from '../io/plan.js';
import { PlannedWrites, type StepOptions } from '../io/planned-writes.js';
import { readFilesOf, type ArchiveFile } from '../integration/archive.js';
import { PROTOCOL, USER_DB_VERSION, userDir } from './constants.js';
import type { AuthnContext, MutationOptions } from './context.js';
import { addLink } from './links.js';
import type { UserInfoInput } from './validate.js';

export type { ArchiveFile };

export interface AuthnRestoreResult {
  dryRun: boolean;
  /** `linkuser provider subject` of each link replayed. */
  restored: string[];
  /** Links that could not be replayed (each has a warning). */
  failed: string[];
  /** Link users left out because they do not belong to the account (each has a warning). */
  skipped: string[];
  warnings: string[];
  ops: PlannedOp[];
}

/** Backup: every regular file of `links/users/USER/`, as pkgacct copies it (strays included). */
export async function exportAuthnUser(ctx: AuthnContext, user: string): Promise<ArchiveFile[]> {
  if (nodeNameProblem(user) !== undefined) throw new LinkstoreError('E_INVALID_NAME', `The user name “${user}” is not valid.`, { param: 'user' });
  return readFilesOf(ctx, userDir(user));
}

interface ArchivedDb {
  file: string;
  linkuser: string;
  providers: Record<string, JsonValue>;
}

/**
 * The archived `__VERSION` as a message names it: a short version-like string as found; anything
 * else (an object, a long text: whatever the archive put there) is not quoted.
 */
function versionShown(v: JsonValue | undefined): string {
  if (v === undefined) return 'no version';
  return typeof v === 'string' && /^[0-9A-Za-z._-]{1,16}$/.test(v) ? `the version “${v}”` : 'an unsupported version';
}

/** Parse one archived DB as the restore loads it: strict JSON, not empty, `__VERSION` "1.0". */
function parseArchivedDb(f: ArchiveFile, label: string): Record<string, JsonValue> {
  if (f.content.length === 0) throw new LinkstoreError('E_CORRUPT_FILE', `The file “${label}” is empty; the system cannot restore it.`, { path: label });
  const db = decodeStrict(f.content, label);
  if (!isPlainObject(db)) throw new LinkstoreError('E_CORRUPT_FILE', `The file “${label}” does not hold a JSON object.`, { path: label });
  const v = db.__VERSION;
  if (v !== USER_DB_VERSION) {
    throw new LinkstoreError('E_CORRUPT_FILE', `The file “${label}” has ${versionShown(v)}; the system can only restore version “${USER_DB_VERSION}”.`, {
      path: label,
    });
  }
  return db;
}

/** Load every archived `*.db` as the restore does (throws on the first bad one); for a check before any phase writes. */
export function checkAuthnArchive(files: readonly ArchiveFile[]): void {
  for (const f of files) if (f.name.length >= 4 && f.name.endsWith('.db')) parseArchivedDb(f, `authnlinks/${f.name}`);
}

/**
 * Restore (§10.3): for each `*.db` of the archive, a name that is not an email address becomes
 * `newUser`; an email name is kept, and skipped with a warning unless its domain belongs to
 * `newUser`. Every file is loaded (strict JSON, non-empty, version "1.0") before anything is
 * written — one bad file aborts the whole step, as cPanel's does, but here with nothing written.
 * Each link is then replayed through add with its archived user-info (link_time and
 * preferred_username kept); a link that fails (provider not enabled here, an invalid value) is a
 * warning and the others continue. Files that are not `*.db` are reported as strays.
 */
export async function restoreAuthnUser(
  ctx: AuthnContext,
  files: readonly ArchiveFile[],
  newUser: string,
  opts: MutationOptions = {},
): Promise<AuthnRestoreResult> {
  const result: AuthnRestoreResult = { dryRun: opts.dryRun === true, restored: [], failed: [], skipped: [], warnings: [], ops: [] };
  const dbs: ArchivedDb[] = [];
  for (const f of [...files].sort((a, b) => compareCodePoints(a.name, b.name))) {
    const label = `authnlinks/${f.name}`;
    if (f.name.length < 4 || !f.name.endsWith('.db')) {
      result.warnings.push(`The system has skipped the unrecognized file “${f.name}”.`);
      continue;
    }
    const archived = f.name.slice(0, -3);
    const db = parseArchivedDb(f, label);
    if (!archived.includes('@')) {
      dbs.push({ file: label, linkuser: newUser, providers: providersIn(db) });
      continue;
    }
    const owner = await ctx.users.domainOwner(archived.slice(archived.lastIndexOf('@') + 1));
    if (owner !== newUser) {
      result.skipped.push(archived);
      result.warnings.push(`The system skipped the External Authentication links of “${archived}” because that address does not belong to “${newUser}”.`);
      continue;
    }
    dbs.push({ file: label, linkuser: archived, providers: providersIn(db) });
  }
  // A dry run replays each link against what the earlier replays plan (several links of one
  // provider each extend its LinkDB), as the real run replays them against what they wrote.
  const steps: StepOptions = opts.dryRun === true ? { ...opts, planned: new PlannedWrites() } : opts;
  for (const db of dbs) await replay(ctx, db, steps, result);
  return { ...result, ops: withoutRepeatedDirOps(result.ops) };
}

function providersIn(db: Record<string, JsonValue>): Record<string, JsonValue> {
  const p = db[PROTOCOL];
  return isPlainObject(p) ? p : {};
}

async function replay(ctx: AuthnContext, db: ArchivedDb, opts: StepOptions, result: AuthnRestoreResult): Promise<void> {
  for (const provider of Object.keys(db.providers).sort(compareCodePoints)) {
    const subjects = db.providers[provider];
    for (const subject of isPlainObject(subjects) ? Object.keys(subjects).sort(compareCodePoints) : []) {
      const info = (subjects as Record<string, JsonValue>)[subject];
      const key = `${db.linkuser} ${provider} ${subject}`;
      try {
        if (!isPlainObject(info)) throw new LinkstoreError('E_CORRUPT_FILE', `the user-info of subject “${subject}” is not an object`);
        const r = await addLink(ctx, { user: db.linkuser, provider, subject, userInfo: info as UserInfoInput }, opts);
        result.ops.push(...r.ops);
        result.warnings.push(...r.warnings);
        result.restored.push(key);
      } catch (e) {
        if (!isLinkstoreError(e)) throw e;
        result.failed.push(key);
        result.warnings.push(`The system could not restore the “${provider}” link “${subject}” of “${db.linkuser}” (${db.file}): ${e.message}`);
      }
    }
  }
}
