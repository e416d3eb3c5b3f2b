/**
 * `applyState(ls, state, options)`: make the tree match a desired state, idempotently.
 *
 * Every step is first planned as a dry run and its planned files are compared with what is on
 * disk (bytes, mode, owner); a step whose files all match is not run at all, so applying the
 * same state twice writes nothing and moves no mtime the second time. All steps are planned
 * before the first write: a value the WHM API would refuse is invalid state (nothing written).
 */
import { posix as path } from 'node:path';
import { isLinkstoreError, LinkstoreError, type ErrorCode } from '../io/errors.js';
import { plannedContent, sha256, type PlannedOp } from '../io/plan.js';
import type { Linkstore } from '../services.js';
import { maskedText, type FileDiff } from './diff.js';
import { planSteps, whmData, type Step } from './steps.js';
import type { LinkstoreState } from './state.js';

export interface ApplyOptions {
  /** Plan only: report what would change, write nothing. */
  check?: boolean;
  /** Include per-file before/after (secrets masked) in each change. */
  diff?: boolean;
  /** Remove links, groups and authn links the state does not list, for the sections it lists. */
  prune?: boolean;
  /** The state file's name, for messages. */
  file?: string;
}

export interface ApplyChange {
  /** The WHM function that makes (or would make) the change. */
  action: string;
  /** Where in the state the change comes from. */
  key: string;
  /** The identifying parameters (never values such as tokens or secrets). */
  target: Record<string, string>;
  /** cPanel paths the change writes, creates or removes. */
  files: string[];
  diff?: FileDiff[];
}

export interface ApplyResult {
  changed: boolean;
  check: boolean;
  changes: ApplyChange[];
}

/** A failure while writing: the changes made before it are in `result`. */
export class ApplyError extends LinkstoreError {
  readonly result: ApplyResult;
  constructor(cause: LinkstoreError, result: ApplyResult) {
    super(cause.code, cause.message, { cause, path: cause.path, param: cause.param });
    this.result = result;
  }
}

const IDENTIFYING = new Set(['user', 'app', 'group_id', 'service_name', 'provider_id', 'username', 'subject_unique_identifier']);
const LINK_IDENTIFYING = new Set(['user', 'app']);
/** Codes a dry run raises for a value the API refuses: the state is invalid, not the server. */
const REFUSALS = new Set<ErrorCode>(['E_INVALID_PARAM', 'E_MISSING_PARAM', 'E_INVALID_NAME', 'E_NO_SUCH_USER', 'E_NOT_CPANEL_USER', 'E_SCHEMA', 'E_ENCODE']);

function cpanelPath(ls: Linkstore, host: string): string {
  const root = ls.disk.root;
  return root === '/' ? host : '/' + path.relative(root, host);
}

/** The planned operations that would change something on disk. */
async function effectiveOps(ls: Linkstore, ops: readonly PlannedOp[]): Promise<PlannedOp[]> {
  const out: PlannedOp[] = [];
  for (const op of ops) {
    if (op.op !== 'write') {
      out.push(op);
      continue;
    }
    const p = cpanelPath(ls, op.path);
    const st = await ls.disk.statPath(p);
    const same =
      st !== undefined &&
      st.isFile() &&
      (op.mode === undefined || (st.mode & 0o7777) === parseInt(op.mode, 8)) &&
      (op.owner === undefined || !ls.disk.owners || `${st.uid}:${st.gid}` === op.owner) &&
      st.size === op.bytes &&
      sha256((await ls.disk.readFile(p)) ?? new Uint8Array()) === op.sha256;
    if (!same) out.push(op);
  }
  return out;
}

