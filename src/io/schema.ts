/**
 * JSON Schema validation of file contents. The validators are ajv's standalone code, generated
 * from schemas/ with the rest of src/generated (`npm run gen`): no schema is compiled at run time
 * (loading ajv and compiling the first schema held the event loop for 70–180 ms), and the code is
 * only built on the first validation, so paths that never validate never pay for it.
 */
import type { ErrorObject } from 'ajv';
import { schemaById, type SchemaId } from '../generated/schemas.js';
import { createValidators } from '../generated/validators.js';
import { LinkstoreError } from './errors.js';
import { pace } from './pace.js';

/** A generated validator: true or false, and on false the first error in `errors` (ajv's shape). */
export type ValidateFunction = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

let validators: Record<string, ValidateFunction | undefined> | undefined;

export function schemaValidator(id: SchemaId): ValidateFunction {
  validators ??= createValidators() as Record<string, ValidateFunction | undefined>;
  const v = validators[id];
  if (!v) throw new Error(`No generated validator for schema ${id}: run npm run gen.`);
  return v;
}

function describe(v: ValidateFunction): string {
  const e = v.errors?.[0];
  if (!e) return 'it does not match its format';
  return `${e.instancePath || 'the top level'} ${e.message ?? 'is not valid'}`;
}

/** Throws E_CORRUPT_FILE naming `file` unless `value` matches schema `id`. */
export function assertFileSchema<T>(id: SchemaId, value: unknown, file: string): asserts value is T {
  const v = schemaValidator(id);
  if (!v(withMapsAsRecords(value))) throw corruptFormat(id, v, file);
}

/** Throws E_SCHEMA unless a value about to be written matches schema `id` (a library bug guard). */
export function assertWritable(id: SchemaId, value: unknown, file: string): void {
  const v = schemaValidator(id);
  if (!v(withMapsAsRecords(value))) throw notWritable(id, v, file);
}

/**
 * `value` with each top-level `Map` member (the LinkDB's big maps) as a record: a validator sees a
 * Map as an object without properties, which would pass unchecked. One step; the paced checks
 * below take large maps a part at a time instead.
 */
function withMapsAsRecords(value: unknown): unknown {
  if (!isMap(value) || !Object.values(value).some((m) => m instanceof Map)) return value;
  const out = Object.assign(Object.create(null) as Record<string, unknown>, value);
  for (const [name, m] of Object.entries(value)) {
    if (!(m instanceof Map)) continue;
    const record = Object.create(null) as Record<string, unknown>;
    for (const [k, e] of m as Map<string, unknown>) record[k] = e;
    out[name] = record;
  }
  return out;
}

function corruptFormat(id: SchemaId, v: ValidateFunction, file: string): LinkstoreError {
  return new LinkstoreError('E_CORRUPT_FILE', `The file “${file}” does not have the ${id} format: ${describe(v)}. Restore it from a backup or remove it.`, {
    path: file,
  });
}

function notWritable(id: SchemaId, v: ValidateFunction, file: string): LinkstoreError {
  return new LinkstoreError('E_SCHEMA', `Refusing to write “${file}”: the new content does not have the ${id} format (${describe(v)}).`, { path: file });
}

/** Entries of a map validated in one step by the paced checks below. */
const ENTRIES_PER_STEP = 512;
/** Schema keywords that constrain an object as a whole; a schema with none of them splits freely. */
const SPLITTABLE_MAP_KEYS = new Set(['type', 'additionalProperties', 'title', 'description', '$comment']);
const SPLITTABLE_TOP_KEYS = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  '$comment',
  'type',
  'properties',
  'additionalProperties',
  'required',
  'definitions',
]);

/**
 * The top-level properties of schema `id` that are maps whose entries are each checked on their
 * own (`additionalProperties` only, no count or dependency across entries): validating such a map
 * a part at a time gives the verdict of validating it whole.
 */
function splittableMaps(id: SchemaId): string[] {
  let names = splittableMapsOf.get(id);
  if (!names) splittableMapsOf.set(id, (names = findSplittableMaps(id)));
  return names;
}

const splittableMapsOf = new Map<SchemaId, string[]>();

/**
 * The members of schema `id` that a paced decode may return as `Map`s for a paced check (see
 * decodeStrictPaced): the maps the check splits anyway.
 */
export function pacedMapMembers(id: SchemaId): ReadonlySet<string> {
  return new Set(splittableMaps(id));
}

function findSplittableMaps(id: SchemaId): string[] {
  const schema = schemaById[id] as { properties?: Record<string, Record<string, unknown>> };
  if (!Object.keys(schema).every((k) => SPLITTABLE_TOP_KEYS.has(k)) || !schema.properties) return [];
  return Object.entries(schema.properties)
    .filter(([, sub]) => sub.type === 'object' && typeof sub.additionalProperties === 'object' && Object.keys(sub).every((k) => SPLITTABLE_MAP_KEYS.has(k)))
    .map(([name]) => name);
}

/**
 * Whether `value` matches schema `id`, as the validator says, letting the event loop turn while a
 * large map (the LinkDB's 20,000 subjects) is checked: the value with its splittable maps emptied
 * is checked first, then each map ENTRIES_PER_STEP entries at a time in the same frame, so no
 * entry is checked twice. Returns the failing validator (for its `errors`), or undefined.
 */
async function failingValidatorPaced(id: SchemaId, value: unknown): Promise<ValidateFunction | undefined> {
  const v = schemaValidator(id);
  const top = value as Record<string, unknown>;
  const maps = isMap(value) ? splittableMaps(id).filter((name) => Object.hasOwn(top, name) && isMap(top[name])) : [];
  const large = maps.some((name) => hasMoreKeysThan(top[name] as object, ENTRIES_PER_STEP));
  if (!large) return v(withMapsAsRecords(value)) ? undefined : v;
  const frame = Object.assign(Object.create(null) as Record<string, unknown>, top);
  for (const name of maps) frame[name] = Object.create(null);
  if (!v(withMapsAsRecords(frame))) return v;
  for (const name of maps) {
    const map = top[name] as Record<string, unknown> | Map<string, unknown>;
    const keys = map instanceof Map ? [...map.keys()] : Object.keys(map);
    const entry = map instanceof Map ? (k: string) => map.get(k) : (k: string) => map[k];
    for (let i = 0; i < keys.length; i += ENTRIES_PER_STEP) {
      await pace();
      const part = Object.create(null) as Record<string, unknown>;
      for (const key of keys.slice(i, i + ENTRIES_PER_STEP)) part[key] = entry(key);
      frame[name] = part;
      if (!v(frame)) return v;
    }
    frame[name] = Object.create(null);
  }
  return undefined;
}

/** A JSON object: a record, or a `Map` (the form of the LinkDB's big maps in memory). */
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function hasMoreKeysThan(map: object, limit: number): boolean {
  if (map instanceof Map) return map.size > limit;
  let n = 0;
  for (const _ in map) if (++n > limit) return true;
  return false;
}

/** `assertFileSchema`, letting the event loop turn while a large file's maps are checked. */
export async function assertFileSchemaPaced(id: SchemaId, value: unknown, file: string): Promise<void> {
  const failed = await failingValidatorPaced(id, value);
  if (failed) throw corruptFormat(id, failed, file);
}

/** `assertWritable`, letting the event loop turn while a large value's maps are checked. */
export async function assertWritablePaced(id: SchemaId, value: unknown, file: string): Promise<void> {
  const failed = await failingValidatorPaced(id, value);
  if (failed) throw notWritable(id, failed, file);
}
