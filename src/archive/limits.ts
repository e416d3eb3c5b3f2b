/** The archive readers' default bounds, in a module of their own so the package entry can export them without loading tar. */
import { DEFAULT_READ_LIMITS } from '../io/read-limits.js';
import type { ArchiveLimits } from './tar-read.js';

export const DEFAULT_LIMITS: ArchiveLimits = { maxMemberBytes: DEFAULT_READ_LIMITS.data, maxKeptMembers: 100_000, maxKeptBytes: 256 * 1024 * 1024 };
