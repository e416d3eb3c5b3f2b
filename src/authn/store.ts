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
import { memoSuccess, readHostname } from './hostname.js';
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
      hostname: options.hostname === undefined ? memoSuccess(() => readHostname(disk)) : () => Promise.resolve(options.hostname as string),
    };
  }

  // -------------------------------------------------------------- links

  /** link_user_authn_provider: validate (cPanel's order and messages), write the per-user DB, then the LinkDB. */
  linkUserAuthnProvider(params: LinkParams, options?: MutationOptions): Promise<MutationResult> {
    return addLink(this.#ctx, params, options);
  }

  /** unlink_user_authn_provider: E_NO_SUCH_LINK when the subject is not linked; nothing is created then. */
  unlinkUserAuthnProvider(params: UnlinkParams, options?: MutationOptions): Promise<MutationResult> {
    return removeLink(this.#ctx, params, options);
  }

  /** UAPI get_authn_links: one link user's links, from the per-user DB. */
  getAuthnLinks(user: string): Promise<AuthnLink[]> {
    return getLinks(this.#ctx, user);
  }

  /** WHM get_users_authn_linked_accounts: every link in the LinkDBs of available providers, filtered to what the caller sees. */
  getUsersAuthnLinkedAccounts(options?: LinkedAccountsOptions): Promise<LinkedAccount[]> {
    return linkedAccounts(this.#ctx, options);
  }

  // -------------------------------------------------------------- whole-server transfer

  /** Many links at once, batched per provider (one LinkDB edit per chunk of link users); see transfer.ts. */
  importLinks(items: readonly transfer.ImportLinkItem[], options?: transfer.ImportLinksOptions): Promise<transfer.ImportLinkResult[]> {
    return transfer.importLinks(this.#ctx, items, options);
  }

  /** System users with a links directory, sorted. */
  linkSystemUsers(): Promise<string[]> {
    return transfer.linkSystemUsers(this.#ctx);
  }

  /** The link users (`*.db`) of a system user, sorted. */
  linkUsersOf(sysuser: string): Promise<string[]> {
    return transfer.linkUsersOf(this.#ctx, sysuser);
  }

  /** Every link of one per-user DB with its full user_info (schema-checked; a corrupt DB is E_CORRUPT_FILE). */
  storedLinksOf(sysuser: string, linkuser: string): Promise<transfer.StoredLink[]> {
    return transfer.storedLinksOf(this.#ctx, sysuser, linkuser);
  }

  /** The provider keys of one service file. */
  enabledIn(service: Service): Promise<string[]> {
    return transfer.enabledIn(this.#ctx, service);
  }

  /** Providers with a stored client configuration. */
  clientConfigProviders(): Promise<string[]> {
    return transfer.clientConfigProviders(this.#ctx);
  }

  /** A client configuration exactly as stored (redirect_uris included), or undefined. */
  storedClientConfig(provider: string): Promise<AuthnClientConfig | undefined> {
    return transfer.storedClientConfig(this.#ctx, provider);
  }

  /** (provider, service) pairs with a custom display configuration file. */
  displayConfigKeys(): Promise<Array<{ provider: string; service: Service }>> {
    return transfer.displayConfigKeys(this.#ctx);
  }

  /** A custom display configuration as stored, or undefined. */
  storedDisplayConfig(provider: string, service: Service): Promise<AuthnDisplayConfig | undefined> {
    return transfer.storedDisplayConfig(this.#ctx, provider, service);
  }

  // -------------------------------------------------------------- UAPI

  /** UAPI add_authn_link: service `cpaneld` (default) or `webmaild`, an installed provider, then the add. */
  addAuthnLink(params: UapiLinkParams, options?: MutationOptions): Promise<MutationResult> {
    return uapiAddLink(this.#ctx, params, options);
  }

  /** UAPI remove_authn_link. */
  removeAuthnLink(params: UapiUnlinkParams, options?: MutationOptions): Promise<MutationResult> {
    return uapiRemoveLink(this.#ctx, params, options);
  }

  /** UAPI configured_modules: display configurations of providers enabled and configured for the service. */
  configuredModules(appname?: string): Promise<ConfiguredModule[]> {
    return configuredModules(this.#ctx, appname);
  }

  /** UAPI has_external_auth_modules_configured: 1 when any provider is enabled for the service. */
  hasExternalAuthModulesConfigured(appname?: string): Promise<0 | 1> {
    return hasModulesConfigured(this.#ctx, appname);
  }

  // -------------------------------------------------------------- lifecycle

  /** Remove the links of a system user and all its email users: LinkDB entries, files, directory. */
  removeAllLinksForSystemUser(sysuser: string, options?: AccountOptions): Promise<MutationResult> {
    return removeAllForSystemUser(this.#ctx, sysuser, options);
  }

  /** Rename a system user's link directory and DB, and its name in the LinkDBs. */
  renameSystemUser(oldName: string, newName: string, options?: AccountOptions): Promise<MutationResult> {
    return renameSystemUser(this.#ctx, oldName, newName, options);
  }

  /** Rename `local@old` email link users of `sysuser` to `local@new` for each `{old: new}`. */
  changeEmailDomain(sysuser: string, domains: Record<string, string>, options?: MutationOptions): Promise<MutationResult> {
    return changeEmailDomains(this.#ctx, sysuser, domains, options);
  }

  /** Backup: the files of `links/users/USER/`, as pkgacct copies them into `authnlinks/`. */
  exportUser(params: UserTarget): Promise<ArchiveFile[]> {
    return exportAuthnUser(this.#ctx, params.user);
  }

  /** Restore: replay an archive's `authnlinks/*.db` under `newUser` with cPanel's rules and warnings. */
  restoreUser(params: RestoreUserParams, options?: MutationOptions): Promise<AuthnRestoreResult> {
    return restoreAuthnUser(this.#ctx, params.archive, params.user, options);
  }

  // -------------------------------------------------------------- LinkDB maintenance

  /** Rebuild every provider's LinkDB (those on disk and those the per-user DBs name). */
  rebuildAllLinkDbs(options?: RebuildOptions): Promise<RebuildAllResult> {
    return rebuildAllLinkDbs(this.#ctx, options);
  }

  /** Rebuild a provider's LinkDB from the per-user DBs (cPanel's script; `includeRoot` keeps root). */
  rebuildLinkDb(provider: string, options?: RebuildOptions): Promise<MutationResult> {
    return rebuildLinkDb(this.#ctx, provider, options);
  }

  /** Every difference between the per-user DBs and the LinkDB(s). */
  checkDrift(provider?: string, options?: DriftOptions): Promise<DriftEntry[]> {
    return checkDrift(this.#ctx, provider, options);
  }

  // -------------------------------------------------------------- providers

  /** get_available_authentication_providers. */
  listAvailableProviders(): Promise<AvailableProvider[]> {
    return listAvailable(this.#ctx);
  }

  /** enable_authentication_provider. */
  enableProvider(service: Service | string, provider: string, options?: MutationOptions): Promise<MutationResult> {
    return enableProvider(this.#ctx, service, provider, options);
  }

  /** disable_authentication_provider (links are untouched). */
  disableProvider(service: Service | string, provider: string, options?: MutationOptions): Promise<MutationResult> {
    return disableProvider(this.#ctx, service, provider, options);
  }

  /** disable_authentication_providers that fail, as far as files tell. */
  disableFailingProviders(options?: MutationOptions): Promise<MutationResult & { payload: FailingProvider[] }> {
    return disableFailing(this.#ctx, options);
  }

  /** get_provider_client_configurations. */
  getClientConfig(service: Service | string, provider: string): Promise<AuthnClientConfig> {
    return getClientConfig(this.#ctx, service, provider);
  }

  /** set_provider_client_configurations (`configurations` as a JSON string or an object). */
  setClientConfig(
    service: Service | string,
    provider: string,
    configurations: string | Record<string, unknown>,
    options?: ClientConfigOptions,
  ): Promise<MutationResult> {
    return setClientConfig(this.#ctx, service, provider, configurations, options);
  }

  /** get_provider_configuration_fields: the client-configuration fields with their current values. */
  getConfigurationFields(service: Service | string, provider: string): Promise<ConfigurationField[]> {
    return getConfigurationFields(this.#ctx, service, provider);
  }

  /** get_provider_display_configurations. */
  getDisplayConfigs(provider: string): Promise<Array<AuthnDisplayConfig & { service: Service }>> {
    return getDisplayConfigs(this.#ctx, provider);
  }

  /** set_provider_display_configurations. */
  setDisplayConfig(
    service: Service | string,
    provider: string,
    configurations: string | Record<string, unknown>,
    options?: MutationOptions,
  ): Promise<MutationResult> {
    return setDisplayConfig(this.#ctx, service, provider, configurations, options);
  }
}
