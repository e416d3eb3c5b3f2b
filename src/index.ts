/**
 * cpanel-linkstore: cPanel & WHM integration links, External Authentication links and username
 * checks, read and written on disk exactly as cPanel does (and more safely).
 *
 * Start with `openLinkstore({ root })`, then `await ls.integration()`, `await ls.authn()`,
 * `await ls.users()`, or the WHM-shaped `callWhm(ls, name, params)`.
 *
 * The value exports are what the README documents; the stores are reached through the Linkstore
 * (their classes are exported as types). Everything here loads only the composition root, the
 * facade's table and the errors: stores, doctor and transfer load on first use.
 */
export { openLinkstore, type Linkstore, type LinkstoreOptions } from './services.js';
export {
  callWhm,
  callUapi,
  callUapiGetAuthnLinks,
  doctor,
  exportRecords,
  importRecords,
  exportAccountArchive,
  restoreAccountArchive,
  loadAccountArchive,
  purgeAccount,
  renameAccount,
  changeAccountDomain,
  rebuildLinkDbs,
} from './on-demand.js';
export type { WhmEnvelope, WhmMetadata, UapiEnvelope, WhmParams, CallOptions } from './whm/index.js';
export type { WhmFunctionName, UapiFunctionName, WhmParamsOf, WhmDataOf } from './whm/types.js';
export { LinkstoreError, isLinkstoreError, ERROR_CODES, type ErrorCode, type ErrorDetails } from './io/errors.js';
export type { FsPort } from './io/fs-port.js';
export type { PlannedOp } from './io/plan.js';
// The lead's io registries (lock, lock-temp and mutex counts) for daemons' monitoring.
export { runtimeStats, type RuntimeStats } from './io/runtime-stats.js';
export type { Users, UsersOptions, UserLookup, PasswdEntry, SystemUserFlags, UsernameTarget, NewUsernameTarget, GroupNameTarget } from './users/index.js';
export type { MutationOptions, MutationResult } from './io/plan.js';
export type { PortStats, PortPromises, PortFileHandle } from './io/fs-port.js';
export type { JsonValue } from './io/json-codec.js';
export type { WhmFunction, ParamSpec } from './whm/index.js';
export type {
  IntegrationStore,
  IntegrationStoreOptions,
  UpdateTokenOptions,
  UserTarget,
  LinkTarget,
  GroupTarget,
  CreateLinkParams,
  CreateGroupParams,
  SetLinkTokenParams,
  RestoreUserParams as IntegrationRestoreUserParams,
  RenameUserParams,
  BatchItemResult,
  BatchOptions,
  BatchResult,
  ArchiveFile,
  IntegrationArchive,
  RestoreResult,
  DynamicUiCheck,
  DynamicUiReport,
  DynamicUiState,
  LinkParams as IntegrationLinkParams,
  GroupParams as IntegrationGroupParams,
  Params as IntegrationParams,
  LinkKey,
  GroupKey,
} from './integration/index.js';
export type {
  AuthnStore,
  AuthnStoreOptions,
  MailUserQuery,
  AccountOptions,
  LinkedAccount,
  LinkedAccountsOptions,
  AuthnLink,
  LinkParams as AuthnLinkParams,
  UnlinkParams as AuthnUnlinkParams,
  UapiLinkParams as AuthnUapiLinkParams,
  UapiUnlinkParams as AuthnUapiUnlinkParams,
  ProviderTarget,
  ServiceTarget,
  ProviderServiceTarget,
  Service as AuthnService,
  SetConfigParams,
  AppnameParams,
  RenameEmailDomainsParams,
  RestoreUserParams as AuthnRestoreUserParams,
  ConfiguredModule,
  ConfigurationField,
  ClientConfigOptions,
  DriftEntry,
  DriftKind,
  DriftOptions,
  RebuildOptions,
  AvailableProvider,
  FailingProvider,
  ProviderModule,
  UserInfoInput,
  UserInfoValue,
} from './authn/index.js';
export type { CpanelConfigFlags, UsernameCheck, UsernameProblem, VerifyNewUsernameOptions, SystemUserFlagInts, NameInput } from './users/index.js';
export type * from './generated/schemas.js';
export { renderDoctorTable } from './doctor/render.js';
export type { DoctorReport, Finding, DoctorArea, DoctorOptions, DoctorSummary, FindingKind, UserSummary } from './doctor/types.js';
export type {
  TransferRecord,
  ImportSummary,
  ExportOptions,
  ImportOptions,
  LineResult,
  LineStatus,
  AuthnLinkRecord,
  IntegrationGroupRecord,
  IntegrationLinkRecord,
} from './transfer/index.js';
export type { AccountArchive, ArchiveLimits, ArchiveExportOptions, ArchiveExportResult, AccountRestoreOptions, AccountRestoreResult } from './archive/index.js';
export { DEFAULT_LIMITS as ARCHIVE_LIMITS } from './archive/limits.js';
export type { AccountResult } from './account/index.js';
export type { AuthnRestoreResult, RebuildAllResult } from './authn/index.js';
export type { RenameUserOptions } from './integration/index.js';
