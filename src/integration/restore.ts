/** Restore and transfer (integration-links.md §7.3): cPanel's replay of an archive through full validation, with its warnings. */
import { dict } from '../io/dict.js';
import { LinkstoreError, isLinkstoreError } from '../io/errors.js';
import { compareCodePoints, decodeStrict, isPlainObject, type JsonValue } from '../io/json-codec.js';
import { withoutRepeatedDirOps, type PlannedOp } from '../io/plan.js';
import type { Ctx } from './core.js';
import { createGroup, createLink, type MutationOptions } from './links.js';
import { MSG } from './messages.js';
import { ADMINCONFIG_SUFFIX, GROUP_PREFIX, USERCONFIG_SUFFIX, truthy } from './paths.js';
import type { IntegrationArchive } from './archive.js';

export interface RestoreResult {
  dryRun: boolean;
  /** Names (app, or `group_ID`) re-created. */
  restored: string[];
  /** Names that could not be restored (each has a warning). */
  failed: string[];
  warnings: string[];
  ops: PlannedOp[];
  /** Whether any file changed (false when every restored link was already in place). */
  changed: boolean;
}

/** Convert parsed userconfig values the way the restore path sees them, noting each change. */
function normalizeData(obj: Record<string, JsonValue>, file: string, warnings: string[]): Record<string, unknown> {
  const data = dict<unknown>();
  for (const [k, v] of Object.entries(obj)) {
    if (v === null) {
      warnings.push(MSG.nullDropped(file, k));
    } else if (typeof v === 'number') {
      warnings.push(MSG.numberConverted(file, k));
      data[k] = String(v);
    } else {
      data[k] = v; // strings pass; references are refused by validation with cPanel's message
    }
  }
  return data;
}

/** The token the restore copies from `APP.adminconfig`: truthy values only (§7.3). */
function archivedToken(content: Uint8Array | undefined, file: string, warnings: string[]): string | undefined {
  if (content === undefined) return undefined;
  let v: JsonValue;
  try {
    v = decodeStrict(content, file);
  } catch (e) {
    warnings.push(MSG.badAdminConfig(file, e instanceof Error ? e.message : String(e)));
    return undefined;
  }
  if (!isPlainObject(v)) {
    warnings.push(MSG.badAdminConfig(file, MSG.notAnObject(file)));
    return undefined;
  }
  const t = v.token;
  if (t === null || t === undefined) return undefined;
  const s = typeof t === 'number' ? String(t) : t;
  if (typeof s !== 'string') {
    warnings.push(MSG.badAdminConfig(file, 'the token is not a string'));
    return undefined;
  }
  if (!truthy(s)) {
    warnings.push(MSG.falsyTokenDropped(file));
    return undefined;
  }
  return s;
}

/**
 * Restore / transfer (§7.3): replay every `*.userconfig` (with its adminconfig token when truthy)
 * through full validation under `newUser`, with the new user's theme. A failing link is a warning
 * and the others continue; unrecognized files are reported.
 */
export async function restoreUser(ctx: Ctx, archive: IntegrationArchive, newUser: string, opts: MutationOptions = {}): Promise<RestoreResult> {
  const byName = new Map(archive.files.map((f) => [f.name, f.content]));
  const result: RestoreResult = { dryRun: opts.dryRun === true, restored: [], failed: [], warnings: [], ops: [], changed: false };
  const names = [...byName.keys()].sort(compareCodePoints);
  for (const name of names) {
    if (name.endsWith(USERCONFIG_SUFFIX) && name.length > USERCONFIG_SUFFIX.length) continue;
    if (name.endsWith(ADMINCONFIG_SUFFIX) && byName.has(name.slice(0, -ADMINCONFIG_SUFFIX.length) + USERCONFIG_SUFFIX)) continue;
    result.warnings.push(MSG.unrecognizedFile(name));
  }
  for (const name of names) {
    if (!name.endsWith(USERCONFIG_SUFFIX) || name.length === USERCONFIG_SUFFIX.length) continue;
    const base = name.slice(0, -USERCONFIG_SUFFIX.length);
    const label = archive.user === undefined ? name : `integration/links/${name}`;
    try {
      const parsed = decodeStrict(byName.get(name) as Uint8Array, label);
      if (!isPlainObject(parsed)) throw new LinkstoreError('E_CORRUPT_FILE', MSG.notAnObject(label));
      const data = normalizeData(parsed, label, result.warnings);
      const token = archivedToken(byName.get(base + ADMINCONFIG_SUFFIX), `${base}${ADMINCONFIG_SUFFIX}`, result.warnings);
      if (token !== undefined) data.token = token;
      const r = base.startsWith(GROUP_PREFIX)
        ? await createGroup(ctx, newUser, base.slice(GROUP_PREFIX.length), data, opts)
        : await createLink(ctx, newUser, base, data, opts);
      result.warnings.push(...r.warnings);
      result.ops.push(...r.ops);
      result.changed ||= r.changed;
      result.restored.push(base);
    } catch (e) {
      if (!isLinkstoreError(e)) throw e;
      result.failed.push(base);
      result.warnings.push(MSG.restoreFailed(name, e.message));
    }
  }
  return { ...result, ops: withoutRepeatedDirOps(result.ops) };
}
