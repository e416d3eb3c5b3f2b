/**
 * The WHM API 1 functions the facade answers, as a table: parameters (for validation and
 * `--help`), whether the function writes, and a thin adapter from flat string parameters to the
 * typed stores. All validation and messages live in the domain modules; this file only names
 * parameters and shapes `data`.
 */
import { LinkstoreError } from '../io/errors.js';
import { isSecretKey } from '../io/secret-keys.js';
import type { PlannedOp } from '../io/plan.js';
import type { Linkstore } from '../services.js';
import { MutationData } from './envelope.js';
import type { ParamReader } from './params.js';
import type { Service } from '../authn/constants.js';

/**
 * WHM's `service_name`, as the typed API's `Service`: the facade takes any text, and the store
 * checks it at run time (an unknown service is cPanel's "invalid service" error, not a type error).
 */
function serviceName(p: ParamReader): Service {
  return p.defined('service_name') as Service;
}

export interface ParamSpec {
  name: string;
  required?: boolean;
  description: string;
}

export interface WhmFunction {
  name: string;
  summary: string;
  params: readonly ParamSpec[];
  /** Writes files: accepts a dry run. */
  mutates: boolean;
  /**
   * The Perl package whose function cPanel names in missing-parameter messages
   * (`<package>::<name>`), e.g. `Whostmgr::API::1::Integration`.
   */
  perlPackage?: string;
  /** `uapi`: a UAPI call (answered in UAPI's envelope by `callUapi`); default WHM API 1. */
  api?: 'whm' | 'uapi';
  /** UAPI module name (UAPI functions only). */
  module?: string;
  run(ls: Linkstore, params: ParamReader, options: { dryRun: boolean }): Promise<unknown>;
}

/** `data` of a mutation: nothing (as cPanel), or the plan for a dry run; `changed` goes to the metadata. */
function mutationData(r: { dryRun: boolean; ops: PlannedOp[]; changed: boolean; warnings?: string[] }, done?: unknown): MutationData {
  if (!r.dryRun) return new MutationData(done ?? (r.warnings?.length ? { warnings: r.warnings } : undefined), r.changed);
  return new MutationData({ dry_run: 1, operations: r.ops, ...(r.warnings?.length ? { warnings: r.warnings } : {}) }, r.changed);
}

const UAPI = { api: 'uapi', module: 'ExternalAuthentication', perlPackage: 'Cpanel::API::ExternalAuthentication' } as const;
const user = { name: 'user', required: true, description: 'The cPanel account.' } as const satisfies ParamSpec;
const app = { name: 'app', required: true, description: 'The application name ([0-9A-Za-z_-]).' } as const satisfies ParamSpec;
const groupId = { name: 'group_id', required: true, description: 'The group name ([0-9A-Za-z_-]).' } as const satisfies ParamSpec;
const service = { name: 'service_name', required: true, description: 'cpaneld, webmaild or whostmgrd.' } as const satisfies ParamSpec;
const providerId = { name: 'provider_id', required: true, description: 'The provider id, e.g. google.' } as const satisfies ParamSpec;

const LINK_OPTIONAL = ['autologin_token_url', 'url', 'token', 'subscriber_unique_id', 'implements', 'label', 'order', 'group_id', 'hide', 'base64_png_image'];

