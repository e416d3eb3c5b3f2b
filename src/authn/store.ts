/**
 * `AuthnStore`: the External Authentication links of one server (or mounted disk), as one object
 * with typed methods. Every mutation is a cPanel-compatible Transaction (dot-lock, read, modify,
 * durable write, unlock) in cPanel's lock order, and accepts `{ dryRun: true }`.
 *
 * Links created here send no `Security::AuthnMethodLinkedToAccount` notification (only cPanel
 * can send it).
 */
import type { Disk } from '../io/disk.js';
import { FileMemo } from '../io/file-memo.js';
import { afterWellFormed } from '../io/param-text.js';
import { checkHostnameOption, memoSuccess, readHostname } from './hostname.js';
import type { UserLookup } from '../users/lookup.js';
import type { AuthnClientConfig, AuthnDisplayConfig } from '../generated/schemas.js';
import type { Service } from './constants.js';
import { type AuthnContext, type MailUserQuery, type MutationOptions, type MutationResult, fileMailUserExists } from './context.js';
import { type AccountOptions, changeEmailDomains, removeAllForSystemUser, renameSystemUser } from './lifecycle.js';
import { type LinkedAccount, type LinkedAccountsOptions, linkedAccounts, parseLinkDbIndex } from './linked-accounts.js';
import { type AuthnLink, type LinkParams, type UnlinkParams, addLink, getLinks, removeLink } from './links.js';
import { type DriftEntry, type DriftOptions, type RebuildOptions, checkDrift, rebuildLinkDb } from './maint.js';
import { type ArchiveFile, type AuthnRestoreResult, exportAuthnUser, restoreAuthnUser } from './archive.js';
import { type RebuildAllResult, rebuildAllLinkDbs } from './rebuild-all.js';
import {
  type ConfiguredModule,
  type UapiLinkParams,
  type UapiUnlinkParams,
  configuredModules,
  hasModulesConfigured,
  uapiAddLink,
  uapiRemoveLink,
} from './uapi.js';
import * as transfer from './transfer.js';
import {
  type ClientConfigOptions,
  type AvailableProvider,
  type ConfigurationField,
  getConfigurationFields,
  type FailingProvider,
  disableFailing,
  disableProvider,
  enableProvider,
  getClientConfig,
  getDisplayConfigs,
  listAvailable,
  parseServiceFile,
  setClientConfig,
  setDisplayConfig,
} from './providers.js';

/** The target of a per-user call: a system user (or, for links, a link user). */
export interface UserTarget {
  user: string;
}
/** A provider (its id, as `provider_id` names it in WHM). */
export interface ProviderTarget {
  provider: string;
}
/** A service (`cpaneld`, `webmaild`, `whostmgrd`; WHM's `service_name`). */
export interface ServiceTarget {
  service: Service;
}
/** A provider in a service. */
export interface ProviderServiceTarget extends ProviderTarget, ServiceTarget {}
/** set_provider_client_configurations / set_provider_display_configurations. */
export interface SetConfigParams extends ProviderServiceTarget {
  /** A JSON object, as text (as WHM receives it) or parsed. */
  configurations: string | Record<string, unknown>;
}
/** The UAPI service selector: an `appname` that mentions webmail means `webmaild`, else `cpaneld`. */
export interface AppnameParams {
  appname?: string;
}
export interface RenameUserParams extends UserTarget {
  newUser: string;
}
export interface RenameEmailDomainsParams extends UserTarget {
  /** `{ old: new }` domain pairs. */
  domains: Record<string, string>;
}
export interface RestoreUserParams extends UserTarget {
  /** The archive's `authnlinks/*.db` files (what `exportUser` returned); restored under `user`. */
  archive: readonly ArchiveFile[];
}

export interface AuthnStoreOptions {
  disk: Disk;
  users: UserLookup;
  /** Clock in epoch milliseconds (default `Date.now`); link_time is its whole seconds. */
  now?: () => number;
  /**
   * Whether the email account `local@domain` (owned by `owner`) exists. Default: cPanel's rule,
   * `<owner's home>/mail/<domain>/<local>` exists (stat only; verified-against-cpanel.md §3).
   */
  mailUserExists?: (q: MailUserQuery) => Promise<boolean>;
  /**
   * Server hostname for redirect URIs. Default: the first line of /etc/hostname under the root
   * (read once; a failed read is not remembered), or `localhost` when the file is missing or empty.
   * A file that exists but cannot be read or holds no hostname is an error naming it.
   */
  hostname?: string;
}

// Set by the class's static block: the one way to reach a store's private context.
/** A provider call's values for the lone-surrogate rule, by the names WHM gives them. */
function providerService(params: { service?: unknown; provider?: unknown }): Record<string, unknown> {
  return { service_name: params.service, provider_id: params.provider };
}

