/** The report `doctor` returns: typed findings, grouped counts, and what was left for a person. */

export type DoctorArea = 'integration' | 'authn';

export type FindingKind =
  /** A file or directory whose mode differs from cPanel's (fixable: chmod). */
  | 'mode'
  /** A file or directory whose owner differs from cPanel's (fixable: chown, only when the disk manages owners). */
  | 'owner'
  /** A symbolic link inside a managed tree (left for a person: the library never follows or removes one). */
  | 'symlink'
  /** A directory where a file belongs, or the reverse (left for a person). */
  | 'wrong_type'
  /** A data file that does not decode or does not have its format (left for a person). */
  | 'corrupt_json'
  /** A 0-byte authn DB: crash debris that cPanel's restore refuses (fixable: removed when unlocked). */
  | 'empty_db'
  /** A temp file left by a crashed writer, ours or cPanel's (fixable: removed). */
  | 'temp_debris'
  /** A dot-lock whose PID is dead or that is empty (fixable: removed); or one without a PID (left for a person). */
  | 'stale_lock'
  /** `APP.adminconfig` without `APP.userconfig` (left for a person: it holds a token). */
  | 'orphan_adminconfig'
  /** A link or group without its DynamicUI file (fixable: regenerated). */
  | 'missing_dynamicui'
  /** A DynamicUI file that differs from what its userconfig implies (fixable: regenerated). */
  | 'stale_dynamicui'
  /** A DynamicUI file without a link or group (left for a person). */
  | 'orphan_dynamicui'
  /** Links of a user that no longer exists (left for a person). */
  | 'missing_user'
  /** The LinkDB differs from the per-user DBs (fixable: LinkDB rebuilt from the per-user DBs). */
  | 'linkdb_drift'
  /** A check that could not run (left for a person; the detail says why). */
  | 'check_failed';

export interface Finding {
  /** The cPanel account (integration) or system user (authn) concerned; null for tree-wide items. */
  user: string | null;
  area: DoctorArea;
  kind: FindingKind;
  /** Host path (after the root prefix) of the file or directory concerned. */
  path: string;
  /** What is wrong, in words; says what was done when it was fixed. */
  detail: string;
  /** Whether `--fix` repairs this kind of problem. */
  fixable: boolean;
  /** Whether it was repaired in this run. */
  fixed: boolean;
}

export interface DoctorOptions {
  /** Repair what is safe (modes, owners, debris, stale locks, DynamicUI, LinkDB). Default false. */
  fix?: boolean;
  /** With `fix`: repair nothing, report what `fix` would repair (the findings it marks `fixable`). */
  dryRun?: boolean;
  /** Only this user's files (integration account or authn system user); tree-wide items are skipped. */
  user?: string;
  /**
   * Temp files and empty locks younger than this are taken to belong to a writer still at work and
   * are not reported (default 120 000 ms, above the 60 s lock wait).
   */
  graceMs?: number;
  /** PID liveness test for lock files (default: kill(pid, 0), like cPanel). */
  pidAlive?: (pid: number) => boolean;
  /** Clock in epoch milliseconds (default Date.now). */
  now?: () => number;
}

export interface UserSummary {
  total: number;
  fixed: number;
  unfixed: number;
}

export interface DoctorSummary {
  total: number;
  fixed: number;
  /** Findings still present after this run (all of them without `fix`). */
  unfixed: number;
  /** Unfixed findings that `--fix` does not repair. */
  leftForPerson: number;
  /** Unfixed findings that `--fix` repairs (what a `--fix` run, or `--fix --dry-run`, would change). */
  fixable: number;
  /** Counts per user (`-` for tree-wide items). */
  byUser: Record<string, UserSummary>;
}

export interface DoctorReport {
  /** Whether repairs were made in this run (false for a dry run). */
  fix: boolean;
  /** A `fix` dry run: nothing was changed; the `fixable` findings are what `fix` would repair. */
  dryRun: boolean;
  user: string | null;
  /** True when nothing is left unfixed. */
  ok: boolean;
  findings: Finding[];
  summary: DoctorSummary;
  /** The unfixed findings `--fix` does not repair: a person must decide. */
  leftForPerson: Finding[];
}
