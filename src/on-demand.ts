/**
 * The entry points of the public API whose code loads on first call: `import('cpanel-linkstore')`
 * stays cheap (the facade's table, doctor and transfer are most of the package) while callers,
 * who await these anyway, see no difference.
 */
import type * as ArchiveExportModule from './archive/export.js';
import type * as ArchiveRestoreModule from './archive/restore.js';
import type * as ArchiveLoadModule from './archive/load.js';
import type * as AccountModule from './account/index.js';
import type { DoctorOptions, DoctorReport } from './doctor/types.js';
import type { Linkstore } from './services.js';
import type { ExportOptions } from './transfer/export.js';
import type { ImportOptions, ImportSummary } from './transfer/import.js';
import type { TransferRecord } from './transfer/records.js';
import type { CallOptions, UapiEnvelope, WhmEnvelope } from './whm/index.js';
import type { UapiFunctionName, WhmDataOf, WhmFunctionName, WhmParamsOf } from './whm/types.js';

/**
 * The WHM API 1 shape over the typed stores: `callWhm(ls, 'list_integration_links', { user: 'bob' })`.
 * Flat string parameters in, envelope out; it never throws. Typed per function: an unknown name or
 * parameter does not compile (at run time an unknown parameter is ignored with cPanel's warning,
 * or fails the call with `strict`).
 */
export async function callWhm<N extends WhmFunctionName>(ls: Linkstore, name: N, ...rest: CallArgs<N>): Promise<WhmEnvelope<WhmDataOf<N>>> {
  const [params = {}, options = {}] = rest;
  return (await import('./whm/index.js')).callWhm(ls, name, params, options) as Promise<WhmEnvelope<WhmDataOf<N>>>;
}

/** `params` may be left out only when the function requires none. */
type CallArgs<N extends WhmFunctionName> =
  object extends WhmParamsOf<N> ? [params?: WhmParamsOf<N>, options?: CallOptions] : [params: WhmParamsOf<N>, options?: CallOptions];

/**
 * A UAPI function of the table in UAPI's own envelope: `callUapi(ls, 'add_authn_link', { username, … })`.
 * Never throws; typed per function like `callWhm` (unknown parameters warn in `result.warnings`,
 * or fail the call with `strict`).
 */
export async function callUapi<N extends UapiFunctionName>(ls: Linkstore, name: N, ...rest: CallArgs<N>): Promise<UapiEnvelope<WhmDataOf<N>>> {
  const [params = {}, options = {}] = rest;
  return (await import('./whm/index.js')).callUapi(ls, name, params, options) as Promise<UapiEnvelope<WhmDataOf<N>>>;
}

/** UAPI `ExternalAuthentication::get_authn_links` in UAPI's own envelope. */
export async function callUapiGetAuthnLinks(ls: Linkstore, username: string): Promise<UapiEnvelope> {
  return (await import('./whm/index.js')).callUapiGetAuthnLinks(ls, username);
}

/** Scan (and with `fix`, repair) the integration and authn trees; see `linkstore doctor`. */
export async function doctor(ls: Linkstore, options: DoctorOptions = {}): Promise<DoctorReport> {
  return (await import('./doctor/index.js')).doctor(ls, options);
}

/** Every link (integration links and groups with their tokens, authn links) as records. */
export async function exportRecords(ls: Linkstore, options: ExportOptions = {}): Promise<TransferRecord[]> {
  return (await import('./transfer/export.js')).exportRecords(ls, options);
}

/** Apply NDJSON lines of an export with the batch API; a summary per line. */
export async function importRecords(ls: Linkstore, lines: Iterable<string> | AsyncIterable<string>, options: ImportOptions = {}): Promise<ImportSummary> {
  return (await import('./transfer/import.js')).importRecords(ls, lines, options);
}

/** Export an account's link sections as pkgacct does (`cpmove-USER/` or a tarball); see `linkstore archive export`. */
export async function exportAccountArchive(
  ...args: Parameters<typeof ArchiveExportModule.exportAccountArchive>
): ReturnType<typeof ArchiveExportModule.exportAccountArchive> {
  return (await import('./archive/export.js')).exportAccountArchive(...args);
}

/** Restore an account archive with cPanel's rules; see `linkstore archive restore`. */
export async function restoreAccountArchive(
  ...args: Parameters<typeof ArchiveRestoreModule.restoreAccountArchive>
): ReturnType<typeof ArchiveRestoreModule.restoreAccountArchive> {
  return (await import('./archive/restore.js')).restoreAccountArchive(...args);
}

/** Read an account archive (directory or tarball) without restoring it. */
export async function loadAccountArchive(
  ...args: Parameters<typeof ArchiveLoadModule.loadAccountArchive>
): ReturnType<typeof ArchiveLoadModule.loadAccountArchive> {
  return (await import('./archive/load.js')).loadAccountArchive(...args);
}

/** Remove every link of an account from both stores; see `linkstore account purge`. */
export async function purgeAccount(...args: Parameters<typeof AccountModule.purgeAccount>): ReturnType<typeof AccountModule.purgeAccount> {
  return (await import('./account/index.js')).purgeAccount(...args);
}

/** Move both stores' data of an account to a new name; see `linkstore account rename`. */
export async function renameAccount(...args: Parameters<typeof AccountModule.renameAccount>): ReturnType<typeof AccountModule.renameAccount> {
  return (await import('./account/index.js')).renameAccount(...args);
}

/** Rename an account's email link users to a new domain; see `linkstore account domain-change`. */
export async function changeAccountDomain(...args: Parameters<typeof AccountModule.changeAccountDomain>): ReturnType<typeof AccountModule.changeAccountDomain> {
  return (await import('./account/index.js')).changeAccountDomain(...args);
}

/** Rebuild every provider's LinkDB from the per-user DBs; see `linkstore rebuild-linkdb`. */
export async function rebuildLinkDbs(...args: Parameters<typeof AccountModule.rebuildLinkDbs>): ReturnType<typeof AccountModule.rebuildLinkDbs> {
  return (await import('./account/index.js')).rebuildLinkDbs(...args);
}
