/**
 * The `linkstore` command: thin. It parses arguments, builds a Linkstore on `--root`, calls the
 * WHM facade (or a maintenance command), prints the envelope and maps it to an exit code:
 * 0 when `result` is 1, 1 when it is 0, 2 for a usage error. With `--output json|jsonpretty`
 * every failure, usage errors included, also prints an envelope on stdout.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseArgs, requestedCommand, requestedOutput, UsageError, type ParsedArgs } from './args.js';
import { format } from './output.js';
import { commandFailure, usageFailure, type CliIo } from './usage.js';
import { nodeFsPort } from '../io/fs-port.js';
import type { WhmFunction } from '../whm/functions.js';

export type { CliIo } from './usage.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The usage error for the first argument whose bytes are not valid UTF-8 (Node would have
 * replaced them with U+FFFD), naming its parameter; `raw` is the arguments' bytes, when known.
 */
export function invalidUtf8Argument(argv: readonly string[], raw: readonly Uint8Array[] | undefined): string | undefined {
  if (raw === undefined || raw.length !== argv.length) return undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const bytes = raw[i] as Uint8Array;
    // Only judge the argument Node decoded from these bytes (a lossy decode that matches).
    if (Buffer.from(bytes).toString('utf8') !== a) return undefined;
    try {
      strictUtf8.decode(bytes);
    } catch {
      const eq = a.indexOf('=');
      const what = a.startsWith('--')
        ? `the option ${a.slice(0, eq === -1 ? undefined : eq)}`
        : eq > 0
          ? `the parameter “${a.slice(0, eq)}”`
          : `argument ${i + 1}`;
      return `The value of ${what} is not valid UTF-8; pass text in UTF-8.`;
    }
  }
  return undefined;
}

const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
};

export const COMMANDS = ['doctor', 'export', 'import', 'archive', 'account', 'rebuild-linkdb', 'serve', 'apply'] as const;

/** `--root`, resolved against the working directory; it must be an existing directory. */
async function rootDir(given: string | undefined): Promise<string> {
  if (given === undefined) return '/';
  if (given === '') throw new UsageError('The option --root needs a directory.');
  const dir = isAbsolute(given) ? given : resolve(process.cwd(), given);
  let isDir: boolean;
  try {
    isDir = (await nodeFsPort.promises.stat(dir)).isDirectory();
  } catch {
    throw new UsageError(`The root “${given}” does not exist.`);
  }
  if (!isDir) throw new UsageError(`The root “${given}” is not a directory.`);
  return dir;
}

/** The flags and parameters a WHM function does not take, as a usage error message. */
function functionMisuse(fn: WhmFunction, args: ParsedArgs, unknown: readonly string[], takesSecret: boolean): string | undefined {
  const paramNames = fn.params.map((p) => p.name);
  for (const flag of Object.keys(args.flags)) {
    const asParam = flag === 'user' ? paramNames.find((n) => n === 'user' || n === 'username') : paramNames.find((n) => n === flag);
    if (asParam) return `“${fn.name}” takes parameters as key=value: write ${asParam}=… instead of --${flag}.`;
    return `the option --${flag} does not apply to “${fn.name}”.`;
  }
  if (args.output === 'table') return `the output format “table” does not apply to “${fn.name}”; use yaml, json or jsonpretty.`;
  if (args.dryRun && !fn.mutates) return `“${fn.name}” does not write, so --dry-run does not apply.`;
  if (args.positional.length) {
    // A token typed without its `token=` is the likeliest bare argument of a function that takes
    // a secret: name it only where none is taken (as ignoringKey masks a dropped key's value).
    return takesSecret
      ? `an argument that is not a key=value parameter was given (not shown: “${fn.name}” takes a secret); write key=value.`
      : `“${args.positional[0]}” is not a key=value parameter.`;
  }
  if (args.strict && unknown.length) return `“${fn.name}” does not take the parameter “${unknown[0]}” (--strict).`;
  return undefined;
}

/**
 * Run the command line `argv`. `rawArgv` gives the arguments' bytes as the kernel holds them
 * (the binary passes /proc/self/cmdline), so that bytes that are not UTF-8 are refused instead of
 * being stored as U+FFFD.
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo, rawArgv?: readonly Uint8Array[]): Promise<number> {
  const badBytes = invalidUtf8Argument(argv, rawArgv);
  const early = requestedCommand(argv) === 'apply' ? 'apply' : 'linkstore';
  if (badBytes !== undefined) return usageFailure(io, requestedOutput(argv), early, badBytes);
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(io, requestedOutput(argv), early, e.message);
    throw e;
  }
  if (args.version) {
    io.stdout('cpanel-linkstore 0.1.0\n');
    return 0;
  }
  const command = args.command;
  if (command === undefined) {
    if (!args.help) return usageFailure(io, args.output, 'linkstore', 'no FUNCTION or command given.');
    io.stdout((await import('./help.js')).mainHelp());
    return 0;
  }
  const { secretParamsOf, unknownFunction, whmFunction } = await import('../whm/functions.js');
  const isCommand = (COMMANDS as readonly string[]).includes(command);
  const fn = isCommand ? undefined : whmFunction(command);
  // The same text as callWhm and `serve` give (one reason for one mistake, whichever way it came).
  if (!isCommand && !fn) return usageFailure(io, args.output, command, unknownFunction(command).message, 'E_UNKNOWN_FUNCTION');
  if (args.help) {
    const { commandHelp, functionHelp } = await import('./help.js');
    io.stdout(fn ? functionHelp(fn) : commandHelp(command));
    return 0;
  }
  let root: string;
  try {
    root = await rootDir(args.root);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(io, args.output, command, e.message);
    throw e;
  }
  const { Linkstore } = await import('../services.js');
  // A one-shot command shares its event loop with nobody: inline fsync is the fastest there.
  const ls = new Linkstore({ root, fsync: 'inline' });
  if (!fn) {
    const { runCommand } = await import('./commands.js');
    try {
      return await runCommand(command, ls, args, io);
    } catch (e) {
      // What a command did not turn into its own report (`export --out` into a missing directory,
      // say) is still a failure of the command (exit 1), with its envelope for a JSON reader.
      const { isLinkstoreError, errnoCode } = await import('../io/errors.js');
      const code = isLinkstoreError(e) ? e.code : errnoCode(e) !== undefined ? 'E_IO' : 'E_INTERNAL';
      commandFailure(io, args.output, command, e instanceof Error ? e.message : String(e), code, isLinkstoreError(e) ? e.done : undefined);
      return 1;
    }
  }
  const { callWhm, unknownParams } = await import('../whm/index.js');
  const unknown = unknownParams(fn, args.params);
  const misuse = functionMisuse(fn, args, unknown, secretParamsOf(fn).length > 0);
  if (misuse !== undefined) return usageFailure(io, args.output, command, misuse);
  const env = await callWhm(ls, command, args.params, { dryRun: args.dryRun });
  for (const w of env.metadata.output?.warnings ?? []) io.stderr(`linkstore: warning: ${w}\n`);
  io.stdout(format(env, args.output ?? 'yaml'));
  return env.metadata.result === 1 ? 0 : 1;
}
