/** How the CLI talks back: its output streams, and usage errors in the shape scripts can read. */
import type { OutputFormat } from './args.js';
import type { PlannedOp } from '../io/plan.js';
import { format } from './output.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

export type FailureCode = 'E_USAGE' | 'E_UNKNOWN_FUNCTION';

/**
 * A failed command: the message on stderr and, with a JSON output format, an envelope on stdout.
 * `done` (an E_PARTIAL's changes, which are in place) goes into the envelope's `data`, so that a
 * script learns what the call left behind.
 */
export function commandFailure(io: CliIo, output: OutputFormat | undefined, command: string, message: string, code: string, done?: readonly PlannedOp[]): void {
  io.stderr(`linkstore ${command}: ${message}\n`);
  printFailure(io, output, command, message, code, done);
}

/** The failure on stdout for a machine-readable output: `apply`'s report, or a WHM envelope. */
function printFailure(io: CliIo, output: OutputFormat | undefined, command: string, message: string, code: string, done?: readonly PlannedOp[]): void {
  // `apply` answers in its own report on every path: a playbook reads `changed` from it. A usage
  // error ran nothing, in either mode, so `check` is false.
  if (command === 'apply' && output !== undefined && output !== 'table') {
    io.stdout(format({ changed: false, check: false, changes: [], error: { code, message } }, output));
  } else if (output === 'json' || output === 'jsonpretty') {
    const metadata = { command, reason: message, result: 0, version: 1, error_code: code };
    // data first, as whmapi1 prints it.
    io.stdout(format(done === undefined ? { metadata } : { data: { done }, metadata }, output));
  }
}

/**
 * A usage error: the message on stderr, and with a JSON output format a failure envelope on
 * stdout too, so that a script reading stdout always gets one.
 */
export function usageFailure(io: CliIo, output: OutputFormat | undefined, command: string, message: string, code: FailureCode = 'E_USAGE'): number {
  io.stderr(`linkstore: ${message}\nRun “linkstore --help” for usage.\n`);
  printFailure(io, output, command, message, code);
  return 2;
}
