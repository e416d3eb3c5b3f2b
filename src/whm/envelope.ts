/**
 * WHM API 1 and UAPI envelopes. Errors become `result: 0` with cPanel's message in `reason`
 * (never a stack trace); `error_code` carries our stable code for scripts.
 */
import { LinkstoreError, type ErrorCode } from '../io/errors.js';
import type { PlannedOp } from '../io/plan.js';

export interface WhmMetadata {
  command: string;
  reason: string;
  result: 0 | 1;
  version: 1;
  /**
   * Mutations only: 1 when a file changed (or would, in a dry run), 0 when everything already
   * held the result and nothing was written. Not part of cPanel's envelope.
   */
  changed?: 0 | 1;
  /** Our stable error code (failures only). Not part of cPanel's envelope. */
  error_code?: ErrorCode | 'E_INTERNAL';
  /** Warnings of the call, where whmapi1 puts what a function warned about (e.g. ignored keys). */
  output?: { warnings: string[] };
}

export interface WhmEnvelope<T = unknown> {
  data?: T;
  metadata: WhmMetadata;
}

/** What a mutating function's adapter returns: the envelope's `data` and whether anything changed. */
export class MutationData {
  constructor(
    readonly data: unknown,
    readonly changed: boolean,
  ) {}
}

export function whmOk<T>(command: string, data?: T, warnings: readonly string[] = [], changed?: boolean): WhmEnvelope<T> {
  const metadata: WhmMetadata = { command, reason: 'OK', result: 1, version: 1 };
  if (changed !== undefined) metadata.changed = changed ? 1 : 0;
  if (warnings.length) metadata.output = { warnings: [...warnings] };
  // data first, as whmapi1 prints it.
  return data === undefined ? { metadata } : { data, metadata };
}

/**
 * The failure envelope. The reason is the handler's text as cPanel's running code gives it, with
 * nothing added (verified-against-cpanel §4: no `API failure: ` prefix, integration-links §5.1
 * notwithstanding). `warnings` (a misspelt parameter's) matter most when the call failed. A call
 * of several steps that failed part-way (E_PARTIAL) says what it left in place, as the CLI does:
 * `data.done`, and `changed: 1`.
 */
export function whmFail(command: string, error: unknown, warnings: readonly string[] = []): WhmEnvelope<{ done: readonly PlannedOp[] }> {
  const { message, code } = describeError(error);
  const metadata: WhmMetadata = { command, reason: message, result: 0, version: 1, error_code: code };
  if (warnings.length) metadata.output = { warnings: [...warnings] };
  const done = error instanceof LinkstoreError && error.done !== undefined && error.done.length > 0 ? error.done : undefined;
  if (done === undefined) return { metadata };
  metadata.changed = 1;
  return { data: { done }, metadata };
}

export function describeError(error: unknown): { message: string; code: ErrorCode | 'E_INTERNAL' } {
  if (error instanceof LinkstoreError) return { message: error.message, code: error.code };
  const text = error instanceof Error ? error.message : String(error);
  return { message: `Internal error: ${text}`, code: 'E_INTERNAL' };
}

export interface UapiEnvelope<T = unknown> {
  apiversion: 3;
  func: string;
  module: string;
  result: { data: T | null; errors: string[] | null; messages: null; metadata: Record<string, never>; status: 0 | 1; warnings: string[] | null };
}

export function uapiOk<T>(module: string, func: string, data: T, warnings: readonly string[] = []): UapiEnvelope<T> {
  const result = { data, errors: null, messages: null, metadata: {}, status: 1 as const, warnings: warnings.length ? [...warnings] : null };
  return { apiversion: 3, func, module, result };
}

export function uapiFail(module: string, func: string, error: unknown, warnings: readonly string[] = []): UapiEnvelope<never> {
  return {
    apiversion: 3,
    func,
    module,
    result: { data: null, errors: [describeError(error).message], messages: null, metadata: {}, status: 0, warnings: warnings.length ? [...warnings] : null },
  };
}
