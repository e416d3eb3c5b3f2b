/**
 * The checks of add/remove (authn-links.md §7.1, §7.2), each with cPanel's message, as small
 * pure functions. The store calls them in cPanel's order.
 */
import { dict } from '../io/dict.js';
import { LinkstoreError } from '../io/errors.js';
import { nodeNameProblem } from '../io/node-name.js';
import { VALUE_LIMITS, assertTextParam } from '../io/param-text.js';
import { MAX_USER_INFO_LENGTH, PROTOCOL, SERVICES, type Service } from './constants.js';
import { MSG } from './messages.js';

/** LF, VT, FF, CR, NEL, U+2028, U+2029 and NUL (Cpanel::Validate::LineTerminatorFree). */
const LINE_TERMINATORS = /[\n\v\f\r\u0085\u2028\u2029\0]/;

export function hasLineTerminator(s: string): boolean {
  return LINE_TERMINATORS.test(s);
}

/** The Perl functions cPanel names when a parameter is missing (verified-against-cpanel.md §4). */
export const CHECKERS = {
  provider: 'Cpanel::Validate::AuthProvider::check_provider_name_or_die',
  subject: 'Cpanel::Validate::OpenIdConnect::check_subject_unique_identifier_or_die',
  addUser: 'Cpanel::Security::Authn::User::Modify::add_authn_link_for_user',
  removeUser: 'Cpanel::Security::Authn::User::Modify::remove_authn_link_for_user',
} as const;

function missing(param: string, checker?: string): LinkstoreError {
  return new LinkstoreError('E_MISSING_PARAM', MSG.missingParam(param, checker), { param });
}

/** cPanel's text for a line feed; the library's own for the other terminators. */
export function assertLineTerminatorFree(value: string, param: string): void {
  if (value.includes('\n')) throw new LinkstoreError('E_INVALID_PARAM', MSG.lineFeed(), { param });
  if (hasLineTerminator(value)) throw new LinkstoreError('E_INVALID_PARAM', MSG.lineTerminators(param), { param });
}

/** Step 1. */
export function checkProtocol(protocol: unknown): void {
  if (protocol !== PROTOCOL) {
    throw new LinkstoreError('E_INVALID_PARAM', MSG.badProtocol(String(protocol)), { param: 'protocol' });
  }
}

/** Step 2: non-empty, a node name, no line terminators. Not lower-cased here. */
export function checkProviderName(provider: unknown): string {
  if (provider === undefined || provider === null || provider === '') throw missing('provider', CHECKERS.provider);
  if (typeof provider !== 'string') throw new LinkstoreError('E_INVALID_PARAM', MSG.notAString('provider'), { param: 'provider' });
  assertTextParam(provider, 'provider', VALUE_LIMITS.default, { nul: false });
  if (nodeNameProblem(provider) !== undefined) {
    throw new LinkstoreError('E_INVALID_NAME', MSG.badProviderName(provider), { param: 'provider' });
  }
  assertLineTerminatorFree(provider, 'provider');
  return provider;
}

/** Step 4: truthy (not "" and not "0"), a scalar, no line terminators. Numbers become strings. */
export function checkSubject(subject: unknown): string {
  if (subject === undefined || subject === null || subject === '' || subject === '0' || subject === 0)
    throw missing('subject_unique_identifier', CHECKERS.subject);
  if (typeof subject === 'number' && Number.isSafeInteger(subject)) subject = String(subject);
  if (typeof subject !== 'string') {
    throw new LinkstoreError('E_INVALID_PARAM', MSG.notAString('subject_unique_identifier'), { param: 'subject_unique_identifier' });
  }
  assertLineTerminatorFree(subject, 'subject_unique_identifier');
  assertTextParam(subject, 'subject_unique_identifier');
  return subject;
}

export type UserInfoValue = string | number | boolean | null;
export type UserInfoInput = Record<string, UserInfoValue>;