/** Every domain of a rename, old and new, as one text for the lone-surrogate rule. */
function wellFormedPairs(domains: unknown): string | undefined {
  if (typeof domains !== 'object' || domains === null) return undefined;
  return Object.entries(domains as Record<string, unknown>)
    .flat()
    .filter((v) => typeof v === 'string')
    .join('\n');
}

let contextOf: (store: AuthnStore) => AuthnContext;

const constant =
  <T>(v: T) =>
  (): Promise<T> =>
    Promise.resolve(v);

export class AuthnStore {
  readonly #ctx: AuthnContext;

  constructor(options: AuthnStoreOptions) {
    const { disk, users } = options;
    const now = options.now ?? Date.now;
    const mail = options.mailUserExists ?? fileMailUserExists(disk, users);
    this.#ctx = {
      disk,
      users,
      nowSeconds: () => Math.floor(now() / 1000),
      mailUserExists: mail,
      serviceFiles: new FileMemo(disk, parseServiceFile),
      linkDbIndex: new FileMemo(disk, parseLinkDbIndex),
      hostname: options.hostname === undefined ? memoSuccess(() => readHostname(disk)) : constant(checkHostnameOption(options.hostname)),
    };
  }

  // -------------------------------------------------------------- links

  /** link_user_authn_provider: validate (cPanel's order and messages), write the per-user DB, then the LinkDB. */
  linkAccount(params: LinkParams, options?: MutationOptions): Promise<MutationResult> {
    return addLink(this.#ctx, params, options);
  }

  /** unlink_user_authn_provider: E_NO_SUCH_LINK when the subject is not linked; nothing is created then. */
  unlinkAccount(params: UnlinkParams, options?: MutationOptions): Promise<MutationResult> {
    return removeLink(this.#ctx, params, options);
  }

  /** UAPI get_authn_links: one link user's links, from the per-user DB. */
  listLinks(params: UserTarget): Promise<AuthnLink[]> {
    return getLinks(this.#ctx, params.user);
  }

  /** WHM get_users_authn_linked_accounts: every link in the LinkDBs of available providers, filtered to what the caller sees. */
  listLinkedAccounts(options?: LinkedAccountsOptions): Promise<LinkedAccount[]> {
    return afterWellFormed({ reseller: options?.reseller }, () => linkedAccounts(this.#ctx, options));
  }

  /** Many links at once, batched per provider (one LinkDB edit per chunk of link users); see transfer.ts. */
  importLinks(items: readonly transfer.ImportLinkItem[], options?: transfer.ImportLinksOptions): Promise<transfer.ImportLinkResult[]> {
    return transfer.importLinks(this.#ctx, items, options);
  }

  // -------------------------------------------------------------- UAPI

  /** UAPI add_authn_link: service `cpaneld` (default) or `webmaild`, an installed provider, then the link. */
  linkOwnAccount(params: UapiLinkParams, options?: MutationOptions): Promise<MutationResult> {
    return uapiAddLink(this.#ctx, params, options);
  }

  /** UAPI remove_authn_link. */
  unlinkOwnAccount(params: UapiUnlinkParams, options?: MutationOptions): Promise<MutationResult> {
    return uapiRemoveLink(this.#ctx, params, options);
  }

  /** UAPI configured_modules: display configurations of providers enabled and configured for the service. */
  listConfiguredModules(params: AppnameParams = {}): Promise<ConfiguredModule[]> {
    return afterWellFormed({ appname: params.appname }, () => configuredModules(this.#ctx, params.appname));
  }

  /** UAPI has_external_auth_modules_configured: 1 when any provider is enabled for the service. */
  checkModulesConfigured(params: AppnameParams = {}): Promise<0 | 1> {
    return afterWellFormed({ appname: params.appname }, () => hasModulesConfigured(this.#ctx, params.appname));
  }

  // -------------------------------------------------------------- lifecycle

  /** Remove the links of a system user and all its email users: LinkDB entries, files, directory. */
  purgeUser(params: UserTarget, options?: AccountOptions): Promise<MutationResult> {
    return afterWellFormed({ user: params.user }, () => removeAllForSystemUser(this.#ctx, params.user, options));
  }

  /** Rename a system user's link directory and DB, and its name in the LinkDBs. */
  renameUser(params: RenameUserParams, options?: AccountOptions): Promise<MutationResult> {
    return afterWellFormed({ user: params.user, newUser: params.newUser }, () => renameSystemUser(this.#ctx, params.user, params.newUser, options));
  }

  /** Rename `local@old` email link users of `user` to `local@new` for each `{old: new}` of `domains`. */
  renameEmailDomains(params: RenameEmailDomainsParams, options?: MutationOptions): Promise<MutationResult> {
    return afterWellFormed({ user: params.user, domains: wellFormedPairs(params.domains) }, () =>
      changeEmailDomains(this.#ctx, params.user, params.domains, options),
    );
  }

  /** Backup: the files of `links/users/USER/`, as pkgacct copies them into `authnlinks/`. */
  exportUser(params: UserTarget): Promise<ArchiveFile[]> {
    return afterWellFormed({ user: params.user }, () => exportAuthnUser(this.#ctx, params.user));
  }

  /** Restore: replay an archive's `authnlinks/*.db` under `user` with cPanel's rules and warnings. */
  restoreUser(params: RestoreUserParams, options?: MutationOptions): Promise<AuthnRestoreResult> {
    return afterWellFormed({ user: params.user }, () => restoreAuthnUser(this.#ctx, params.archive, params.user, options));
  }

  // -------------------------------------------------------------- LinkDB maintenance

  /** Rebuild every provider's LinkDB (those on disk and those the per-user DBs name). */
  rebuildLinkDbs(options?: RebuildOptions): Promise<RebuildAllResult> {
    return rebuildAllLinkDbs(this.#ctx, options);
  }

  /** Rebuild a provider's LinkDB from the per-user DBs (cPanel's script; `includeRoot` keeps root). */
  rebuildLinkDb(params: ProviderTarget, options?: RebuildOptions): Promise<MutationResult> {
    return rebuildLinkDb(this.#ctx, params.provider, options);
  }

  /** Every difference between the per-user DBs and the LinkDB of `provider` (every provider's without one). */
  checkDrift(params: Partial<ProviderTarget> = {}, options?: DriftOptions): Promise<DriftEntry[]> {
    return checkDrift(this.#ctx, params.provider, options);
  }

  // -------------------------------------------------------------- providers

  /** get_available_authentication_providers. */
  listAvailableProviders(): Promise<AvailableProvider[]> {
    return listAvailable(this.#ctx);
  }

  /** The providers enabled in a service file, as stored (lower-case keys). */
  listEnabledProviders(params: { service: Service }): Promise<string[]> {
    return afterWellFormed({ service_name: params.service }, () => transfer.enabledIn(this.#ctx, params.service));
  }

  /** enable_authentication_provider. */
  enableProvider(params: ProviderServiceTarget, options?: MutationOptions): Promise<MutationResult> {
    return afterWellFormed(providerService(params), () => enableProvider(this.#ctx, params.service, params.provider, options));
  }

  /** disable_authentication_provider (links are untouched). */
  disableProvider(params: ProviderServiceTarget, options?: MutationOptions): Promise<MutationResult> {
    return afterWellFormed(providerService(params), () => disableProvider(this.#ctx, params.service, params.provider, options));
  }

  /** disable_failing_authentication_providers: those that fail, as far as files tell. */
  disableFailingProviders(options?: MutationOptions): Promise<MutationResult & { payload: FailingProvider[] }> {
    return disableFailing(this.#ctx, options);
  }

  /** get_provider_client_configurations. */
  getClientConfig(params: ProviderServiceTarget): Promise<AuthnClientConfig> {
    return afterWellFormed(providerService(params), () => getClientConfig(this.#ctx, params.service, params.provider));
  }

  /** set_provider_client_configurations (`configurations` as a JSON string or an object). */
  setClientConfig(params: SetConfigParams, options?: ClientConfigOptions): Promise<MutationResult> {
    return afterWellFormed(providerService(params), () => setClientConfig(this.#ctx, params.service, params.provider, params.configurations, options));
  }

  /** get_provider_configuration_fields: the client-configuration fields with their current values. */
  listConfigurationFields(params: ProviderServiceTarget): Promise<ConfigurationField[]> {
    return afterWellFormed(providerService(params), () => getConfigurationFields(this.#ctx, params.service, params.provider));
  }

  /** get_provider_display_configurations: one per service. */
  listDisplayConfigs(params: ProviderTarget): Promise<Array<AuthnDisplayConfig & { service: Service }>> {
    return afterWellFormed({ provider_id: params.provider }, () => getDisplayConfigs(this.#ctx, params.provider));
  }

  /** set_provider_display_configurations. */
  setDisplayConfig(params: SetConfigParams, options?: MutationOptions): Promise<MutationResult> {
    return afterWellFormed(providerService(params), () => setDisplayConfig(this.#ctx, params.service, params.provider, params.configurations, options));
  }

  static {
    contextOf = (store) => store.#ctx;
  }
}

/** The store's context, for the package's own modules (transfer, doctor, tests) that call the domain functions directly. */
export function authnContext(store: AuthnStore): AuthnContext {
  return contextOf(store);
}
