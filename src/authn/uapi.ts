/**
 * The UAPI `ExternalAuthentication` calls beyond `get_authn_links` (authn-links.md §9):
 * `add_authn_link` and `remove_authn_link` (the admin side's checks, then the same add and
 * remove as WHM's), `configured_modules` and `has_external_auth_modules_configured`.
 *
 * cPanel takes the account and the service from the logged-in session; the library has none, so
 * the caller names the link user, and the service comes from `appname` the way UAPI derives it
 * (`webmaild` when webmail is asked for, else `cpaneld`).
 */
import type { AuthnDisplayConfig } from '../generated/schemas.js';
import { LinkstoreError } from '../io/errors.js';
import { PROTOCOL, type Service, serviceFilePath } from './constants.js';
import type { AuthnContext, MutationOptions, MutationResult } from './context.js';
import { addLink, removeLink } from './links.js';
import { MSG } from './messages.js';
import { availableProviders, currentDisplayConfig, isConfigured, parseServiceFile, requireAvailable, type ProviderModule } from './providers.js';

/** The services the admin side of `add_authn_link` accepts. */
const UAPI_SERVICES: readonly Service[] = ['cpaneld', 'webmaild'];

export interface UapiLinkParams {
  /** The link user: a cPanel account or `local@domain` (cPanel: the logged-in user by default). */
  user: string;
  provider: string;
  subject: string;
  preferredUsername: string;
  /** `cpaneld` (default) or `webmaild`, the service the call comes from. */
  service?: string;
}

export interface UapiUnlinkParams {
  user: string;
  provider: string;
  subject: string;
}

/** UAPI add_authn_link: the service and the installed module are checked, then the add of §7.1. */
export async function uapiAddLink(ctx: AuthnContext, params: UapiLinkParams, options: MutationOptions = {}): Promise<MutationResult> {
  const service = params.service ?? 'cpaneld';
  if (!(UAPI_SERVICES as readonly string[]).includes(service)) {
    throw new LinkstoreError('E_INVALID_PARAM', MSG.serviceNotValid(service), { param: 'service' });
  }
  await requireAvailable(ctx, params.provider);
  return addLink(
    ctx,
    { user: params.user, provider: params.provider, subject: params.subject, userInfo: { preferred_username: params.preferredUsername } },
    options,
  );
}

/** UAPI remove_authn_link: the remove of §7.2. */
export function uapiRemoveLink(ctx: AuthnContext, params: UapiUnlinkParams, options: MutationOptions = {}): Promise<MutationResult> {
  return removeLink(ctx, { user: params.user, provider: params.provider, subject: params.subject }, options);
}

/**
 * The service of configured_modules and has_external_auth_modules_configured: an `appname`
 * must mention webmail (cPanel: `The “appname” argument must be set to “webmaild”.`); without
 * one, the call comes from cPanel.
 */
export function serviceForAppname(appname: string | undefined): Service {
  if (appname === undefined) return 'cpaneld';
  if (!appname.includes('webmail')) throw new LinkstoreError('E_INVALID_PARAM', MSG.appnameWebmail(), { param: 'appname' });
  return 'webmaild';
}

async function enabledFor(ctx: AuthnContext, service: Service): Promise<ProviderModule[]> {
  const file = parseServiceFile(await ctx.disk.readFile(serviceFilePath(service)), ctx.disk.host(serviceFilePath(service)));
  return [...(await availableProviders(ctx)).values()].filter((m) => Object.hasOwn(file, m.id) && file[m.id] === m.package);
}

/** One entry of configured_modules: the display configuration, `provider_name` renamed to `provider_id`. */
export type ConfiguredModule = Omit<AuthnDisplayConfig, 'provider_name'> & { provider_id: string; provider_protocol: string };

/** configured_modules: providers enabled **and** configured for the service, by display name ignoring case. */
export async function configuredModules(ctx: AuthnContext, appname?: string): Promise<ConfiguredModule[]> {
  const service = serviceForAppname(appname);
  const out: ConfiguredModule[] = [];
  for (const mod of await enabledFor(ctx, service)) {
    if (!(await isConfigured(ctx, mod.id))) continue;
    const { provider_name, ...rest } = (await currentDisplayConfig(ctx, mod, service)).config;
    out.push({ ...rest, provider_id: provider_name ?? mod.id, provider_protocol: PROTOCOL });
  }
  const key = (m: ConfiguredModule) => String(m.display_name ?? '').toLowerCase();
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** has_external_auth_modules_configured: 1 when any provider is enabled for the service (configuration is not checked). */
export async function hasModulesConfigured(ctx: AuthnContext, appname?: string): Promise<0 | 1> {
  const service = serviceForAppname(appname);
  return (await enabledFor(ctx, service)).length > 0 ? 1 : 0;
}