/** Step 5: an object of short scalar values whose keys are node names. */
export function checkUserInfo(userInfo: unknown): UserInfoInput {
  if (typeof userInfo !== 'object' || userInfo === null || Array.isArray(userInfo)) {
    throw new LinkstoreError('E_INVALID_PARAM', MSG.userInfoNotObject(), { param: 'user_info' });
  }
  const out = dict<UserInfoValue>();
  const entries = Object.entries(userInfo as Record<string, unknown>);
  if (entries.length > VALUE_LIMITS.user_info_keys) {
    throw new LinkstoreError('E_INVALID_PARAM', `“user_info” has ${entries.length} keys; the limit is ${VALUE_LIMITS.user_info_keys}.`, { param: 'user_info' });
  }
  for (const [key, value] of entries) {
    assertTextParam(key, 'user_info', Infinity);
    if (typeof value === 'string') assertTextParam(value, 'user_info', Infinity);
    if (key.length > MAX_USER_INFO_LENGTH) throw new LinkstoreError('E_INVALID_PARAM', MSG.userInfoTooLarge(key), { param: 'user_info' });
    const problem = nodeNameProblem(key);
    if (problem !== undefined) throw new LinkstoreError('E_INVALID_NAME', MSG.userInfoKeyInvalid(key, problem), { param: 'user_info' });
    assertLineTerminatorFree(key, 'user_info');
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new LinkstoreError('E_INVALID_PARAM', MSG.userInfoValueType(key), { param: 'user_info' });
    }
    const text = value === null ? '' : String(value);
    // cPanel quotes the element that is too large, the value here as the key above.
    if (text.length > MAX_USER_INFO_LENGTH) throw new LinkstoreError('E_INVALID_PARAM', MSG.userInfoTooLarge(text), { param: 'user_info' });
    if (text !== '') assertLineTerminatorFree(text, 'user_info');
    out[key] = value as UserInfoValue;
  }
  return out;
}

/** Step 7: a non-empty preferred_username is a node name without line terminators. */
export function checkPreferredUsername(value: UserInfoValue | undefined): void {
  if (value === undefined || value === null || value === '') return;
  const s = String(value);
  assertLineTerminatorFree(s, 'preferred_username');
  const problem = nodeNameProblem(s);
  if (problem !== undefined) throw new LinkstoreError('E_INVALID_NAME', problem, { param: 'preferred_username' });
}

/**
 * Step 8: `link_time` kept when truthy, else now. cPanel keeps a given value as it is
 * (`||= time()`), and its account restore gives a string of digits: such a string is stored
 * unchanged, so a restored or re-imported link keeps the value it had (verified-against-cpanel.md
 * §1). Only a link without a time gets an integer, the current one.
 */
export function normalizeLinkTime(value: UserInfoValue | undefined, now: number): number | string {
  if (value === undefined || value === null || value === '' || value === 0 || value === false || value === '0') return now;
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LinkstoreError('E_INVALID_PARAM', MSG.badLinkTime(), { param: 'user_info' });
  }
  return Math.trunc(value);
}

/** `is_strict_webmail_user` (§1). */
export function isStrictWebmailUser(name: string): boolean {
  if (name.length < 5) return false;
  if (!/^[a-z0-9._-]+@[a-z0-9._-]+$/.test(name)) return false;
  if (name.startsWith('.')) return false;
  return !/[@._-]$/.test(name);
}

export function checkService(service: unknown): Service {
  if (typeof service !== 'string' || !(SERVICES as readonly string[]).includes(service)) {
    throw new LinkstoreError('E_INVALID_PARAM', MSG.badService(), { param: 'service_name' });
  }
  return service as Service;
}

/** The user parameter (step 6, shape only): non-empty string. `checker` names the add or remove function. */
export function checkUserParam(user: unknown, checker: string = CHECKERS.addUser): string {
  if (user === undefined || user === null || user === '') throw missing('user', checker);
  if (typeof user !== 'string') throw new LinkstoreError('E_INVALID_PARAM', MSG.notAString('user'), { param: 'user' });
  assertTextParam(user, 'user', VALUE_LIMITS.default, { nul: false });
  return user;
}
