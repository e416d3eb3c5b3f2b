/**
 * cpanel-linkstore: cPanel & WHM integration links, External Authentication links and username
 * checks, read and written on disk exactly as cPanel does (and more safely).
 *
 * Start with `openLinkstore({ root })`, then `await ls.integration()`, `await ls.authn()`,
 * `await ls.users()`, or the WHM-shaped `callWhm(ls, name, params)`.
 */
export { Linkstore, openLinkstore, type LinkstoreOptions } from './services.js';
export {
  callWhm,
  callUapi,
  callUapiGetAuthnLinks,
  WHM_FUNCTIONS,
  type WhmEnvelope,
  type WhmMetadata,
  type UapiEnvelope,
  type WhmParams,
  type CallOptions,
} from './whm/index.js';
export { LinkstoreError, isLinkstoreError, ERROR_CODES, type ErrorCode, type ErrorDetails } from './io/errors.js';
export { Disk, type DiskOptions, type Resolved } from './io/disk.js';
export type { FsPort } from './io/fs-port.js';
export type { PlannedOp } from './io/plan.js';
export { encodePretty, encodeCompact, decodeStrict } from './io/json-codec.js';
export { cpanelLockPath, withDotLock, type DotLockOptions } from './io/dot-lock.js';
export { runtimeStats, type RuntimeStats } from './io/runtime-stats.js';
export { Users, type UsersOptions, type UserLookup, type PasswdEntry, type SystemUserFlags } from './users/index.js';
export type { MutationOptions, MutationResult } from './io/plan.js';
export type { PortStats, PortPromises, PortFileHandle } from './io/fs-port.js';
export type { JsonValue } from './io/json-codec.js';
export type { HeldLock } from './io/dot-lock.js';
export type { WhmFunction, ParamSpec } from './whm/index.js';
export {
  IntegrationStore,
  type IntegrationStoreOptions,
  type UpdateTokenOptions,
  type BatchLinkItem,
  type BatchItemResult,
  type BatchOptions,
  type BatchResult,
  type ArchiveFile,
  type IntegrationArchive,
  type RestoreResult,
  type DynamicUiCheck,
  type DynamicUiReport,
  type DynamicUiState,
  type LinkParams as IntegrationLinkParams,
  type GroupParams as IntegrationGroupParams,
  type Params as IntegrationParams,
  type LinkKey,
  type GroupKey,
} from './integration/index.js';
export {
  AuthnStore,
  type AuthnStoreOptions,
  type MailUserQuery,
  type AccountOptions,
  type LinkedAccount,
  type LinkedAccountsOptions,
  type AuthnLink,
  type LinkParams as AuthnLinkParams,
  type UnlinkParams as AuthnUnlinkParams,
  type DriftEntry,
  type DriftKind,
  type DriftOptions,
  type RebuildOptions,
  type AvailableProvider,
  type FailingProvider,
  type ProviderModule,
  type UserInfoInput,
  type UserInfoValue,
} from './authn/index.js';
export type { CpanelConfigFlags, UsernameCheck, UsernameProblem, VerifyNewUsernameOptions, SystemUserFlagInts, NameInput } from './users/index.js';
export type * from './generated/schemas.js';
export {
  doctor,
  renderDoctorTable,
  type DoctorReport,
  type Finding,
  type DoctorArea,
  type DoctorOptions,
  type DoctorSummary,
  type FindingKind,
  type UserSummary,
} from './doctor/index.js';
export {
  exportRecords,
  importRecords,
  type TransferRecord,
  type ImportSummary,
  type ExportOptions,
  type ImportOptions,
  type LineResult,
  type LineStatus,
  type AuthnLinkRecord,
  type IntegrationGroupRecord,
  type IntegrationLinkRecord,
} from './transfer/index.js';
export {
  exportAccountArchive,
  restoreAccountArchive,
  loadAccountArchive,
  DEFAULT_LIMITS as ARCHIVE_LIMITS,
  type AccountArchive,
  type ArchiveLimits,
  type ArchiveExportOptions,
  type ArchiveExportResult,
  type AccountRestoreOptions,
  type AccountRestoreResult,
} from './archive/index.js';
export { purgeAccount, renameAccount, changeAccountDomain, rebuildLinkDbs, type AccountResult } from './account/index.js';
export type { AuthnRestoreResult, RebuildAllResult } from './authn/index.js';
export type { RenameUserOptions } from './integration/index.js';
