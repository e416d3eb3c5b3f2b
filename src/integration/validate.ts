/**
 * Validation of create/update requests, in cPanel's order and with cPanel's messages
 * (integration-links.md §4). Every check runs before anything touches the disk; the result is
 * the exact content to write plus the warnings cPanel would print for dropped keys.
 */
import { LinkstoreError } from '../io/errors.js';
import { nodeNameProblem } from '../io/node-name.js';
import { isSecretKey } from '../io/secret-keys.js';
import { assertTextParam, limitOf } from '../io/param-text.js';
import type { IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import type { UserLookup } from '../users/lookup.js';
import { MSG } from './messages.js';
import { GROUP_PREFIX, truthy } from './paths.js';

/**
 * Request parameters: the WHM API's flat string parameters. Values of other JSON types are
 * accepted only so that restore can replay files cPanel wrote; they are refused as cPanel does.
 */
export type Params = Readonly<Record<string, unknown>>;

/** The keys `create_integration_link` keeps (everything else is dropped with a warning). */
export const LINK_KEYS = [
  'autologin_token_url',
  'base64_png_image',
  'group_id',
  'hide',
  'implements',
  'label',
  'order',
  'subscriber_unique_id',
  'token',
  'url',
] as const;
export type LinkKey = (typeof LINK_KEYS)[number];
/** Typed parameters of `create_integration_link` (besides `user` and `app`). */
export type LinkParams = Partial<Record<LinkKey, string>>;

export const GROUP_KEYS = ['label', 'order'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];
export type GroupParams = Partial<Record<GroupKey, string>>;

/** What a user's files need: the gid for the per-user directories and the theme for DynamicUI. */
export interface UserFacts {
  user: string;
  gid: number;
  theme: string;
}

export interface ValidatedLink extends UserFacts {
  app: string;
  /** userconfig content: the supplied allowed keys minus `token`, unchanged. */
  userconfig: IntegrationUserConfig;
  token: string | null;
  warnings: string[];
}

export interface ValidatedGroup extends UserFacts {
  groupId: string;
  userconfig: IntegrationGroupUserConfig;
  warnings: string[];
}

function invalid(message: string, param?: string): LinkstoreError {
  return new LinkstoreError('E_INVALID_PARAM', message, { param });
}

const NAME_PARAMS = new Set(['user', 'app', 'group_id']);

/** §4.1 step 1: a required parameter must be present and non-empty. */
export function requireParam(name: string, value: unknown): string {
  if (value === undefined || value === null) throw new LinkstoreError('E_MISSING_PARAM', MSG.missingParam(name), { param: name });
  if (typeof value !== 'string') throw invalid(MSG.notAString(name), name);
  if (value === '') throw invalid(MSG.emptyParam(name), name);
  // Names (user, app, group_id) meet cPanel's node-name rule next, which has its own text for NUL.
  assertTextParam(value, name, limitOf(name), { nul: !NAME_PARAMS.has(name) });
  return value;
}

/** §4.1 step 2 (root's view): a valid node name with a cpuser file. */
export async function assertAccount(users: UserLookup, user: string): Promise<void> {
  if (nodeNameProblem(user) === undefined && (await users.isCpanelAccount(user))) return;
  const code = nodeNameProblem(user) === undefined && (await users.passwdEntry(user)) ? 'E_NOT_CPANEL_USER' : 'E_NO_SUCH_USER';
  throw new LinkstoreError(code, MSG.noSuchUser(user), { param: 'user' });
}

/** §4.3 for a name that becomes a path component. */
export function assertName(value: string, param: string): void {
  const problem = nodeNameProblem(value);
  if (problem !== undefined) throw new LinkstoreError('E_INVALID_NAME', problem, { param });
}

/** §4.1 steps 8–9: the gid (per-user directories) and the theme (DynamicUI sizes). */
export async function userFacts(users: UserLookup, user: string): Promise<UserFacts> {
  const pw = await users.passwdEntry(user);
  if (pw === undefined) throw new LinkstoreError('E_NO_SUCH_USER', MSG.noSuchUser(user), { param: 'user' });
  const theme = (await users.themeOf(user)) ?? '';
  const problem = nodeNameProblem(theme);
  if (problem !== undefined) throw invalid(MSG.themeInvalid(user, problem), 'user');
  return { user, gid: pw.gid, theme };
}

/** Perl's text for a reference, without the address (which only Perl knows). */
function refText(v: unknown): string | undefined {
  if (Array.isArray(v)) return 'ARRAY';
  if (typeof v === 'boolean') return 'JSON::PP::Boolean';
  if (typeof v === 'object' && v !== null) return 'HASH';
  return undefined;
}

function display(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
}

/**
 * §4.1 step 5 / §4.4 step 3: keep the allowed keys, drop the rest with cPanel's warning, refuse
 * references and non-strings, and refuse text that cannot be written as UTF-8 JSON.
 */
function filterKeys<K extends string>(params: Params, allowed: readonly K[], warnings: string[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  const kept: [K, unknown][] = [];
  const secretParams = allowed.filter((k) => isSecretKey(k));
  for (const [k, v] of Object.entries(params)) {
    if (k === 'user' || k === 'app' || (k === 'group_id' && !allowed.includes(k as K))) continue;
    if (!allowed.includes(k as K)) {
      if (v !== undefined) warnings.push(MSG.ignoringKey(k, display(v), secretParams));
      continue;
    }
    kept.push([k as K, v]);
  }
  for (const [k, v] of kept) {
    const ref = refText(v);
    if (ref !== undefined) throw invalid(MSG.notAReference(k, ref), k);
  }
  for (const [k, v] of kept) {
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw invalid(MSG.notAString(k), k);
    assertTextParam(v, k);
    out[k] = v;
  }
  const label = (out as { label?: string }).label;
  if (truthy(label) && label.includes("'")) throw invalid(MSG.labelQuote, 'label');
  return out;
}

const B64_WS = /[ \t\n\r\f\v]/g;

/** `Cpanel::Validate::Base64` (§4.1 step 10). */
export function isValidBase64(s: string): boolean {
  if (s === '' || /^[ \t\n\r\f\v]*$/.test(s)) return false;
  if (!/^[ \t\n\r\f\v0-9a-zA-Z+/=]*$/.test(s)) return false;
  const t = s.replace(B64_WS, '');
  if (/=[^=]/.test(t) || t.startsWith('=') || t.includes('====')) return false;
  if (t.endsWith('=') && t.length % 4 !== 0) return false;
  return true;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** `Cpanel::FileType`: only the PNG signature is checked. */
export function isPngBase64(s: string): boolean {
  const bytes = Buffer.from(s.replace(B64_WS, ''), 'base64');
  return bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_MAGIC);
}

const ID_RE = /^[0-9a-z_-]+$/i;
const LINK_ORDER_RE = /^-?[0-9]+$/;
const GROUP_ORDER_RE = /^[0-9-]+$/;

/** The display name cPanel builds: `$LANG{'<label or fallback>'}`. */
export function langName(label: string | undefined, fallback: string): string {
  return `$LANG{'${truthy(label) ? label : fallback}'}`;
}

/**
 * §4.1 step 11: the Link asset checks in a fixed order (id, implements, group_id, order). JS `$`
 * has no "before a final newline" case, so a trailing newline is refused (cPanel accepts it).
 */
function assertLinkAsset(app: string, c: LinkParams): void {
  const name = langName(c.label, app);
  const checks: [string, string, RegExp][] = [
    ['id', app, ID_RE],
    ['implements', truthy(c.implements) ? c.implements : app, ID_RE],
    ['group_id', truthy(c.group_id) ? c.group_id : 'preferences', ID_RE],
    ['order', truthy(c.order) ? c.order : '99999', LINK_ORDER_RE],
  ];
  for (const [attr, value, re] of checks) {
    if (!re.test(value)) throw invalid(MSG.invalidAsset(name, attr, value), attr === 'id' ? 'app' : attr);
  }
}

/** Every check of create_integration_link (§4.1), in order. Reads only the user database. */
export async function validateLink(users: UserLookup, userIn: unknown, appIn: unknown, params: Params): Promise<ValidatedLink> {
  const user = requireParam('user', userIn);
  const app = requireParam('app', appIn);
  await assertAccount(users, user);
  assertName(user, 'user');
  assertName(app, 'app');
  if (app.startsWith(GROUP_PREFIX)) throw invalid(MSG.appGroupPrefix, 'app');
  const warnings: string[] = [];
  const c = filterKeys(params, LINK_KEYS, warnings);
  if (!c.autologin_token_url && !c.url) throw new LinkstoreError('E_MISSING_PARAM', MSG.urlRequired, { param: 'url' });
  if (c.hide !== undefined && !/^[10]$/.test(c.hide)) {
    throw invalid(c.hide === '' ? MSG.emptyValue : MSG.notBoolean(c.hide), 'hide');
  }
  const facts = await userFacts(users, user);
  if (truthy(c.base64_png_image)) {
    if (!isValidBase64(c.base64_png_image)) throw invalid(MSG.notBase64, 'base64_png_image');
    if (!isPngBase64(c.base64_png_image)) throw invalid(MSG.notPng, 'base64_png_image');
  }
  assertLinkAsset(app, c);
  const { token, ...userconfig } = c;
  return { ...facts, app, userconfig, token: token ?? null, warnings };
}

/** Every check of create_integration_group (§4.4), in order. */
export async function validateGroup(users: UserLookup, userIn: unknown, groupIdIn: unknown, params: Params): Promise<ValidatedGroup> {
  const user = requireParam('user', userIn);
  const groupId = requireParam('group_id', groupIdIn);
  await assertAccount(users, user);
  assertName(user, 'user');
  assertName(groupId, 'group_id');
  if (groupId.startsWith(GROUP_PREFIX)) throw invalid(MSG.groupIdGroupPrefix, 'group_id');
  const warnings: string[] = [];
  const c = filterKeys(params, GROUP_KEYS, warnings);
  const facts = await userFacts(users, user);
  const name = langName(c.label, groupId);
  if (!ID_RE.test(groupId)) throw invalid(MSG.invalidAsset(name, 'id', groupId), 'group_id');
  const order = truthy(c.order) ? c.order : '99999';
  if (!GROUP_ORDER_RE.test(order)) throw invalid(MSG.invalidAsset(name, 'order', order), 'order');
  return { ...facts, groupId, userconfig: c, warnings };
}

/** Names given to remove/update/read functions: node name and, for apps, not `group_`. */
export function validateAppName(app: string, param = 'app', allowGroupPrefix = false): void {
  assertName(app, param);
  if (!allowGroupPrefix && app.startsWith(GROUP_PREFIX)) {
    throw invalid(param === 'group_id' ? MSG.groupIdGroupPrefix : MSG.appGroupPrefix, param);
  }
}
