/**
 * cpanel-linkstore: cPanel & WHM integration links, External Authentication links and username
 * checks, read and written on disk exactly as cPanel does (and more safely).
 *
 * Start with `openLinkstore({ root })`, then `await ls.integration()`, `await ls.authn()`,
 * `await ls.users()`, or the WHM-shaped `callWhm(ls, name, params)`.
 */
export { Linkstore, openLinkstore, type LinkstoreOptions } from './services.js';
export { callWhm, callUapiGetAuthnLinks, WHM_FUNCTIONS, type WhmEnvelope, type WhmMetadata, type UapiEnvelope, type WhmParams, type CallOptions } from './whm/index.js';
export { LinkstoreError, isLinkstoreError, ERROR_CODES, type ErrorCode } from './io/errors.js';
export { Disk, type DiskOptions } from './io/disk.js';
export type { FsPort } from './io/fs-port.js';
export type { PlannedOp } from './io/plan.js';
export { encodePretty, encodeCompact, decodeStrict } from './io/json-codec.js';
export { cpanelLockPath, withDotLock, type DotLockOptions } from './io/dot-lock.js';
export { Users, type UsersOptions, type UserLookup, type PasswdEntry, type SystemUserFlags } from './users/index.js';
export { IntegrationStore, type IntegrationStoreOptions } from './integration/index.js';
export { AuthnStore, type AuthnStoreOptions } from './authn/index.js';
export type * from './generated/schemas.js';
export { doctor, renderDoctorTable, type DoctorReport, type Finding } from './doctor/index.js';
export { exportRecords, importRecords, type TransferRecord, type ImportSummary } from './transfer/index.js';
