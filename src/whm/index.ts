/**
 * `callWhm(linkstore, 'create_integration_link', { user: 'bob', app: 'billing', url: '…' })`:
 * the WHM API 1 shape over the typed stores. Names in, envelope out; it never throws.
 */
import { LinkstoreError } from '../io/errors.js';
import type { Linkstore } from '../services.js';
import { MutationData, uapiFail, uapiOk, whmFail, whmOk, type UapiEnvelope, type WhmEnvelope } from './envelope.js';
import { whmFunction, WHM_FUNCTIONS, type WhmFunction } from './functions.js';
import { ParamReader, type WhmParams } from './params.js';

export { WHM_FUNCTIONS, whmFunction, type WhmFunction, type ParamSpec } from './functions.js';
export type { WhmEnvelope, WhmMetadata, UapiEnvelope } from './envelope.js';
export type { WhmParams } from './params.js';

export interface CallOptions {
  /** Mutations validate and return `data.operations` without touching disk. */
  dryRun?: boolean;
}

function readerFor(fn: WhmFunction, params: WhmParams): ParamReader {
  return new ParamReader(params, fn.perlPackage === undefined ? undefined : `${fn.perlPackage}::${fn.name}`);
}

export async function callWhm(ls: Linkstore, name: string, params: WhmParams = {}, options: CallOptions = {}): Promise<WhmEnvelope> {
  const fn = whmFunction(name);
  if (!fn) {
    return whmFail(
      name,
      new LinkstoreError('E_UNKNOWN_FUNCTION', `Unknown function “${name}”. Known functions: ${WHM_FUNCTIONS.map((f) => f.name).join(', ')}.`),
    );
  }
  try {
    const data = await fn.run(ls, readerFor(fn, params), { dryRun: options.dryRun === true && fn.mutates });
    return data instanceof MutationData ? whmOk(name, data.data, data.changed) : whmOk(name, data);
  } catch (e) {
    return whmFail(name, e, fn.errorPrefix);
  }
}

/**
 * A UAPI function of the table (`api: 'uapi'`, e.g. `ExternalAuthentication::add_authn_link`) in
 * UAPI's own envelope: `status` 1 and `data`, or `status` 0 and `errors`. It never throws.
 */
export async function callUapi(ls: Linkstore, name: string, params: WhmParams = {}, options: CallOptions = {}): Promise<UapiEnvelope> {
  const fn = whmFunction(name);
  if (!fn || fn.api !== 'uapi') {
    const known = WHM_FUNCTIONS.filter((f) => f.api === 'uapi').map((f) => f.name);
    return uapiFail(
      'ExternalAuthentication',
      name,
      new LinkstoreError('E_UNKNOWN_FUNCTION', `Unknown UAPI function “${name}”. Known functions: ${known.join(', ')}.`),
    );
  }
  const module = fn.module ?? 'ExternalAuthentication';
  try {
    const result = await fn.run(ls, readerFor(fn, params), { dryRun: options.dryRun === true && fn.mutates });
    // UAPI's envelope has no `changed`: only the data of a mutation goes out.
    const data = result instanceof MutationData ? result.data : result;
    return uapiOk(module, name, data ?? null);
  } catch (e) {
    return uapiFail(module, name, e);
  }
}

/** UAPI `ExternalAuthentication::get_authn_links` in UAPI's own envelope. */
export async function callUapiGetAuthnLinks(ls: Linkstore, username: string): Promise<UapiEnvelope> {
  return callUapi(ls, 'get_authn_links', { username });
}
