/** NDJSON export and import of integration and authn links (`linkstore export` / `import`). */
export { exportRecords, recordLine, type ExportOptions } from './export.js';
export { importRecords, parseRecord, splitLineBytes, splitLines, type ImportOptions, type ImportSummary, type LineResult, type LineStatus } from './import.js';
export type { AuthnLinkRecord, IntegrationGroupRecord, IntegrationLinkRecord, TransferRecord } from './records.js';
export { RECORD_TYPES } from './records.js';
