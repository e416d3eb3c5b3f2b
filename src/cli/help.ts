/** `--help` texts, generated from the facade's function table so they cannot drift from it. */
import { WHM_FUNCTIONS, type WhmFunction } from '../whm/functions.js';

export function mainHelp(): string {
  const width = Math.max(...WHM_FUNCTIONS.map((f) => f.name.length));
  return [
    'Usage: linkstore [--root DIR] [--output yaml|json|jsonpretty] [--dry-run] FUNCTION [key=value ...]',
    '       linkstore [--root DIR] doctor [--fix] [--user U] [--output table|json|jsonpretty|yaml]',
    '       linkstore [--root DIR] export [--user U]            (NDJSON on stdout)',
    '       linkstore [--root DIR] import [--dry-run] FILE       (NDJSON from FILE or -)',
    '',
    'Reads and writes cPanel’s integration links, External Authentication links and username',
    'checks on disk, as WHM API 1 would. --root maps /var/cpanel and /etc under DIR (default /).',
    'Exit status: 0 when result is 1, 1 when result is 0, 2 on a usage error.',
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
  doctor: `Usage: linkstore [--root DIR] doctor [--fix] [--user U] [--output table|json|jsonpretty|yaml]

Scans /var/cpanel/integration and /var/cpanel/authn and reports, per user: wrong modes or owners,
symlinks, corrupt JSON, 0-byte DBs, temp-file and stale-lock debris, orphan adminconfigs, links
without DynamicUI files and the reverse, stale DynamicUI files, links of users that no longer
exist, and LinkDB drift. --fix repairs what is safe and lists what it left for a person.
Exit status: 0 when nothing is left to fix, 1 otherwise.
`,
  export: `Usage: linkstore [--root DIR] export [--user U] [--out FILE] [--skip-corrupt]

Writes the server as NDJSON, one JSON object per line: providers enabled per service, client
configurations (with their secrets), custom display configurations, integration groups and links
(with their tokens), authn links (with link_time). On stdout, or in FILE, created with mode 0600.
--user U: only U's integration links and the authn links of system user U (its mail users too).
--skip-corrupt: leave out each damaged file, name it on stderr, export the rest, exit 1. Without
it the first damaged file is an error naming it.
`,
  import: `Usage: linkstore [--root DIR] import [--dry-run] [--no-replace] [--map-user OLD=NEW]...
                                     [--hostname H] [--output json] FILE

Applies an NDJSON export (FILE, or - for stdin): providers first, then configurations, groups,
integration links (batched per user) and authn links (batched per provider). Reports every line
as created, replaced, unchanged, conflict, skipped (a repeated key) or failed, with its key and
reason, then the totals; --output json gives the same as JSON. A dry run reports the same and
writes nothing. --no-replace leaves differing existing records alone (conflict). --map-user moves
OLD's records to NEW (email users keep their addresses); --hostname rewrites the host of client
configurations' redirect_uris. A progress bar is shown on a terminal.
Exit status: 0 when no line failed, 1 otherwise.
`,
};

export function commandHelp(name: string): string {
  return COMMAND_HELP[name] ?? '';
}
