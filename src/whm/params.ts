/**
 * Flat `key=value` parameters as the WHM HTTP API receives them (all strings), with cPanel's
 * messages for missing and empty required parameters. cPanel names the Perl function that did
 * the check (verified-against-cpanel.md §4):
 * `Provide the “app” parameter for the “Whostmgr::API::1::Integration::get_integration_link_user_config” function.`
 */
import { dict, own } from '../io/dict.js';
import { LinkstoreError } from '../io/errors.js';

export type WhmParams = Readonly<Record<string, string>>;

/** cPanel's MissingParameter text, naming the checking function when it is known. */
export function missingParamText(name: string, perlFunction?: string): string {
  return perlFunction === undefined ? `Provide the “${name}” parameter.` : `Provide the “${name}” parameter for the “${perlFunction}” function.`;
}

function missing(name: string, perlFunction: string | undefined): LinkstoreError {
  return new LinkstoreError('E_MISSING_PARAM', missingParamText(name, perlFunction), { param: name });
}

/** The parameters of one call, read on behalf of one Perl function (for the messages). */
export class ParamReader {
  constructor(
    readonly raw: WhmParams,
    /** The API function cPanel names in its messages, e.g. `Whostmgr::API::1::Integration::create_integration_link`. */
    readonly perlFunction: string | undefined,
  ) {}

  /** A required parameter that may be empty (the domain layer then rejects it with its own message). */
  defined(name: string): string {
    const v = own(this.raw, name);
    if (v === undefined) throw missing(name, this.perlFunction);
    return v;
  }

  /** A required parameter that must also be non-empty (`get_length_required_argument`: the same message for both). */
  required(name: string): string {
    const v = own(this.raw, name);
    if (v === undefined || v === '') throw missing(name, this.perlFunction);
    return v;
  }

  /** A required parameter whose empty value has its own text (the username functions). */
  nonEmpty(name: string): string {
    const v = this.defined(name);
    if (v === '') throw new LinkstoreError('E_MISSING_PARAM', `The value of “${name}” may not be empty.`, { param: name });
    return v;
  }

  /** An optional parameter: undefined when absent. */
  optional(name: string): string | undefined {
    return own(this.raw, name);
  }

  /** Only the listed keys, for functions that pass the rest through to the domain layer. */
  pick(keys: readonly string[]): Record<string, string> {
    const out = dict<string>();
    for (const k of keys) {
      const v = own(this.raw, k);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
}
