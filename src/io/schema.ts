/**
 * JSON Schema validation of file contents. Each schema is compiled once, on first use, so code
 * paths that never validate (the CLI's read-only commands) never load ajv at all.
 */
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { schemaById, type SchemaId } from '../generated/schemas.js';
import { LinkstoreError } from './errors.js';

type AjvInstance = { compile(schema: object): ValidateFunction };
let ajv: AjvInstance | undefined;
const compiled = new Map<SchemaId, ValidateFunction>();

function getAjv(): AjvInstance {
  if (!ajv) {
    // ajv is CommonJS; a synchronous require keeps validation synchronous and lazy.
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as { default: new (o: object) => AjvInstance };
    ajv = new Ajv.default({ allErrors: false, strict: true, allowUnionTypes: true });
  }
  return ajv;
}

export function schemaValidator(id: SchemaId): ValidateFunction {
  let v = compiled.get(id);
  if (!v) {
    v = getAjv().compile(schemaById[id] as object);
    compiled.set(id, v);
  }
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
  if (!v(value)) {
    throw new LinkstoreError('E_CORRUPT_FILE', `The file “${file}” does not have the ${id} format: ${describe(v)}. Restore it from a backup or remove it.`, {
      path: file,
    });
  }
}

/** Throws E_SCHEMA unless a value about to be written matches schema `id` (a library bug guard). */
export function assertWritable(id: SchemaId, value: unknown, file: string): void {
  const v = schemaValidator(id);
  if (!v(value)) {
    throw new LinkstoreError('E_SCHEMA', `Refusing to write “${file}”: the new content does not have the ${id} format (${describe(v)}).`, { path: file });
  }
}
