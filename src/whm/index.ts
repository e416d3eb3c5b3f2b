/**
 * `callWhm(linkstore, 'create_integration_link', { user: 'bob', app: 'billing', url: '…' })`:
 * the WHM API 1 shape over the typed stores. Names in, envelope out; it never throws.
 */
import { LinkstoreError } from '../io/errors.js';
import type { Linkstore } from '../services.js';
import { uapiFail, uapiOk, whmFail, whmOk, type UapiEnvelope, type WhmEnvelope } from './envelope.js';
import { whmFunction, WHM_FUNCTIONS, type WhmFunction } from './functions.js';
import type { WhmParams } from './params.js';

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

/** cPanel's warning for a key it drops. */
export const ignoringKey = (key: string, value: string): string => `Ignoring unrecognized data key “${key}” (${value})!`;

export async function callWhm(ls: Linkstore, name: string, params: WhmParams = {}, options: CallOptions = {}): Promise<WhmEnvelope> {
  const fn = whmFunction(name);
  if (!fn) {
    return whmFail(
      name,
      new LinkstoreError('E_UNKNOWN_FUNCTION', `Unknown function “${name}”. Known functions: ${WHM_FUNCTIONS.map((f) => f.name).join(', ')}.`),
    );
  }
  const unknown = unknownParams(fn, params);
  if (options.strict === true && unknown.length) {
    const key = unknown[0] as string;
    return whmFail(name, new LinkstoreError('E_INVALID_PARAM', `The function “${name}” does not take the parameter “${key}”.`, { param: key }));
  }
  try {
    const data = await fn.run(ls, params, { dryRun: options.dryRun === true && fn.mutates });
    return whmOk(
      name,
      data,
      unknown.map((k) => ignoringKey(k, params[k] as string)),
    );
  } catch (e) {
    return whmFail(name, e, fn.errorPrefix);
  }
}

/** UAPI `ExternalAuthentication::get_authn_links` in UAPI's own envelope. */
export async function callUapiGetAuthnLinks(ls: Linkstore, username: string): Promise<UapiEnvelope> {
  try {
    return uapiOk('ExternalAuthentication', 'get_authn_links', await (await ls.authn()).getAuthnLinks(username));
  } catch (e) {
    return uapiFail('ExternalAuthentication', 'get_authn_links', e);
  }
}
