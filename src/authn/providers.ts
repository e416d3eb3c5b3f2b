/**
 * Provider configuration (authn-links.md §6, §8.2): which providers are available (shipped or
 * installed module files), enabled per service (service files), configured (client config), and
 * how they are displayed. Every write is a locked Transaction with cPanel's modes.
 */
import type { FileOp } from '../io/commit.js';
import { dict, dictFrom, own } from '../io/dict.js';
import { LinkstoreError, isEnoent } from '../io/errors.js';
import { decodeStrict, isPlainObject, parseJsonText } from '../io/json-codec.js';
import type { AuthnClientConfig, AuthnDisplayConfig, AuthnServiceFile } from '../generated/schemas.js';
import {
  MAX_USER_INFO_LENGTH,
  MODE,
  PROVIDER_MODULE_DIRS,
  PROVIDER_PACKAGE_PREFIX,
  REDIRECT_PORTS,
  SERVICES,
  SHIPPED_PROVIDERS,
  type Service,
  clientConfigDirSpecs,
  clientConfigPath,
  displayConfigPath,
  serviceDirSpecs,
  serviceFilePath,
  wellKnownPath,
} from './constants.js';
import { assertTextParam } from '../io/param-text.js';
import { type AuthnContext, type MutationOptions, type MutationResult, transact } from './context.js';
import { encodeDb, readJsonObject, sameJson } from './db.js';
import { MSG } from './messages.js';
import { checkService, hasLineTerminator } from './validate.js';
import { type DisplayDefaults, displayDefaults } from './display-defaults.js';

export interface ProviderModule {
  /** Lower-case provider id. */
  id: string;
  /** Module name, e.g. `cPanelID`. */
  module: string;
  /** Exact Perl package, e.g. `Cpanel::Security::Authn::Provider::cPanelID`. */
  package: string;
  shipped: boolean;
}

/** The shipped providers plus one per `*.pm` file in the provider module directories. */
export async function availableProviders(ctx: AuthnContext): Promise<Map<string, ProviderModule>> {
  const out = new Map<string, ProviderModule>();
  for (const [id, module] of Object.entries(SHIPPED_PROVIDERS)) {
    out.set(id, { id, module, package: PROVIDER_PACKAGE_PREFIX + module, shipped: true });
  }
  for (const dir of PROVIDER_MODULE_DIRS) {
    // A missing directory means no module installed there; any other failure is reported, never read as
    // "not installed" (disableFailing would then disable a working provider).
    const names = (await ctx.disk.readdir(dir).catch((e: unknown) => (isEnoent(e) ? undefined : Promise.reject(e)))) ?? [];
    for (const name of names.sort()) {
      if (!name.endsWith('.pm') || name.length <= 3) continue;
      const module = name.slice(0, -3);
      if (module === 'OpenIdConnectBase' || module.includes('.')) continue;
      const id = module.toLowerCase();
      if (!out.has(id)) out.set(id, { id, module, package: PROVIDER_PACKAGE_PREFIX + module, shipped: false });
    }
  }
  return out;
}

export async function requireAvailable(ctx: AuthnContext, provider: unknown): Promise<ProviderModule> {
  const id = typeof provider === 'string' ? provider.toLowerCase() : '';
  const mod = id === '' ? undefined : (await availableProviders(ctx)).get(id);
  if (!mod) throw new LinkstoreError('E_PROVIDER', MSG.providerNotValid(String(provider)), { param: 'provider_id' });
  return mod;
}

/** A service file: provider id → package. Missing, empty or not an object → none enabled. */
export async function readServiceFile(ctx: AuthnContext, service: Service): Promise<AuthnServiceFile> {
  const p = serviceFilePath(service);
  return parseServiceFile(await ctx.disk.readFile(p), ctx.disk.host(p));
}

export function parseServiceFile(bytes: Buffer | undefined, hostPath: string): AuthnServiceFile {
  if (!bytes || bytes.length === 0) return dict();
  const v = decodeStrict(bytes, hostPath);
  if (!isPlainObject(v)) return dict();
  const out = dict<string>();
  for (const [k, pkg] of Object.entries(v)) if (typeof pkg === 'string') out[k] = pkg;
  return out;
}

