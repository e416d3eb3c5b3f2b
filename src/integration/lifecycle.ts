/**
 * Account lifecycle (integration-links.md §7), one file per job: purge, archive (export/load),
 * restore, rename, and the DynamicUI check/rebuild a doctor needs.
 */
export * from './purge.js';
export * from './archive.js';
export * from './restore.js';
export * from './dynamicui-check.js';
export * from './rename.js';
