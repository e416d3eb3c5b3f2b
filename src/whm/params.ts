/**
 * Flat `key=value` parameters as the WHM HTTP API receives them (all strings), with cPanel's
 * messages for missing and empty required parameters.
 */
import { LinkstoreError } from '../io/errors.js';

export type WhmParams = Readonly<Record<string, string>>;

/** A required parameter that may be empty (the domain layer then rejects it with its own message). */
export function defined(params: WhmParams, name: string): string {
  const v = params[name];
  if (v === undefined) throw new LinkstoreError('E_MISSING_PARAM', `Provide the “${name}” parameter.`, { param: name });
  return v;
}

/** A required parameter that must also be non-empty ("length required"). */
export function nonEmpty(params: WhmParams, name: string): string {
  const v = defined(params, name);
  if (v === '') throw new LinkstoreError('E_MISSING_PARAM', `The value of “${name}” may not be empty.`, { param: name });
  return v;
}

/** Only the listed keys, for functions that pass the rest through to the domain layer. */
export function pick(params: WhmParams, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (params[k] !== undefined) out[k] = params[k] as string;
  return out;
}
