/**
 * cPanel account archives (`cpmove-USER/`, `cpmove-USER.tar.gz`): export an account's link
 * sections as pkgacct does and restore them with cPanel's rules, offline.
 */
export { exportAccountArchive, type ArchiveExportOptions, type ArchiveExportResult } from './export.js';
export { restoreAccountArchive, type AccountRestoreOptions, type AccountRestoreResult } from './restore.js';
export { loadAccountArchive, loadDirectory, loadTarball } from './load.js';
export { DEFAULT_LIMITS, type ArchiveLimits } from './tar-read.js';
export { AUTHN_SECTION, INTEGRATION_SECTION, userFromArchiveName, type AccountArchive } from './sections.js';
