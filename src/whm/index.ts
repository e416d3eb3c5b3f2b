/**
 * `callWhm(linkstore, 'create_integration_link', { user: 'bob', app: 'billing', url: '…' })`:
 * the WHM API 1 shape over the typed stores. Names in, envelope out; it never throws.
 */
import { LinkstoreError } from '../io/errors.js';
import { shownIgnoredValue } from '../io/secret-keys.js';
import type { Linkstore } from '../services.js';
import { MutationData, uapiFail, uapiOk, whmFail, whmOk, type UapiEnvelope, type WhmEnvelope } from './envelope.js';
import { secretParamsOf, unknownFunction, whmFunction, WHM_FUNCTIONS, type WhmFunction } from './functions.js';
import { ParamReader, type WhmParams } from './params.js';

export { WHM_FUNCTIONS, whmFunction, type WhmFunction, type ParamSpec } from './functions.js';
export type { WhmEnvelope, WhmMetadata, UapiEnvelope } from './envelope.js';
export type { WhmParams } from './params.js';

export interface CallOptions {
  /** Mutations validate and return `data.operations` without touching disk. */
  dryRun?: boolean;
  /** Unknown parameters fail the call (`E_INVALID_PARAM`) instead of being ignored with a warning. */
  strict?: boolean;
}

/** The parameters `fn` does not take, in the order given. */
export function unknownParams(fn: WhmFunction, params: WhmParams): string[] {
  const known = new Set(fn.params.map((p) => p.name));
  return Object.keys(params).filter((k) => !known.has(k));
}

/**
 * cPanel's warning for a key it drops, with the value masked where it may be a secret (see
 * shownIgnoredValue): a misplaced `client_secret`, a misspelt `tokn=` of a call that takes a token.
 */
export const ignoringKey = (key: string, value: string, secretParams: readonly string[] = []): string =>
  `Ignoring unrecognized data key “${key}” (${shownIgnoredValue(key, value, secretParams)})!`;

function ignoredWarnings(fn: WhmFunction, unknown: readonly string[], params: WhmParams): string[] {
  const secret = secretParamsOf(fn);
  return unknown.map((k) => ignoringKey(k, params[k] as string, secret));
}

/** With `strict`, the first unknown key fails the call. */
function strictError(name: string, unknown: readonly string[]): LinkstoreError {
  const key = unknown[0] as string;
  return new LinkstoreError('E_INVALID_PARAM', `The function “${name}” does not take the parameter “${key}”.`, { param: key });
}

function readerFor(fn: WhmFunction, params: WhmParams): ParamReader {
  return new ParamReader(params, fn.perlPackage === undefined ? undefined : `${fn.perlPackage}::${fn.name}`);
}

/** The parameters a JavaScript caller passed: `null` is none; anything but an object is refused. */
function paramsOf(params: WhmParams | null | undefined): WhmParams | LinkstoreError {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) {
    return new LinkstoreError('E_INVALID_PARAM', 'The parameters must be an object of names and string values.');
  }
  return params;
}

export async function callWhm(ls: Linkstore, name: string, given: WhmParams | null = {}, options: CallOptions = {}): Promise<WhmEnvelope> {
  const params = paramsOf(given);
  if (params instanceof LinkstoreError) return whmFail(name, params);
  const fn = whmFunction(name);
  if (!fn) {
    return whmFail(name, unknownFunction(name));
  }
  const unknown = unknownParams(fn, params);
  if (options.strict === true && unknown.length) return whmFail(name, strictError(name, unknown));
  try {
    const data = await fn.run(ls, readerFor(fn, params), { dryRun: options.dryRun === true && fn.mutates });
    const warnings = ignoredWarnings(fn, unknown, params);
    return data instanceof MutationData ? whmOk(name, data.data, warnings, data.changed) : whmOk(name, data, warnings);
  } catch (e) {
    return whmFail(name, e, ignoredWarnings(fn, unknown, params));
  }
}

/**
 * A UAPI function of the table (`api: 'uapi'`, e.g. `ExternalAuthentication::add_authn_link`) in
 * UAPI's own envelope: `status` 1 and `data`, or `status` 0 and `errors`. It never throws.
 * Unknown parameters are ignored with cPanel's warning in `result.warnings` (`strict` fails the call).
 */
export async function callUapi(ls: Linkstore, name: string, given: WhmParams | null = {}, options: CallOptions = {}): Promise<UapiEnvelope> {
  const params = paramsOf(given);
  if (params instanceof LinkstoreError) return uapiFail(whmFunction(name)?.module ?? 'ExternalAuthentication', name, params);
  const fn = whmFunction(name);
  if (!fn || fn.api !== 'uapi') {
    const known = (WHM_FUNCTIONS as readonly WhmFunction[]).filter((f) => f.api === 'uapi').map((f) => f.name);
    return uapiFail(
      'ExternalAuthentication',
      name,
      new LinkstoreError('E_UNKNOWN_FUNCTION', `Unknown UAPI function “${name}”. Known functions: ${known.join(', ')}.`),
    );
  }
  const module = fn.module ?? 'ExternalAuthentication';
  const unknown = unknownParams(fn, params);
  if (options.strict === true && unknown.length) return uapiFail(module, name, strictError(name, unknown));
  try {
    const result = await fn.run(ls, readerFor(fn, params), { dryRun: options.dryRun === true && fn.mutates });
    // UAPI's envelope has no `changed`, and its own place for warnings: `result.warnings`.
    const data = result instanceof MutationData ? result.data : result;
    return uapiOk(module, name, data ?? null, ignoredWarnings(fn, unknown, params));
  } catch (e) {
    return uapiFail(module, name, e, ignoredWarnings(fn, unknown, params));
  }
}

/** UAPI `ExternalAuthentication::get_authn_links` in UAPI's own envelope. */
export async function callUapiGetAuthnLinks(ls: Linkstore, username: string): Promise<UapiEnvelope> {
  return callUapi(ls, 'get_authn_links', { username });
}
