/**
 * Integration links (`/var/cpanel/integration`): links, groups, DynamicUI entries and the
 * account lifecycle, byte-compatible with cPanel. Start with `IntegrationStore`.
 */
export {
  IntegrationStore,
  type IntegrationStoreOptions,
  type UserTarget,
  type LinkTarget,
  type GroupTarget,
  type CreateLinkParams,
  type CreateGroupParams,
  type SetLinkTokenParams,
  type RestoreUserParams,
  type RenameUserParams,
} from './store.js';
export type { MutationOptions, MutationResult, UpdateTokenOptions } from './links.js';
export type { BatchItemResult, BatchOptions, BatchResult } from './batch.js';
export type { ArchiveFile, IntegrationArchive, RenameUserOptions, RestoreResult, DynamicUiCheck, DynamicUiReport, DynamicUiState } from './lifecycle.js';
export { LINK_KEYS, GROUP_KEYS, isValidBase64, isPngBase64, type LinkParams, type GroupParams, type Params, type LinkKey, type GroupKey } from './validate.js';
export { linkEntry, groupEntry, readThemeIcons, DEFAULT_GROUP, DEFAULT_ORDER, type IconSize, type ThemeIcons } from './dynamicui.js';
export { DEFAULT_ICON_BASE64 } from './default-icon.js';
export { MSG as INTEGRATION_MESSAGES } from './messages.js';
export * from './paths.js';
