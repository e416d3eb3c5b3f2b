/** `--help` texts, generated from the facade's function table so they cannot drift from it. */
import { WHM_FUNCTIONS, type WhmFunction } from '../whm/functions.js';

export function mainHelp(): string {
  const width = Math.max(...WHM_FUNCTIONS.map((f) => f.name.length));
  return [
    'Usage: linkstore [--root DIR] [--output yaml|json|jsonpretty] [--dry-run] [--strict] FUNCTION [key=value ...]',
    '       linkstore [--root DIR] doctor [--fix [--dry-run]] [--user U] [--output table|json|jsonpretty|yaml]',
    '       linkstore [--root DIR] export [--user U]            (NDJSON on stdout)',
    '       linkstore [--root DIR] import [--dry-run] [--quiet|--progress] [--output table|json|jsonpretty|yaml] FILE',
    '',
    'Reads and writes cPanel’s integration links, External Authentication links and username',
    'checks on disk, as WHM API 1 would.',
    '',
    'Options:',
    '  --root DIR      DIR stands for / (/var/cpanel and /etc are used under it); relative to the',
    '                  working directory; it must exist. Default /.',
    '  --output FMT    yaml (whmapi1’s default), json or jsonpretty for functions; doctor and import',
    '                  also take table (their default on a terminal; doctor prints json otherwise).',
    '                  With json or jsonpretty every failure, usage errors included, is an envelope.',
    '  --dry-run       Validate and print the planned file operations; write nothing. Only for',
    '                  functions marked [writes], import and doctor --fix.',
    '  --strict        Unknown key=value parameters are a usage error (default: ignored with',
    '                  cPanel’s warning, in metadata.output.warnings and on stderr).',
    '  --fix, --user   doctor: repair what is safe; limit to one user (export takes --user too).',
    '  --quiet         import: no progress bar.  --progress: a progress bar even when not a terminal.',
    '',
    'Exit status: 0 when result is 1, 1 when it is 0, 2 on a usage error.',
    '',
    'Functions:',
    ...WHM_FUNCTIONS.map((f) => `  ${f.name.padEnd(width)}  ${f.summary}${f.mutates ? ' [writes]' : ''}`),
    '',
    'Run “linkstore FUNCTION --help” for a function’s parameters.',
    '',
  ].join('\n');
}

export function functionHelp(fn: WhmFunction): string {
  const width = Math.max(10, ...fn.params.map((p) => p.name.length));
  return [
    `Usage: linkstore ${fn.name}${fn.params.map((p) => (p.required ? ` ${p.name}=…` : ` [${p.name}=…]`)).join('')}${fn.mutates ? ' [--dry-run]' : ''}`,
    '',
    fn.summary,
    '',
    fn.params.length ? 'Parameters:' : 'No parameters.',
    ...fn.params.map((p) => `  ${p.name.padEnd(width)}  ${p.required ? '(required) ' : ''}${p.description}`),
    ...(fn.mutates ? ['', '--dry-run validates and prints the planned file operations without writing.'] : []),
    '',
  ].join('\n');
}

const COMMAND_HELP: Record<string, string> = {
  doctor: `Usage: linkstore [--root DIR] doctor [--fix [--dry-run]] [--user U] [--output table|json|jsonpretty|yaml]

Scans /var/cpanel/integration and /var/cpanel/authn and reports, per user: wrong modes or owners,
symlinks, corrupt JSON, 0-byte DBs, temp-file and stale-lock debris, orphan adminconfigs, links
without DynamicUI files and the reverse, stale DynamicUI files, links of users that no longer
exist, and LinkDB drift. --fix repairs what is safe and lists what it left for a person;
--fix --dry-run lists what --fix would repair and changes nothing. The summary says how many
findings --fix can repair. --user U of a user without an account or files is E_NO_SUCH_USER.
Output: table on a terminal, json otherwise (or --output table|json|jsonpretty|yaml).
Exit status: 0 when nothing is left to fix, 1 otherwise.
`,
  export: `Usage: linkstore [--root DIR] export [--user U]

Writes every link (integration links and groups with their tokens, authn links) as NDJSON on
stdout, one JSON object per line. The output contains secrets (tokens): store it like a backup.
`,
  import: `Usage: linkstore [--root DIR] import [--dry-run] [--quiet|--progress] [--output table|json|jsonpretty|yaml] FILE

Applies an NDJSON export (FILE, or - for stdin) with the batch API: one lock per user, fsyncs
amortized. Prints a summary of applied, skipped and failed lines with reasons (a table, or
--output json|jsonpretty|yaml). A progress bar is shown on stderr when it is a terminal;
--progress shows it anyway, --quiet never. --dry-run validates every line and writes nothing.
Exit status: 0 when no line failed, 1 otherwise.
`,
};

export function commandHelp(name: string): string {
  return COMMAND_HELP[name] ?? '';
}
