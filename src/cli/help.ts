/** `--help` texts, generated from the facade's function table so they cannot drift from it. */
import { WHM_FUNCTIONS, type WhmFunction } from '../whm/functions.js';

/** The usage lines at the top of a command's help (without `Usage: `). */
function usageLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (out.length === 0 && line.startsWith('Usage: ')) out.push(line.slice('Usage: '.length));
    else if (out.length > 0 && /^ {7}\S/.test(line)) out.push(line.slice(7));
    else if (out.length > 0 && /^ {8,}\[/.test(line)) out.push(line.slice(7));
    else if (out.length > 0) break;
  }
  return out;
}

export function mainHelp(): string {
  const width = Math.max(...WHM_FUNCTIONS.map((f) => f.name.length));
  return [
    'Usage: linkstore [--root DIR] [--output yaml|json|jsonpretty] [--dry-run] [--strict] FUNCTION [key=value ...]',
    // Each command's own usage, so the two cannot drift apart.
    ...Object.keys(COMMAND_HELP).flatMap((c) => usageLines(commandHelp(c)).map((l) => `       ${l}`)),
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
    '  --dry-run       Validate and print the planned file operations; write nothing. For functions',
    '                  marked [writes], doctor --fix, import, archive, account and rebuild-linkdb',
    '                  (apply calls it --check).',
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
  export: `Usage: linkstore [--root DIR] export [--user U] [--out FILE] [--skip-corrupt]

Writes the server as NDJSON, one JSON object per line: providers enabled per service, client
configurations (with their secrets), custom display configurations, integration groups and links
(with their tokens), authn links (with link_time). On stdout, or in FILE, created with mode 0600.
--user U: only U's integration links and the authn links of system user U (its mail users too).
--skip-corrupt: leave out each damaged file, name it on stderr, export the rest, exit 1. Without
it the first damaged file is an error naming it.
`,
  import: `Usage: linkstore [--root DIR] import [--dry-run] [--no-replace] [--map-user OLD=NEW]...
                                     [--hostname H] [--quiet|--progress] [--output table|json|jsonpretty|yaml] FILE

Applies an NDJSON export (FILE, or - for stdin): providers first, then configurations, groups,
integration links (batched per user) and authn links (batched per provider). Reports every line
as created, replaced, unchanged, conflict, skipped (a repeated key) or failed, with its key and
reason, then the totals; --output json gives the same as JSON. A dry run reports the same and
writes nothing. --no-replace leaves differing existing records alone (conflict). --map-user moves
OLD's records to NEW (email users keep their addresses); --hostname rewrites the host of client
configurations' redirect_uris. A progress bar is shown on stderr when it is a terminal;
--progress shows it anyway, --quiet never.
Exit status: 0 when no line failed and every --map-user OLD named a record, 1 otherwise.
`,
  archive: `Usage: linkstore [--root DIR] archive export USER TARGET [--dry-run]
       linkstore [--root DIR] archive restore SOURCE [--as NEWUSER] [--dry-run]

cPanel account archives, offline. export writes USER's integration/links/ (the files of
/var/cpanel/integration/links/USER) and authnlinks/ (the files of
/var/cpanel/authn/links/users/USER/) as pkgacct does: sections 0700, files with their modes.
TARGET is a cpmove-USER/ directory (created if missing; the sections go directly inside it) or a
.tar.gz (.tgz, .tar) file: a new one, or an existing archive whose two sections are replaced while
every other member is copied byte for byte.
restore reads SOURCE — an extracted cpmove-USER/ directory anywhere, or the tarball itself —
and replays it with cPanel's restore rules: integration links through full validation, authn
DBs only at version 1.0, email link users kept only when their domain belongs to the account,
warnings for unrecognized files. --as restores into another account (default: USER of
cpmove-USER). An archive holding a link, a device, an absolute path or a “..” member is refused
whole before anything is written. Exit status: 0 when every link was restored, 1 otherwise.
`,
  account: `Usage: linkstore [--root DIR] account purge USER [--dry-run]
       linkstore [--root DIR] account rename OLD NEW [--dry-run]
       linkstore [--root DIR] account domain-change USER OLD NEW [--dry-run]

purge removes every link of the account from both stores (authn links of the account and its
email users with their LinkDB entries, both integration trees, the lock file); the account need
not exist any more. rename moves both stores' data from OLD to NEW, before or after the passwd
rename (exactly one of OLD and NEW must be an account). domain-change renames the email link
users local@OLD of USER to local@NEW (USER must be an account).
`,
  'rebuild-linkdb': `Usage: linkstore [--root DIR] rebuild-linkdb [--include-root] [--dry-run]

Rebuilds every provider's LinkDB (links/openid_connect/login/PROVIDER.db) from the per-user DBs,
as cPanel's rebuild_provider_openid_connect_links_db does. cPanel walks cPanel accounts only, so
root's links drop out of the LinkDB; --include-root keeps them.
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
  return Object.hasOwn(COMMAND_HELP, name) ? (COMMAND_HELP[name] as string) : '';
}
