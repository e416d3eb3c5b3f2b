/** External Authentication links: per-user DBs, the LinkDB reverse index, providers. */
export {
  AuthnStore,
  type AuthnStoreOptions,
  type UserTarget,
  type ProviderTarget,
  type ServiceTarget,
  type ProviderServiceTarget,
  type SetConfigParams,
  type AppnameParams,
  type RenameUserParams,
  type RenameEmailDomainsParams,
  type RestoreUserParams,
} from './store.js';
export type { MailUserQuery, MutationOptions, MutationResult } from './context.js';
export type { AccountOptions } from './lifecycle.js';
export type { AuthnRestoreResult } from './archive.js';
export type { RebuildAllResult } from './rebuild-all.js';
export type { LinkedAccount, LinkedAccountsOptions } from './linked-accounts.js';
export type { AuthnLink, LinkParams, UnlinkParams } from './links.js';
export type { DriftEntry, DriftKind, DriftOptions, RebuildOptions } from './maint.js';
export type { AvailableProvider, ClientConfigOptions, ConfigurationField, FailingProvider, ProviderModule } from './providers.js';
export type { ImportLinkItem, ImportLinkResult, ImportLinkStatus, ImportLinksOptions, StoredLink } from './transfer.js';
export type { ConfiguredModule, UapiLinkParams, UapiUnlinkParams } from './uapi.js';
export type { UserInfoInput, UserInfoValue } from './validate.js';
export { MSG as AUTHN_MESSAGES } from './messages.js';
export {
  AUTHN_DIR,
  CLIENT_CONFIG_BASE,
  CLIENT_CONFIG_DIR,
  LINKS_DIR,
  LOGIN_DIR,
  MODE,
  OIDC_LINKS_DIR,
  SERVICE_DIR,
  USERS_DIR,
  linkUserFromEntry,
  LINKDB_VERSION,
  MODE as AUTHN_MODES,
  PROTOCOL,
  SERVICES,
  SHIPPED_PROVIDERS,
  USER_DB_VERSION,
  linkDbPath,
  userDbPath,
  type Service,
} from './constants.js';
export { isStrictWebmailUser } from './validate.js';
