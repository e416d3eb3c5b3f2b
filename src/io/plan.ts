/**
 * Planned file operations: what a mutation will do (or did), in a form that a dry run can print
 * and a test can compare. Content is summarised by size and SHA-256, never included, so a plan
 * never leaks a token.
 */
import { createHash } from 'node:crypto';

export interface PlannedOp {
  /** `rename` moves `from` to `path` (a directory's files are listed after it, see io/moves.ts). */
  op: 'mkdir' | 'chmod' | 'chown' | 'write' | 'remove' | 'rmdir' | 'rename';
  /** Host path (after the root prefix): the entry's new path for a rename. */
  path: string;
  /** rename: the host path the entry had. */
  from?: string;
  /** Octal mode string such as `0644`. */
  mode?: string;
  /** `uid:gid`. */
  owner?: string;
  /** SHA-256 of the new content (writes). */
  sha256?: string;
  bytes?: number;
}

/**
 * The new content of each planned write, kept beside the plan rather than in it so that printing
 * or serialising a plan can never leak a token. `linkstore apply --diff` reads it to show
 * before/after (with secrets masked); entries go away with the plan.
 */
export const plannedContent = new WeakMap<PlannedOp, Uint8Array>();

export function formatMode(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

export function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Options every mutation accepts. */
export interface MutationOptions {
  /** Plan only: validate, compute every file, and return the operations without touching disk. */
  dryRun?: boolean;
}

/** What every mutation returns: the operations planned (dry run) or performed, in order. */
export interface MutationResult {
  dryRun: boolean;
  ops: PlannedOp[];
  /**
   * Whether anything on disk changed (or, in a dry run, would change). False when every file
   * already held what the mutation computes: nothing was written, no inode or mtime moved.
   */
  changed: boolean;
  /** cPanel's warnings (e.g. dropped keys); empty when there are none. */
  warnings: string[];
}

/**
 * The operations of a call made of many steps (a restore replays each link, a batch each user)
 * with each directory operation kept once. A dry run plans every step against the same unchanged
 * disk, so each step would plan the same missing directory again; the real run makes it once.
 * One pass, so a plan of many thousand steps costs no more than listing it.
 */
export function withoutRepeatedDirOps(ops: readonly PlannedOp[]): PlannedOp[] {
  const seen = new Set<string>();
  return ops.filter((o) => {
    if (o.op !== 'mkdir' && o.op !== 'chmod' && o.op !== 'chown') return true;
    const key = `${o.op}\0${o.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