/** §7.1 step 3: the provider's key is present in at least one service file (memoized by stat). */
export async function enabledAnywhere(ctx: AuthnContext, provider: string): Promise<boolean> {
  // In order, stopping at the first service that has it: usually one memo check instead of three.
  for (const s of SERVICES) if (Object.hasOwn(await ctx.serviceFiles.get(serviceFilePath(s)), provider)) return true;
  return false;
}

function serviceWrite(service: Service, content: AuthnServiceFile): FileOp {
  const p = serviceFilePath(service);
  return { op: 'write', path: p, content: encodeDb('authn-service', content, p), mode: MODE.serviceFile, uid: 0, gid: 0 };
}

async function editServiceFile(ctx: AuthnContext, service: Service, edit: (f: AuthnServiceFile) => void, options: MutationOptions): Promise<MutationResult> {
  const p = serviceFilePath(service);
  return transact(ctx, { dirs: serviceDirSpecs(), locks: [{ path: p, mode: MODE.serviceFile }], dryRun: options.dryRun }, async () => {
    const current = await readServiceFile(ctx, service);
    const next = dictFrom(current);
    edit(next);
    return sameJson(current, next) && (await ctx.disk.statPath(p)) !== undefined ? [] : [serviceWrite(service, next)];
  });
}

/** enable_authentication_provider: add `"<id>":"<package>"` to the service file. */
export async function enableProvider(ctx: AuthnContext, service: string, provider: string, options: MutationOptions = {}): Promise<MutationResult> {
  const s = checkService(service);
  const mod = await requireAvailable(ctx, provider);
  return editServiceFile(ctx, s, (f) => void (f[mod.id] = mod.package), options);
}

/**
 * disable_authentication_provider: delete the key (as given and lower-cased). Links are untouched.
 * cPanel does not check the provider at all, so a misspelt one (`googel`) answers OK and leaves the
 * real one enabled; here a provider that is neither in the service file nor installed is refused
 * with enable's message. Disabling an installed provider that is not enabled stays a no-op.
 */
export async function disableProvider(ctx: AuthnContext, service: string, provider: string, options: MutationOptions = {}): Promise<MutationResult> {
  const s = checkService(service);
  const keys = [provider, provider.toLowerCase()];
  const current = await readServiceFile(ctx, s);
  if (!keys.some((k) => Object.hasOwn(current, k))) {
    await requireAvailable(ctx, provider);
    return { dryRun: options.dryRun === true, ops: [], changed: false, warnings: [] };
  }
  return editServiceFile(ctx, s, (f) => keys.forEach((k) => delete f[k]), options);
}

// ---------------------------------------------------------------- display configuration

export async function currentDisplayConfig(ctx: AuthnContext, mod: ProviderModule, service: Service): Promise<DisplayDefaults> {
  const custom = await readJsonObject(ctx.disk, displayConfigPath(mod.id, service), 'authn-display-config');
  // cPanel uses the custom file instead of the module's defaults, with no key-wise merge (verified §5).
  return custom !== undefined ? { config: custom as AuthnDisplayConfig, undetermined: [] } : displayDefaults(ctx.disk, mod);
}

/** get_provider_display_configurations: one object per service, custom file or defaults, plus `service`. */
export async function getDisplayConfigs(ctx: AuthnContext, provider: string): Promise<Array<AuthnDisplayConfig & { service: Service }>> {
  const mod = await requireAvailable(ctx, provider);
  const out: Array<AuthnDisplayConfig & { service: Service }> = [];
  for (const s of SERVICES) out.push({ ...(await currentDisplayConfig(ctx, mod, s)).config, service: s });
  return out;
}

const COLOR = /^[0-9a-fA-F]{3,6}$/;