async function fileDiffs(ls: Linkstore, ops: readonly PlannedOp[]): Promise<FileDiff[]> {
  const out: FileDiff[] = [];
  for (const op of ops) {
    const p = cpanelPath(ls, op.path);
    if (op.op === 'write' || op.op === 'remove') {
      const before = await ls.disk.readFile(p).catch(() => undefined);
      const secret = op.mode === '0600' || (((await ls.disk.statPath(p))?.mode ?? 0o644) & 0o077) === 0;
      out.push({
        path: p,
        op: op.op,
        before: maskedText(before, secret),
        after: op.op === 'remove' ? null : maskedText(plannedContent.get(op), secret),
        ...(op.mode ? { mode: op.mode } : {}),
      });
    } else out.push({ path: p, op: op.op, ...(op.mode ? { mode: op.mode } : {}) });
  }
  return out;
}

interface Planned {
  step: Step;
  /** The operations that change something; undefined when the plan depends on an earlier change. */
  ops?: PlannedOp[];
}

/** Dry-run one step; undefined when it changes nothing. */
async function planStep(ls: Linkstore, step: Step, enabling: ReadonlySet<string>): Promise<Planned | undefined> {
  if (step.alreadyDone && (await step.alreadyDone())) return undefined;
  let data: unknown;
  try {
    data = await whmData(ls, step.fn, step.params, true);
  } catch (e) {
    // An authn link for a provider this run enables can only be planned after the enable.
    if (isLinkstoreError(e, 'E_PROVIDER') && enabling.has(step.params.provider_id ?? '')) return { step };
    throw e;
  }
  const ops = await effectiveOps(ls, (data as { operations?: PlannedOp[] } | undefined)?.operations ?? []);
  return step.alreadyDone !== undefined || ops.length > 0 ? { step, ops } : undefined;
}

function asChange(ls: Linkstore, p: Planned, ops: readonly PlannedOp[] | undefined): ApplyChange {
  const target: Record<string, string> = {};
  // A link's group_id is one of its values, not part of its name.
  const identifying = p.step.params.app === undefined ? IDENTIFYING : LINK_IDENTIFYING;
  for (const [k, v] of Object.entries(p.step.params)) if (identifying.has(k)) target[k] = v;
  return { action: p.step.fn, key: p.step.key, target, files: [...new Set((ops ?? []).map((o) => cpanelPath(ls, o.path)))] };
}

async function planAll(ls: Linkstore, steps: readonly Step[], file: string): Promise<Planned[]> {
  const planned: Planned[] = [];
  const enabling = new Set<string>();
  for (const step of steps) {
    let p: Planned | undefined;
    try {
      p = await planStep(ls, step, enabling);
    } catch (e) {
      if (isLinkstoreError(e) && REFUSALS.has(e.code)) {
        throw new LinkstoreError('E_INVALID_STATE', `The state file “${file}” is not valid: “${step.key}”: ${e.message}`, { param: step.key, cause: e });
      }
      throw e;
    }
    if (p === undefined) continue;
    if (step.fn === 'enable_authentication_provider') enabling.add(step.params.provider_id ?? '');
    planned.push(p);
  }
  return planned;
}

export async function applyState(ls: Linkstore, state: LinkstoreState, options: ApplyOptions = {}): Promise<ApplyResult> {
  const file = options.file ?? 'state';
  const check = options.check === true;
  const planned = await planAll(ls, await planSteps(ls, state, { prune: options.prune === true, file }), file);
  const result: ApplyResult = { changed: false, check, changes: [] };
  for (const p of planned) {
    try {
      // Writing: plan each step again just before it runs, so the report shows what this step
      // did after the earlier ones (directories they created, a provider they enabled).
      const now = check ? p : await planStep(ls, p.step, new Set());
      if (now === undefined) continue;
      const change = asChange(ls, now, now.ops);
      if (options.diff && now.ops !== undefined) change.diff = await fileDiffs(ls, now.ops);
      if (!check) await whmData(ls, p.step.fn, p.step.params);
      result.changes.push(change);
      result.changed = true;
    } catch (e) {
      if (isLinkstoreError(e)) throw new ApplyError(e, result);
      throw e;
    }
  }
  return result;
}
