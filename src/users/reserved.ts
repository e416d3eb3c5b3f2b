/**
 * cPanel's reserved usernames (`Cpanel::Validate::Username::Core`, 11.120.0.16; spec §4) and the
 * `reserved` flag (spec §2.2). The lists are shipped exactly and frozen.
 */

/** The 43 built-in reserved names (§4.1). */
export const RESERVED_NAMES: readonly string[] = Object.freeze([
  'abrt',
  'all',
  'clamav',
  'cpanel-ccs',
  'cpeasyapache',
  'cpses',
  'cptkt',
  'cphulkd',
  'cpwebcalls',
  'dbus',
  'dirs',
  'dnsadmin',
  'dovecot',
  'eximstats',
  'files',
  'ftpxferlog',
  'haldaemon',
  'information_schema',
  'mailman',
  'modsec',
  'munin',
  'mydns',
  'nobody',
  'performance_schema',
  'postgres',
  'postmaster',
  'proftpd',
  'root',
  'roundcube',
  'shadow',
  'spamassassin',
  'ssl',
  'sys',
  'system',
  'tcpdump',
  'tmp',
  'tomcat',
  'toor',
  'virtfs',
  'virtual',
  'webmaster',
  'whmxfer',
  '_lock',
]);

/** Names starting with one of these are reserved (§4.2). */
export const RESERVED_PREFIXES: readonly string[] = Object.freeze([
  'test',
  'passwd.',
  'cpmydns',
  'cpanel',
  'mydns',
  'pg_toast',
  'pg_temp',
  'cpses',
  'cptkt',
  'cpbackup',
]);

/** Names ending with one of these are reserved (§4.3). */
export const RESERVED_SUFFIXES: readonly string[] = Object.freeze(['.lock', '.cache', '.yaml', '.json', '.db', 'assword']);

/** The one reserved regex (§4.4), as cPanel writes it. */
export const RESERVED_REGEX_SOURCE = '^[-._0-9]+$';

/** JS form of the regex; callers strip one trailing `\n` first, as Perl's `$` would allow it. */
const RESERVED_REGEX = /^[-._0-9]+$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Prefixes and suffixes as one regex: the flag only needs "does any rule match", and one regex
 * test is several times faster than sixteen startsWith/endsWith calls on the warm path.
 */
const AFFIX_REGEX = new RegExp(`^(?:${RESERVED_PREFIXES.map(escapeRegExp).join('|')})|(?:${RESERVED_SUFFIXES.map(escapeRegExp).join('|')})$`);

/** Perl's quotemeta: backslash every non-word character. */
function quotemeta(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '\\$&');
}

/**
 * `list_reserved_username_patterns` (§4.5): the regex, then `^`+prefix, then suffix+`$`, in
 * cPanel's order, for a UI that wants to check names itself.
 */
export function reservedUsernamePatterns(): string[] {
  return [RESERVED_REGEX_SOURCE, ...RESERVED_PREFIXES.map((p) => '^' + quotemeta(p)), ...RESERVED_SUFFIXES.map((s) => quotemeta(s) + '$')];
}

/** The exact-match list: built-ins then alias names, de-duplicated. */
export function reservedNameSet(aliasNames: Iterable<string>): Set<string> {
  const set = new Set(RESERVED_NAMES);
  for (const n of aliasNames) set.add(n);
  return set;
}

/**
 * cPanel's `reserved_username_check` on a byte-form name. The first matching rule decides:
 * Perl-false ("" or exactly "0") is never reserved; then exact list, prefixes, suffixes, and the
 * regex on the name with one trailing `\n` removed (Perl's `$`). Suffixes use JS `$`, which is Perl's
 * `\z` here: cPanel matches them with `substr`, so `x.db\n` is not reserved by them.
 */
export function isReserved(key: string, exact: ReadonlySet<string>): boolean {
  if (key === '' || key === '0') return false;
  if (exact.has(key)) return true;
  if (AFFIX_REGEX.test(key)) return true;
  return RESERVED_REGEX.test(key.endsWith('\n') ? key.slice(0, -1) : key);
}
