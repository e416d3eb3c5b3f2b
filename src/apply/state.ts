/**
 * Desired-state files for `linkstore apply`: JSON or YAML text in, a value that matches
 * schemas/linkstore-state.schema.json out. Every failure is E_INVALID_STATE naming the key (as a
 * dotted path) and never quoting a value, since state files hold secrets.
 */
import type { ErrorObject } from 'ajv';
import type { LinkstoreState } from '../generated/schemas.js';
import { LinkstoreError } from '../io/errors.js';
import { describeSyntaxError } from '../io/json-syntax.js';
import { schemaValidator } from '../io/schema.js';

export type { LinkstoreState };

/** A dotted key path such as `accounts.bob.links.WHMCS_billing.label`. */
export function keyPath(parts: readonly string[]): string {
  return parts.map((p) => (/^[A-Za-z0-9_@-]+$/.test(p) ? p : JSON.stringify(p))).join('.');
}

function invalid(file: string, message: string, key?: string): LinkstoreError {
  return new LinkstoreError('E_INVALID_STATE', `The state file “${file}” is not valid: ${message}`, key === undefined ? {} : { param: key });
}

/** Parse JSON (`.json`) or YAML (anything else: YAML 1.2 is a superset of JSON). */
export async function parseStateText(text: string, file: string): Promise<unknown> {
  if (/\.json$/i.test(file)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // V8's message quotes the text around the error, and a state file holds tokens: say where only.
      throw invalid(file, `it is not JSON (${describeSyntaxError(text)}).`);
    }
  }
  // Loaded on demand: only `apply` of a YAML file pays for the parser.
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { uniqueKeys: true, merge: false, prettyErrors: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    const where = problem.linePos?.[0];
    throw invalid(file, `it is not YAML (${problem.code}${where ? ` at line ${where.line}, column ${where.col}` : ''}).`);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

function pointerParts(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function describeSchemaError(e: ErrorObject): { key: string; message: string } {
  const at = pointerParts(e.instancePath);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') {
    const key = keyPath([...at, String(params.additionalProperty)]);
    return { key, message: `“${key}” is not a known key${at.length ? ` of “${keyPath(at)}”` : ' at the top level'}.` };
  }
  // ajv puts the offending name on the error itself for the name's own check, in params for the wrapper.
  const name = (e as { propertyName?: string }).propertyName ?? params.propertyName;
  if (name !== undefined) {
    const key = keyPath([...at, String(name)]);
    return { key, message: `the name in “${key}” is not acceptable there.` };
  }
  if (e.keyword === 'required') {
    const key = keyPath([...at, String(params.missingProperty)]);
    return { key, message: `“${key}” is required.` };
  }
  const key = at.length ? keyPath(at) : '(top level)';
  if (e.keyword === 'type')
    return { key, message: `“${key}” must be ${String(params.type) === 'string' ? 'a string (quote numbers in YAML)' : `of type ${String(params.type)}`}.` };
  if (e.keyword === 'enum') return { key, message: `“${key}” must be one of ${(params.allowedValues as unknown[]).join(', ')}.` };
  if (e.keyword === 'uniqueItems') return { key, message: `“${key}” lists the same item twice.` };
  return { key, message: `“${key}” ${e.message ?? 'is not valid'}.` };
}

/** Validate a parsed value against the state schema; throws E_INVALID_STATE naming the key. */
export function validateState(value: unknown, file: string): LinkstoreState {
  const validate = schemaValidator('linkstore-state');
  if (!validate(value)) {
    const first = validate.errors?.[0];
    if (first === undefined) throw invalid(file, 'it does not match the state schema.');
    const { key, message } = describeSchemaError(first);
    throw invalid(file, message, key);
  }
  return value as LinkstoreState;
}

export async function loadState(text: string, file: string): Promise<LinkstoreState> {
  return validateState(await parseStateText(text, file), file);
}