/** set_provider_display_configurations: keys must exist already; the merged object is written (0644). */
export async function setDisplayConfig(
  ctx: AuthnContext,
  service: string,
  provider: string,
  configurations: string | Record<string, unknown>,
  options: MutationOptions = {},
): Promise<MutationResult> {
  const s = checkService(service);
  const mod = await requireAvailable(ctx, provider);
  const input = parseConfigurations(configurations);
  const p = displayConfigPath(mod.id, s);
  return transact(ctx, { dirs: clientConfigDirSpecs(), locks: [{ path: p, mode: MODE.displayConfig }], dryRun: options.dryRun }, async () => {
    const { config: current, undetermined } = await currentDisplayConfig(ctx, mod, s);
    // The whole object is written and then used instead of the module's defaults: a key whose
    // default is unknown here would vanish from the login button, so refuse unless it is given.
    const unknown = undetermined.filter((k) => !Object.hasOwn(input, k));
    if (unknown.length > 0) throw new LinkstoreError('E_PROVIDER_MODULE', MSG.displayDefaultUnknown(unknown, mod.id, mod.module), { param: 'configurations' });
    for (const [k, v] of Object.entries(input)) {
      if (!Object.hasOwn(current, k) && !undetermined.includes(k))
        throw new LinkstoreError('E_INVALID_PARAM', MSG.unknownDisplayKey(mod.id, k), { param: 'configurations' });
      if (typeof v !== 'string') throw new LinkstoreError('E_INVALID_PARAM', MSG.configValueEmpty(k), { param: 'configurations' });
      assertTextParam(v, 'configurations');
      if ((k === 'color' || k === 'textcolor') && !COLOR.test(v)) throw new LinkstoreError('E_INVALID_PARAM', MSG.badColor(k), { param: 'configurations' });
    }
    const merged = { ...current, ...(input as Record<string, string>) };
    return [{ op: 'write', path: p, content: encodeDb('authn-display-config', merged, p), mode: MODE.displayConfig, uid: 0, gid: 0 }];
  });
}

// ---------------------------------------------------------------- client configuration

/** A configuration field as `_CONFIG_FIELDS` describes it. */
interface FieldSpec {
  field_id: string;
  label: string;
  description: string;
  display_order: number;
}

const BASE_FIELDS: readonly FieldSpec[] = [
  { field_id: 'client_id', label: 'Client ID', description: 'The ID of the Client', display_order: 0 },
  { field_id: 'client_secret', label: 'Client Secret', description: 'The Secret of the Client', display_order: 1 },
];
const WHMCS_FIELD: FieldSpec = {
  field_id: 'well_known_config_uri',
  label: 'Well Known Config URI',
  description: 'The URI to the well known configuration for the Open ID Connect Provider',
  display_order: 2,
};

function fieldSpecs(mod: ProviderModule): readonly FieldSpec[] {
  return mod.id === 'whmcs' ? [...BASE_FIELDS, WHMCS_FIELD] : BASE_FIELDS;
}

/** The configuration fields of a provider (base: client_id, client_secret; WHMCS adds well_known_config_uri). */
export function configurationFields(mod: ProviderModule): string[] {
  return fieldSpecs(mod).map((f) => f.field_id);
}

/** One entry of get_provider_configuration_fields. `value` is the stored value (the secret too), null when unset. */
export interface ConfigurationField extends FieldSpec {
  value: string | null;
}

/** get_provider_configuration_fields: the provider's fields with their current values, by display_order. */
export async function getConfigurationFields(ctx: AuthnContext, service: string, provider: string): Promise<ConfigurationField[]> {
  checkService(service);
  const mod = await requireAvailable(ctx, provider);
  const stored = (await readJsonObject(ctx.disk, clientConfigPath(mod.id), 'authn-client-config')) ?? {};
  return fieldSpecs(mod).map((f) => {
    const v = Object.hasOwn(stored, f.field_id) ? stored[f.field_id] : undefined;
    return { ...f, value: typeof v === 'string' ? v : null };
  });
}

