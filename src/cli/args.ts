/**
 * whmapi1-style command line: `linkstore [--root DIR] [--output FORMAT] [--dry-run] [--strict] FUNCTION [key=value ...]`.
 * Options take `--opt value` or `--opt=value`; values may contain `=` after the first; `key=` is
 * the empty string. Anything malformed is a usage error (exit 2).
 */
import { dict } from '../io/dict.js';

export type OutputFormat = 'yaml' | 'json' | 'jsonpretty' | 'table';

export interface ParsedArgs {
  root?: string;
  output?: OutputFormat;
  dryRun: boolean;
  /** Unknown key=value parameters are usage errors instead of warnings. */
  strict: boolean;
  help: boolean;
  version: boolean;
  /** FUNCTION or a command (doctor, export, import, serve, apply). */
  command?: string;
  params: Record<string, string>;
  /** Arguments of commands that take them (import FILE). */
  positional: string[];
  /** Command flags such as --fix, --user U. */
  flags: Record<string, string | true>;
  /** Every value of a repeatable option (`--map-user OLD=NEW`), in order. */
  repeated: Record<string, string[]>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const OUTPUTS: readonly OutputFormat[] = ['yaml', 'json', 'jsonpretty', 'table'];
const VALUE_OPTIONS = new Set(['root', 'output', 'user', 'as', 'listen', 'token-file', 'seed', 'out', 'hostname', 'map-user']);
const REPEATABLE = new Set(['map-user']);
const BOOL_OPTIONS = new Set([
  'dry-run',
  'strict',
  'help',
  'version',
  'fix',
  'quiet',
  'progress',
  'include-root',
  'memfs',
  'check',
  'diff',
  'prune',
  'skip-corrupt',
  'no-replace',
]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { dryRun: false, strict: false, help: false, version: false, params: dict(), positional: [], flags: dict(), repeated: dict() };
  const seen = new Set<string>();
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!optionsEnded && a === '--') {
      // POSIX: everything after `--` is an operand, even when it starts with a dash.
      optionsEnded = true;
      continue;
    }
    if (!optionsEnded && a === '-h') {
      out.help = true;
      continue;
    }
    if (!optionsEnded && a.length > 1 && a.startsWith('-') && !a.startsWith('--')) throw unknownOption(a);
    if (!optionsEnded && a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      if (VALUE_OPTIONS.has(name)) {
        let value: string | undefined = eq === -1 ? argv[++i] : a.slice(eq + 1);
        if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`The option --${name} needs a value.`);
        // The last of two would win silently: `--root A --root B` or `--as X --as Y` write somewhere else than one of them says.
        if (!REPEATABLE.has(name) && seen.has(name)) throw new UsageError(`The option --${name} is given twice.`);
        seen.add(name);
        if (name === 'root') out.root = value;
        else if (name === 'output') {
          value = value.toLowerCase();
          if (!OUTPUTS.includes(value as OutputFormat)) throw new UsageError(`Unknown output format “${value}”; use ${OUTPUTS.join(', ')}.`);
          out.output = value as OutputFormat;
        } else {
          out.flags[name] = value;
          if (REPEATABLE.has(name)) (out.repeated[name] ??= []).push(value);
        }
      } else if (BOOL_OPTIONS.has(name) && eq === -1) {
        if (name === 'dry-run') out.dryRun = true;
        else if (name === 'strict') out.strict = true;
        else if (name === 'help') out.help = true;
        else if (name === 'version') out.version = true;
        else out.flags[name] = true;
      } else {
        throw unknownOption(a);
      }
      continue;
    }
    if (out.command === undefined) {
      out.command = a;
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) {
      const key = a.slice(0, eq);
      if (Object.hasOwn(out.params, key)) throw new UsageError(`The parameter “${key}” is given twice.`);
      out.params[key] = a.slice(eq + 1);
    } else {
      out.positional.push(a);
    }
  }
  return out;
}

/** An unknown option, named without what follows its `=`: a misplaced `--client_secret=…` must not print the secret. */
function unknownOption(a: string): UsageError {
  const eq = a.indexOf('=');
  return new UsageError(`Unknown option “${eq === -1 ? a : a.slice(0, eq)}”.`);
}

/**
 * The command or function named, read leniently from raw arguments (the first operand, skipping
 * options and their values): a usage error found while parsing still answers in that command's
 * shape (`apply`'s report).
 */
export function requestedCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return argv[i + 1];
    if (a.startsWith('--')) {
      if (!a.includes('=') && VALUE_OPTIONS.has(a.slice(2))) i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) continue;
    return a;
  }
  return undefined;
}

/**
 * The output format asked for, read leniently from raw arguments: a usage error found while
 * parsing is still reported as an envelope when the caller asked for JSON.
 */
export function requestedOutput(argv: readonly string[]): OutputFormat | undefined {
  let found: OutputFormat | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = a === '--output' ? argv[i + 1] : a.startsWith('--output=') ? a.slice('--output='.length) : undefined;
    const v = value?.toLowerCase();
    if (v !== undefined && OUTPUTS.includes(v as OutputFormat)) found = v as OutputFormat;
  }
  return found;
}
