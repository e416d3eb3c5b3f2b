/**
 * The `linkstore` command: thin. It parses arguments, builds a Linkstore on `--root`, calls the
 * WHM facade (or a maintenance command), prints the envelope and maps it to an exit code:
 * 0 when `result` is 1, 1 when it is 0, 2 for a usage error.
 */
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import { format } from './output.js';
import { commandHelp, functionHelp, mainHelp } from './help.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

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

/**
 * Run the command line `argv`. `rawArgv` gives the arguments' bytes as the kernel holds them
 * (the binary passes /proc/self/cmdline), so that bytes that are not UTF-8 are refused instead of
 * being stored as U+FFFD.
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo, rawArgv?: readonly Uint8Array[]): Promise<number> {
  const badBytes = invalidUtf8Argument(argv, rawArgv);
  if (badBytes !== undefined) {
    io.stderr(`linkstore: ${badBytes}\n`);
    return 2;
  }
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`linkstore: ${e.message}\nRun “linkstore --help” for usage.\n`);
      return 2;
    }
    throw e;
  }
  if (args.version) {
    io.stdout('cpanel-linkstore 0.1.0\n');
    return 0;
  }
  const { whmFunction } = await import('../whm/functions.js');
  if (args.command === undefined) {
    io[args.help ? 'stdout' : 'stderr'](mainHelp());
    return args.help ? 0 : 2;
  }
  const isCommand = (COMMANDS as readonly string[]).includes(args.command);
  const fn = isCommand ? undefined : whmFunction(args.command);
  if (args.help) {
    if (isCommand) io.stdout(commandHelp(args.command));
    else if (fn) io.stdout(functionHelp(fn));
    else {
      io.stderr(`linkstore: unknown function “${args.command}”.\n`);
      return 2;
    }
    return 0;
  }
  if (!isCommand && !fn) {
    io.stderr(`linkstore: unknown function “${args.command}”. Run “linkstore --help” for the list.\n`);
    return 2;
  }
  if (fn && args.positional.length) {
    io.stderr(`linkstore: “${args.positional[0]}” is not a key=value parameter.\n`);
    return 2;
  }
  const { Linkstore } = await import('../services.js');
  // A one-shot command shares its event loop with nobody: inline fsync is the fastest there.
  const ls = new Linkstore({ root: args.root ?? '/', fsync: 'inline' });
  if (isCommand) {
    const { runCommand } = await import('./commands.js');
    return runCommand(args.command, ls, args, io);
  }
  const { callWhm } = await import('../whm/index.js');
  const env = await callWhm(ls, args.command, args.params, { dryRun: args.dryRun });
  io.stdout(format(env, args.output ?? 'yaml'));
  return env.metadata.result === 1 ? 0 : 1;
}
