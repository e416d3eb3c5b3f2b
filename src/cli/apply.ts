/**
 * `linkstore apply [--check] [--diff] [--prune] STATE.{json,yaml}`: thin over src/apply.
 * Exit 0 on success (changed or not, --check included), 2 for an invalid state (nothing
 * written), 1 when applying failed. With --output json|jsonpretty|yaml the report
 * `{ changed, changes }` (plus `error` on failure) is printed on stdout.
 */
import { LinkstoreError, isEnoent, isLinkstoreError } from '../io/errors.js';
import { nodeFsPort } from '../io/fs-port.js';
import type { Linkstore } from '../services.js';
import type { ApplyResult } from '../apply/index.js';
import type { ParsedArgs } from './args.js';
import type { CliIo } from './main.js';
import { format } from './output.js';

type Usage = (io: CliIo, message: string) => number;

const MAX_STATE_BYTES = 16 * 1024 * 1024;

async function readState(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
    return Buffer.concat(chunks).toString('utf8');
  }
  const st = await nodeFsPort.promises.stat(file);
  if (!st.isFile()) throw new Error('it is not a regular file');
  if (st.size > MAX_STATE_BYTES) throw new Error(`it is larger than ${MAX_STATE_BYTES} bytes`);
  return Buffer.from(await nodeFsPort.promises.readFile(file)).toString('utf8');
}

function renderText(result: ApplyResult, renderDiff: (d: NonNullable<ApplyResult['changes'][number]['diff']>[number]) => string): string {
  const out: string[] = [];
  for (const c of result.changes) {
    out.push(
      `${result.check ? 'would change' : 'changed'}: ${c.key} (${c.action}${c.files.length ? `, ${c.files.length} file${c.files.length === 1 ? '' : 's'}` : ''})`,
    );
    for (const d of c.diff ?? []) out.push(renderDiff(d).replace(/\n$/, ''));
  }
  const n = result.changes.length;
  if (n === 0) out.push('ok: nothing to change.');
  else out.push(result.check ? `${n} change${n === 1 ? '' : 's'} would be made; nothing was written (--check).` : `${n} change${n === 1 ? '' : 's'} made.`);
  return out.join('\n') + '\n';
}

/** The JSON report of a failed apply: the success report's fields (what was done before the failure), and `error`. */
function errorReport(e: LinkstoreError, check: boolean, result: ApplyResult | undefined): object {
  return {
    changed: result?.changed ?? false,
    check,
    changes: result?.changes ?? [],
    error: { code: e.code, message: e.message, ...(e.param ? { key: e.param } : {}) },
  };
}

export async function runApply(ls: Linkstore, args: ParsedArgs, io: CliIo, usage: Usage): Promise<number> {
  if (args.positional.length !== 1) return usage(io, '“apply” needs exactly one STATE file (.json or .yaml, or - for standard input).');
  const fmt = args.output ?? 'table';
  const file = args.positional[0] as string;
  const check = args.flags.check === true || args.dryRun;
  let text: string;
  try {
    text = await readState(file);
  } catch (e) {
    const message = `cannot read “${file}”: ${e instanceof Error ? e.message : String(e)}`;
    // A script reading the JSON report gets one for this failure too.
    if (fmt !== 'table') io.stdout(format(errorReport(new LinkstoreError(isEnoent(e) ? 'E_NOT_FOUND' : 'E_IO', message), check, undefined), fmt));
    io.stderr(`linkstore apply: ${message}\n`);
    return 2;
  }
  const { applyState, ApplyError, loadState, renderFileDiff } = await import('../apply/index.js');
  try {
    const state = await loadState(text, file === '-' ? 'standard input' : file);
    const result = await applyState(ls, state, { check, diff: args.flags.diff === true, prune: args.flags.prune === true, file });
    io.stdout(fmt === 'table' ? renderText(result, renderFileDiff) : format(result, fmt));
    return 0;
  } catch (e) {
    if (!isLinkstoreError(e)) throw e;
    const partial = e instanceof ApplyError ? e.result : undefined;
    if (fmt !== 'table') io.stdout(format(errorReport(e, check, partial), fmt));
    else if (partial?.changes.length) io.stdout(renderText(partial, renderFileDiff));
    io.stderr(`linkstore apply: ${e.message}\n`);
    return e.code === 'E_INVALID_STATE' ? 2 : 1;
  }
}