/** Default redirect URIs: cpaneld, whostmgrd, webmaild SSL bases + `/openid_connect_callback/<id>`. */
export async function redirectUris(ctx: AuthnContext, providerId: string): Promise<string[]> {
  const host = await ctx.hostname();
  return REDIRECT_PORTS.map(([, port]) => `https://${host}:${port}/openid_connect_callback/${providerId}`);
}

/** Whether the client-config file exists ("configured"). */
export async function isConfigured(ctx: AuthnContext, providerId: string): Promise<boolean> {
  return (await ctx.disk.statPath(clientConfigPath(providerId))) !== undefined;
}

/** get_provider_client_configurations: the stored object with `redirect_uris` replaced by the defaults. */
export async function getClientConfig(ctx: AuthnContext, service: string, provider: string): Promise<AuthnClientConfig> {
  checkService(service);
  const mod = await requireAvailable(ctx, provider);
  const stored = (await readJsonObject(ctx.disk, clientConfigPath(mod.id), 'authn-client-config')) ?? {};
  return { ...stored, redirect_uris: await redirectUris(ctx, mod.id) };
}

function parseConfigurations(configurations: string | Record<string, unknown>): Record<string, unknown> {
  let v: unknown = configurations;
  if (typeof configurations === 'string') {
    const parsed = parseJsonText(configurations);
    v = parsed.ok ? parsed.value : undefined;
  }
  if (!isPlainObject(v)) throw new LinkstoreError('E_INVALID_PARAM', MSG.configNotObject(), { param: 'configurations' });
  for (const [k, value] of Object.entries(v)) {
    // Sizes are checked per field below (cPanel's message for client configurations).
    assertTextParam(k, 'configurations', Infinity);
    if (typeof value === 'string') assertTextParam(value, 'configurations', Infinity);
  }
  return v;
}

export interface ClientConfigOptions extends MutationOptions {
  /** Store these redirect URIs instead of this server's defaults (an import keeps the exported ones). */
  redirectUris?: readonly string[];
}

/** set_provider_client_configurations: exactly the provider's fields, non-empty strings; 0600; drops the well-known cache. */
export async function setClientConfig(
  ctx: AuthnContext,
  service: string,
  provider: string,
  configurations: string | Record<string, unknown>,
  options: ClientConfigOptions = {},
): Promise<MutationResult> {
  checkService(service);
  const mod = await requireAvailable(ctx, provider);
  const input = parseConfigurations(configurations);
  const fields = configurationFields(mod);
  const config = dict<unknown>();
  // cPanel's order: each field present and a string, then no key beyond the fields.
  for (const f of fields) {
    const v = own(input, f);
    if (v === undefined) throw new LinkstoreError('E_MISSING_PARAM', MSG.configMissingKey(f), { param: 'configurations' });
    if (v === '') throw new LinkstoreError('E_INVALID_PARAM', MSG.configMissingKey(f), { param: 'configurations' });
    if (typeof v !== 'string') throw new LinkstoreError('E_INVALID_PARAM', MSG.configNotString(f), { param: 'configurations' });
    if (v.length > MAX_USER_INFO_LENGTH) throw new LinkstoreError('E_INVALID_PARAM', MSG.configTooLarge(f), { param: 'configurations' });
    if (hasLineTerminator(v)) throw new LinkstoreError('E_INVALID_PARAM', MSG.lineTerminators(f), { param: 'configurations' });
    config[f] = v;
  }
  for (const k of Object.keys(input)) {
    if (!fields.includes(k)) {
      const displayName = (await displayDefaults(ctx.disk, mod).catch(() => undefined))?.config.display_name || mod.module;
      throw new LinkstoreError('E_INVALID_PARAM', MSG.unknownConfigField(k, displayName), { param: 'configurations' });
    }
  }
  config.redirect_uris = options.redirectUris !== undefined ? [...options.redirectUris] : await redirectUris(ctx, mod.id);
  const p = clientConfigPath(mod.id);
  return transact(ctx, { dirs: clientConfigDirSpecs(), locks: [{ path: p, mode: MODE.clientConfig }], dryRun: options.dryRun }, async () => {
    const ops: FileOp[] = [{ op: 'write', path: p, content: encodeDb('authn-client-config', config, p), mode: MODE.clientConfig, uid: 0, gid: 0 }];
    if ((await ctx.disk.statPath(wellKnownPath(mod.id))) !== undefined) ops.push({ op: 'remove', path: wellKnownPath(mod.id) });
    return ops;
  });
}

