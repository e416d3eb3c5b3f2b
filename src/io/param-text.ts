/**
 * The door every text parameter passes: one rule for the whole API. A value must be well-formed
 * UTF-16 (a lone surrogate cannot be stored as UTF-8 JSON), must not contain NUL, and must fit its
 * documented size cap (README, "Size limits"). Each refusal is `E_INVALID_PARAM` naming the
 * parameter (and the cap), raised before anything is read or written.
 */
import { LinkstoreError } from './errors.js';

/** Size caps in UTF-8 bytes, per parameter (names have their own 255-byte node-name rule). */
export const VALUE_LIMITS = {
  label: 4096,
  url: 8192,
  autologin_token_url: 8192,
  token: 4096,
  subscriber_unique_id: 1024,
  implements: 255,
  group_id: 255,
  order: 64,
  hide: 8,
  /** Base64 text of the icon: 1 MiB of text (about 768 KiB of PNG). */
  base64_png_image: 1 << 20,
  subject_unique_identifier: 4096,
  /** Each key and each value of `user_info` (characters, as cPanel counts them). */
  user_info: 1024,
  /** How many keys one `user_info` may hold. */
  user_info_keys: 64,
  /** Each value of a client or display configuration. */
  configurations: 1024,
  /** Any other text parameter (user, app, provider, service, domain…). */
  default: 4096,
} as const;

export type LimitedParam = keyof typeof VALUE_LIMITS;

/** The cap of `param` in UTF-8 bytes. */
export function limitOf(param: string): number {
  return Object.hasOwn(VALUE_LIMITS, param) ? VALUE_LIMITS[param as LimitedParam] : VALUE_LIMITS.default;
}

function invalid(param: string, message: string): LinkstoreError {
  return new LinkstoreError('E_INVALID_PARAM', message, { param });
}

function loneSurrogate(param: string): LinkstoreError {
  return invalid(param, `The value of “${param}” contains an unpaired UTF-16 surrogate, which cannot be stored.`);
}

/**
 * The lone-surrogate rule alone, for the parameters whose other checks live elsewhere (names that
 * become path components, read and lifecycle targets). Without it a name such as `"\uD800"` would
 * reach the disk as U+FFFD — another name — instead of being refused like every other value.
 */
export function assertWellFormed(value: unknown, param: string): void {
  if (typeof value === 'string' && !value.isWellFormed()) throw loneSurrogate(param);
}

/**
 * Throws E_INVALID_PARAM unless `value` is well-formed, NUL-free text within `max` UTF-8 bytes.
 * For a name (`nul: false`) NUL is left to the node-name rule, which refuses it with cPanel's message.
 */
export function assertTextParam(value: string, param: string, max: number = limitOf(param), options: { nul?: boolean } = {}): void {
  if (!value.isWellFormed()) throw loneSurrogate(param);
  if (options.nul !== false && value.includes('\0')) throw invalid(param, `The value of “${param}” contains a NUL character, which cannot be stored.`);
  // Cheap bound first: a UTF-16 code unit takes at most 3 UTF-8 bytes, so short strings need no count.
  if (value.length * 3 > max && Buffer.byteLength(value, 'utf8') > max) {
    throw invalid(param, `The value of “${param}” is ${Buffer.byteLength(value, 'utf8')} bytes long; the limit is ${max} bytes.`);
  }
}

/**
 * `run()` once each named value passed the lone-surrogate rule. A refusal comes back as a rejected
 * promise, like every other refusal of the stores. `values` maps the parameter's name (as errors
 * carry it) to the caller's value.
 */
export function afterWellFormed<T>(values: Readonly<Record<string, unknown>>, run: () => Promise<T>): Promise<T> {
  try {
    for (const [param, value] of Object.entries(values)) assertWellFormed(value, param);
  } catch (e) {
    return Promise.reject(e as Error);
  }
  return run();
}
