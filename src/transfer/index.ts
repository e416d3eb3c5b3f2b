/** NDJSON export and import of a whole server's links and provider setup (`linkstore export` / `import`). */
export { exportRecords, exportStream, recordLine, type ExportOptions } from './export.js';
export {
  importRecords,
  keyOf,
  parseRecord,
  splitLineBytes,
  splitLines,
  LINE_STATUSES,
  type ImportOptions,
  type InputLines,
  type ImportSummary,
  type LineResult,
  type LineStatus,
} from './import.js';
export type {
  AuthnClientConfigRecord,
  AuthnDisplayConfigRecord,
  AuthnLinkRecord,
  AuthnProviderRecord,
  IntegrationGroupRecord,
  IntegrationLinkRecord,
  TransferRecord,
} from './records.js';
export { RECORD_SCHEMAS, RECORD_TYPES } from './records.js';
export { lineBytes, MAX_LINE_BYTES, OverlongLine } from './lines.js';