// ---------------------------------------------------------------- listing and failing providers

/** One entry of get_available_authentication_providers. */
export interface AvailableProvider extends AuthnDisplayConfig {
  id: string;
  configured: 0 | 1;
  cpaneld_enabled: 0 | 1;
  webmaild_enabled: 0 | 1;
  whostmgrd_enabled: 0 | 1;
  cpaneld_link: string;
  webmaild_link: string;
  whostmgrd_link: string;
}

export async function listAvailable(ctx: AuthnContext): Promise<AvailableProvider[]> {
  const mods = [...(await availableProviders(ctx)).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const files = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await readServiceFile(ctx, s)] as const))) as Record<
    Service,
    AuthnServiceFile
  >;
  const out: AvailableProvider[] = [];
  for (const mod of mods) {
    const d = (await displayDefaults(ctx.disk, mod)).config;
    const on = (s: Service): 0 | 1 => (own(files[s], mod.id) === mod.package ? 1 : 0);
    // cPanel moves the default configuration's `link` to `<service>_link` (the same for each service).
    const { link = `/openid_connect/${d.provider_name ?? mod.id}`, ...display } = d;
    out.push({
      id: mod.id,
      configured: (await isConfigured(ctx, mod.id)) ? 1 : 0,
      cpaneld_enabled: on('cpaneld'),
      webmaild_enabled: on('webmaild'),
      whostmgrd_enabled: on('whostmgrd'),
      cpaneld_link: link,
      webmaild_link: link,
      whostmgrd_link: link,
      ...display,
    });
  }
  return out;
}

/** One entry of disable_failing_authentication_providers' payload. */
export interface FailingProvider {
  provider_name: string;
  provider_namespace: string;
  provider_failure: string;
  disabled_services: Service[];
  failures_to_disable: Array<{ service_name: Service; failure: string }>;
}

/**
 * disable_failing_authentication_providers, as far as files can tell: an enabled key whose module
 * is not installed, or whose stored package is not the module's package, is disabled everywhere.
 */
export async function disableFailing(ctx: AuthnContext, options: MutationOptions = {}): Promise<MutationResult & { payload: FailingProvider[] }> {
  const mods = await availableProviders(ctx);
  const failing = new Map<string, FailingProvider>();
  const perService = new Map<Service, string[]>();
  for (const s of SERVICES) {
    for (const [id, pkg] of Object.entries(await readServiceFile(ctx, s))) {
      const mod = mods.get(id);
      let failure: string | undefined;
      if (!mod) failure = `The module for the provider “${id}” (${pkg}) is not installed.`;
      else if (mod.package !== pkg) failure = `The provider “${id}” is enabled as “${pkg}”, but its module is “${mod.package}”.`;
      if (failure === undefined) continue;
      if (!failing.has(id))
        failing.set(id, { provider_name: id, provider_namespace: pkg, provider_failure: failure, disabled_services: [], failures_to_disable: [] });
      perService.set(s, [...(perService.get(s) ?? []), id]);
    }
  }
  const ops: MutationResult['ops'] = [];
  for (const [s, ids] of perService) {
    try {
      const r = await editServiceFile(ctx, s, (f) => ids.forEach((k) => delete f[k]), options);
      ops.push(...r.ops);
      for (const id of ids) failing.get(id)?.disabled_services.push(s);
    } catch (e) {
      for (const id of ids) failing.get(id)?.failures_to_disable.push({ service_name: s, failure: e instanceof Error ? e.message : String(e) });
    }
  }
  return { dryRun: options.dryRun === true, ops, changed: ops.length > 0, warnings: [], payload: [...failing.values()] };
}
