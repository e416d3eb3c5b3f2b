/**
 * Flat `key=value` parameters as the WHM HTTP API receives them (all strings), with cPanel's
 * messages for missing and empty required parameters.
 */
import { dict, own } from '../io/dict.js';
import { LinkstoreError } from '../io/errors.js';
import { parseJsonText } from '../io/json-codec.js';

export type WhmParams = Readonly<Record<string, string>>;

/** A required parameter that may be empty (the domain layer then rejects it with its own message). */
export function defined(params: WhmParams, name: string): string {
  const v = own(params, name);
  if (v === undefined) throw new LinkstoreError('E_MISSING_PARAM', `Provide the “${name}” parameter.`, { param: name });
  return v;
}

/** A required parameter that must also be non-empty ("length required"). */
export function nonEmpty(params: WhmParams, name: string): string {
  const v = defined(params, name);
  if (v === '') throw new LinkstoreError('E_MISSING_PARAM', `The value of “${name}” may not be empty.`, { param: name });
  return v;
}

/** Parse a JSON object parameter (`configurations=...`). */
export function jsonObject(params: WhmParams, name: string): Record<string, unknown> {
  const raw = defined(params, name);
  const parsed = parseJsonText(raw);
  if (!parsed.ok) throw new LinkstoreError('E_INVALID_PARAM', `The “${name}” parameter must be a JSON object.`, { param: name });
  const v = parsed.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new LinkstoreError('E_INVALID_PARAM', `The “${name}” parameter must be a JSON object.`, { param: name });
  }
  return v as Record<string, unknown>;
}

/** Only the listed keys, for functions that pass the rest through to the domain layer. */
export function pick(params: WhmParams, keys: readonly string[]): Record<string, string> {
  const out = dict<string>();
  for (const k of keys) {
    const v = own(params, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