/** `as const`, so that the public `callWhm` types each function's name, parameters and data from it. */
export const WHM_FUNCTIONS = [
  // ---------------------------------------------------------------- integration
  {
    name: 'create_integration_link',
    summary: 'Create or replace an integration link (APP.userconfig, APP.adminconfig, dynamicui_APP.conf).',
    params: [
      user,
      app,
      { name: 'url', description: 'Link target (url or autologin_token_url is required).' },
      { name: 'autologin_token_url', description: 'Autologin endpoint (url or autologin_token_url is required).' },
      { name: 'token', description: 'Secret for autologin; stored only in APP.adminconfig (0600).' },
      { name: 'subscriber_unique_id', description: 'Free text.' },
      { name: 'label', description: 'Display name (no single quotes).' },
      { name: 'implements', description: 'Menu role, e.g. billing.' },
      { name: 'group_id', description: 'DynamicUI group (default preferences).' },
      { name: 'order', description: 'Sort order (integer).' },
      { name: 'hide', description: '1 hides the icon.' },
      { name: 'base64_png_image', description: 'Base64 PNG icon.' },
    ],
    mutates: true,
    perlPackage: 'Whostmgr::API::1::Integration',
    async run(ls, p, o) {
      const s = await ls.integration();
      return mutationData(await s.createLink({ user: p.required('user'), app: p.required('app'), ...p.pick(LINK_OPTIONAL) }, o));
    },
  },
  {
    name: 'remove_integration_link',
    summary: 'Remove an integration link (idempotent).',
    params: [user, app],
    mutates: true,
    perlPackage: 'Whostmgr::API::1::Integration',
    async run(ls, p, o) {
      return mutationData(await (await ls.integration()).removeLink({ user: p.required('user'), app: p.required('app') }, o));
    },
  },
  {
    name: 'list_integration_links',
    summary: 'List a user’s integration links, sorted.',
    params: [user],
    mutates: false,
    perlPackage: 'Whostmgr::API::1::Integration',
    async run(ls, p) {
      const apps = await (await ls.integration()).listLinks({ user: p.required('user') });
      return { links: apps.map((a) => ({ app: a })) };
    },
  },
  {
    name: 'get_integration_link_user_config',
    summary: 'Read APP.userconfig.',
    params: [user, app],
    mutates: false,
    perlPackage: 'Whostmgr::API::1::Integration',
    async run(ls, p) {
      return { userconfig: await (await ls.integration()).getLinkUserConfig({ user: p.required('user'), app: p.required('app') }) };
    },
  },
  {
    name: 'update_integration_link_token',
    summary: 'Replace the token in APP.adminconfig of an existing link.',
    params: [user, app, { name: 'token', required: true, description: 'The new token.' }],
    mutates: true,
    perlPackage: 'Whostmgr::API::1::Integration',
    async run(ls, p, o) {
      return mutationData(await (await ls.integration()).setLinkToken({ user: p.required('user'), app: p.required('app'), token: p.required('token') }, o));
    },
  },
  {
    name: 'create_integration_group',
    summary: 'Create or replace an integration group (group_ID.userconfig, dynamicui_group_ID.conf).',
    params: [user, groupId, { name: 'label', description: 'Display name.' }, { name: 'order', description: 'Sort order.' }],
    mutates: true,
    perlPackage: 'Whostmgr::API::1::Integration',
    async run(ls, p, o) {
      return mutationData(
        await (await ls.integration()).createGroup({ user: p.required('user'), group_id: p.required('group_id'), ...p.pick(['label', 'order']) }, o),
      );
    },
  },
  {
    name: 'remove_integration_group',
    summary: 'Remove an integration group (idempotent).',
    params: [user, groupId],
    mutates: true,
    perlPackage: 'Whostmgr::API::1::Integration',
    async run(ls, p, o) {
      return mutationData(await (await ls.integration()).removeGroup({ user: p.required('user'), group_id: p.required('group_id') }, o));
    },
  },
  {
    name: 'list_integration_groups',
    summary: 'List a user’s integration groups (the WHM key is “links”).',
    params: [user],
    mutates: false,
    perlPackage: 'Whostmgr::API::1::Integration',
    async run(ls, p) {
      const groups = await (await ls.integration()).listGroups({ user: p.required('user') });
      return { links: groups.map((g) => ({ group: g })) };
    },
  },
  // ---------------------------------------------------------------- authn links
  {
    name: 'link_user_authn_provider',
    perlPackage: 'Whostmgr::API::1::Accounts',
    summary: 'Link an OpenID Connect identity to a user (per-user DB, then the provider’s LinkDB).',
    params: [
      { name: 'username', required: true, description: 'System user, root, or local@domain.' },
      providerId,
      { name: 'subject_unique_identifier', required: true, description: 'The identity’s subject (sub).' },
      { name: 'preferred_username', required: true, description: 'Display name of the identity.' },
    ],
    mutates: true,
    async run(ls, p, o) {
      const r = await (
        await ls.authn()
      ).linkAccount(
        {
          user: p.defined('username'),
          provider: p.defined('provider_id'),
          subject: p.defined('subject_unique_identifier'),
          userInfo: { preferred_username: p.defined('preferred_username') },
        },
        o,
      );
      return mutationData(r);
    },
  },
  {
    name: 'unlink_user_authn_provider',
    perlPackage: 'Whostmgr::API::1::Accounts',
    summary: 'Remove an OpenID Connect link from a user (both stores).',
    params: [
      { name: 'username', required: true, description: 'The linked user.' },
      providerId,
      { name: 'subject_unique_identifier', required: true, description: 'The subject to unlink.' },
    ],
    mutates: true,
    async run(ls, p, o) {
      const r = await (
        await ls.authn()
      ).unlinkAccount({ user: p.defined('username'), provider: p.defined('provider_id'), subject: p.defined('subject_unique_identifier') }, o);
      return mutationData(r);
    },
  },
  {
    name: 'get_users_authn_linked_accounts',
    perlPackage: 'Whostmgr::API::1::Accounts',
    summary: 'Every linked account of every available provider, from the LinkDBs (as cPanel’s login reads them).',
    params: [],
    mutates: false,
    async run(ls) {
      return { username_linked_accounts: await (await ls.authn()).listLinkedAccounts() };
    },
  },
  // ---------------------------------------------------------------- UAPI ExternalAuthentication
  {
    name: 'get_authn_links',
    summary: 'UAPI ExternalAuthentication::get_authn_links: one user’s links, from the per-user DB.',
    params: [{ name: 'username', required: true, description: 'System user or local@domain.' }],
    mutates: false,
    ...UAPI,
    async run(ls, p) {
      return (await ls.authn()).listLinks({ user: p.required('username') });
    },
  },
  {
    name: 'add_authn_link',
    summary: 'UAPI ExternalAuthentication::add_authn_link: link an identity to a cPanel or email account (both stores).',
    params: [
      { name: 'username', required: true, description: 'The cPanel account or local@domain (cPanel takes it from the session).' },
      providerId,
      { name: 'subject_unique_identifier', required: true, description: 'The identity’s subject (sub).' },
      { name: 'preferred_username', required: true, description: 'Display name of the identity.' },
      { name: 'service', description: 'cpaneld (default) or webmaild: where the call comes from.' },
    ],
    mutates: true,
    ...UAPI,
    async run(ls, p, o) {
      const r = await (
        await ls.authn()
      ).linkOwnAccount(
        {
          user: p.required('username'),
          provider: p.required('provider_id'),
          subject: p.required('subject_unique_identifier'),
          preferredUsername: p.required('preferred_username'),
          service: p.optional('service'),
        },
        o,
      );
      return mutationData(r);
    },
  },
  {
    name: 'remove_authn_link',
    summary: 'UAPI ExternalAuthentication::remove_authn_link: remove a link (both stores).',
    params: [
      { name: 'username', required: true, description: 'The linked cPanel account or local@domain (cPanel takes it from the session).' },
      providerId,
      { name: 'subject_unique_identifier', required: true, description: 'The subject to unlink.' },
    ],
    mutates: true,
    ...UAPI,
    async run(ls, p, o) {
      const r = await (
        await ls.authn()
      ).unlinkOwnAccount({ user: p.required('username'), provider: p.required('provider_id'), subject: p.required('subject_unique_identifier') }, o);
      return mutationData(r);
    },
  },
  {
    name: 'configured_modules',
    summary: 'UAPI ExternalAuthentication::configured_modules: display settings of providers enabled and configured for the service.',
    params: [{ name: 'appname', description: 'webmaild for Webmail; absent for cPanel.' }],
    mutates: false,
    ...UAPI,
    async run(ls, p) {
      return (await ls.authn()).listConfiguredModules({ appname: p.optional('appname') });
    },
  },
  {
    name: 'has_external_auth_modules_configured',
    summary: 'UAPI ExternalAuthentication::has_external_auth_modules_configured: 1 when any provider is enabled for the service.',
    params: [{ name: 'appname', description: 'webmaild for Webmail; absent for cPanel.' }],
    mutates: false,
    ...UAPI,
    async run(ls, p) {
      return (await ls.authn()).checkModulesConfigured({ appname: p.optional('appname') });
    },
  },
  // ---------------------------------------------------------------- providers
  {
    name: 'get_available_authentication_providers',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'Installed providers with their enabled/configured state and display defaults.',
    params: [],
    mutates: false,
    async run(ls) {
      return { providers: await (await ls.authn()).listAvailableProviders() };
    },
  },
  {
    name: 'enable_authentication_provider',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'Enable a provider for a service.',
    params: [service, providerId],
    mutates: true,
    async run(ls, p, o) {
      return mutationData(await (await ls.authn()).enableProvider({ service: serviceName(p), provider: p.defined('provider_id') }, o));
    },
  },
  {
    name: 'disable_authentication_provider',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'Disable a provider for a service (links are kept).',
    params: [service, providerId],
    mutates: true,
    async run(ls, p, o) {
      return mutationData(await (await ls.authn()).disableProvider({ service: serviceName(p), provider: p.defined('provider_id') }, o));
    },
  },
  {
    name: 'disable_failing_authentication_providers',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'Disable enabled providers whose module is missing.',
    params: [],
    mutates: true,
    async run(ls, _p, o) {
      const r = await (await ls.authn()).disableFailingProviders(o);
      return new MutationData(r.dryRun ? { dry_run: 1, operations: r.ops, payload: r.payload } : { payload: r.payload }, r.changed);
    },
  },
  {
    name: 'get_provider_client_configurations',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'A provider’s client configuration, with the current default redirect_uris.',
    params: [service, providerId],
    mutates: false,
    async run(ls, p) {
      return { client_configurations: await (await ls.authn()).getClientConfig({ service: serviceName(p), provider: p.defined('provider_id') }) };
    },
  },
  {
    name: 'set_provider_client_configurations',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'Store a provider’s client configuration (0600).',
    params: [
      service,
      providerId,
      { name: 'configurations', required: true, description: 'JSON object of the provider’s fields, e.g. {"client_id":"…","client_secret":"…"}.' },
    ],
    mutates: true,
    async run(ls, p, o) {
      const r = await (
        await ls.authn()
      ).setClientConfig({ service: serviceName(p), provider: p.defined('provider_id'), configurations: p.defined('configurations') }, o);
      return mutationData(r, {});
    },
  },
  {
    name: 'get_provider_configuration_fields',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'A provider’s client-configuration fields with their current values (the secret included).',
    params: [service, providerId],
    mutates: false,
    async run(ls, p) {
      return {
        configuration_fields: await (await ls.authn()).listConfigurationFields({ service: serviceName(p), provider: p.defined('provider_id') }),
      };
    },
  },
  {
    name: 'get_provider_display_configurations',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'A provider’s display configuration per service.',
    params: [providerId],
    mutates: false,
    async run(ls, p) {
      return { configurations: await (await ls.authn()).listDisplayConfigs({ provider: p.defined('provider_id') }) };
    },
  },
  {
    name: 'set_provider_display_configurations',
    perlPackage: 'Whostmgr::API::1::Authentication',
    summary: 'Merge display settings for a provider and service (0644).',
    params: [service, providerId, { name: 'configurations', required: true, description: 'JSON object, e.g. {"color":"336699"}.' }],
    mutates: true,
    async run(ls, p, o) {
      const r = await (
        await ls.authn()
      ).setDisplayConfig({ service: serviceName(p), provider: p.defined('provider_id'), configurations: p.defined('configurations') }, o);
      return mutationData(r, {});
    },
  },
  // ---------------------------------------------------------------- usernames
  {
    name: 'validate_system_user',
    summary: 'The four username flags: exists, reserved, valid_for_new, valid_for_transfer.',
    params: [{ name: 'user', required: true, description: 'The name, exactly as given (not trimmed or lower-cased).' }],
    mutates: false,
    async run(ls, p) {
      const users = await ls.users();
      const { flagsToInts } = await import('../users/index.js');
      // An absent user reaches the store, whose E_MISSING_PARAM carries cPanel's reason.
      return flagsToInts(await users.validateSystemUser({ user: p.optional('user') as string }));
    },
  },
  {
    name: 'verify_new_username',
    summary: 'Whether a new account may use this name (cPanel’s checks and messages).',
    params: [{ name: 'user', required: true, description: 'The proposed name.' }],
    mutates: false,
    async run(ls, p) {
      await (await ls.users()).verifyNewUsername({ user: p.nonEmpty('user') });
      return undefined;
    },
  },
  {
    name: 'verify_new_username_for_restore',
    summary: 'Whether a restored or transferred account may use this name.',
    params: [{ name: 'user', required: true, description: 'The proposed name.' }],
    mutates: false,
    async run(ls, p) {
      await (await ls.users()).verifyNewUsernameForRestore({ user: p.nonEmpty('user') });
      return undefined;
    },
  },
] as const satisfies readonly WhmFunction[];

const byName = new Map<string, WhmFunction>(WHM_FUNCTIONS.map((f) => [f.name, f]));

export function whmFunction(name: string): WhmFunction | undefined {
  return byName.get(name);
}

/** E_UNKNOWN_FUNCTION for `name`, listing the functions there are (the CLI and `serve` give the same text). */
export function unknownFunction(name: string): LinkstoreError {
  return new LinkstoreError('E_UNKNOWN_FUNCTION', `Unknown function “${name}”. Known functions: ${WHM_FUNCTIONS.map((f) => f.name).join(', ')}.`);
}

/** The parameters of `fn` that carry a secret: a token, or client configurations (which hold the client secret). */
export function secretParamsOf(fn: WhmFunction): string[] {
  return fn.params.filter((p) => isSecretKey(p.name) || p.name === 'configurations').map((p) => p.name);
}
