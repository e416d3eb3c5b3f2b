/** `--help` texts, generated from the facade's function table so they cannot drift from it. */
import { WHM_FUNCTIONS, type WhmFunction } from '../whm/functions.js';

export function mainHelp(): string {
  const width = Math.max(...WHM_FUNCTIONS.map((f) => f.name.length));
  return [
    'Usage: linkstore [--root DIR] [--output yaml|json|jsonpretty] [--dry-run] FUNCTION [key=value ...]',
    '       linkstore [--root DIR] doctor [--fix] [--user U] [--output table|json|jsonpretty|yaml]',
    '       linkstore [--root DIR] export [--user U]            (NDJSON on stdout)',
    '       linkstore [--root DIR] import [--dry-run] FILE       (NDJSON from FILE or -)',
    '       linkstore [--root DIR] apply [--check] [--diff] [--prune] STATE.{json,yaml}',
    '       linkstore (--root DIR | --memfs [--seed FIXTURE]) serve --token-file F [--listen [HOST:]PORT]',
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
  export: `Usage: linkstore [--root DIR] export [--user U]

Writes every link (integration links and groups with their tokens, authn links) as NDJSON on
stdout, one JSON object per line. The output contains secrets (tokens): store it like a backup.
`,
  import: `Usage: linkstore [--root DIR] import [--dry-run] FILE

Applies an NDJSON export (FILE, or - for stdin) with the batch API: one lock per user, fsyncs
amortized. Prints a summary of applied, skipped and failed lines with reasons. A progress bar is
shown on a terminal. Exit status: 0 when no line failed, 1 otherwise.
`,
  apply: `Usage: linkstore [--root DIR] [--output table|json|jsonpretty|yaml] apply [--check] [--diff] [--prune] STATE

Makes the tree match a desired state (JSON, or YAML for any other extension; - reads standard
input) validated against schemas/linkstore-state.schema.json: providers (enabled services, client
and display configurations) and, per account, integration links, groups and authn links. Each
step is planned first and compared with the files on disk; a step that would change nothing is
not run, so a second apply of the same state writes nothing and moves no mtime.
  --check   plan only: report what would change, write nothing (--dry-run is the same)
  --diff    show each file before and after (JSON pretty-printed, secrets masked)
  --prune   remove links, groups and authn links the state does not list, for the accounts and
            sections it lists (a section left out is not managed)
Output: one line per change, or with --output json the report { "changed": bool, "changes": [...] }.
Exit status: 0 on success (changed or not, --check included), 2 for an invalid state (nothing is
written; the message names the bad key), 1 when applying failed.
`,
  serve: `Usage: linkstore --root DIR serve --token-file F [--listen [HOST:]PORT]
       linkstore serve --memfs [--seed FIXTURE] --token-file F [--listen [HOST:]PORT]

Serves WHM API 1 over HTTP: GET or POST (form-urlencoded) /json-api/FUNCTION?api.version=1&...
(also /cpsessNNN/json-api/FUNCTION) with the WHM envelope, and UAPI at
/execute/ExternalAuthentication/FUNCTION with UAPI's envelope. A result-0 answer is HTTP 200.
  --root DIR        serve the tree under DIR (a staging server)
  --memfs           serve an in-memory tree; --seed FIXTURE copies a directory laid out as a root
                    prefix into it, or takes a .json file of createTestServer options
  --token-file F    the API token; created (0600, a new random token) when missing. Clients send
                    "Authorization: whm root:TOKEN" (WHM API 1) or "cpanel USER:TOKEN" (UAPI,
                    acting as USER); anything else is HTTP 401
  --listen          [HOST:]PORT, default 127.0.0.1:2087; port 0 picks a free one
The base URL is printed on standard output. Request bodies over 4 MiB are refused (413).
SIGTERM or SIGINT stops the server after the requests in flight; exit status 0.
Plain HTTP only: for TLS, put it behind a TLS proxy (README: "Serving over TLS").
`,
};

export function commandHelp(name: string): string {
  return COMMAND_HELP[name] ?? '';
}
