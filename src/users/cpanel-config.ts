/**
 * The two /var/cpanel/cpanel.config settings the username checks read (spec §1):
 * `database_prefix` (default on) and `force_short_prefix` (default off).
 */
import { perlFalse } from './bytes.js';
import { parseKeyValue } from './key-value.js';

export const CPANEL_CONFIG_PATH = '/var/cpanel/cpanel.config';
export const ALLOW_STUPID_STUFF_PATH = '/etc/allowstupidstuff';

export interface CpanelConfigFlags {
  /** `database_prefix` is Perl-true. When false, `_` is allowed in new usernames. */
  databasePrefix: boolean;
  /** `force_short_prefix` is Perl-true: the DB prefix length is 8 whatever MySQL says. */
  forceShortPrefix: boolean;
}

/** The defaults, used for a missing or unreadable file and for missing keys. */
export const DEFAULT_CPANEL_CONFIG: CpanelConfigFlags = Object.freeze({ databasePrefix: true, forceShortPrefix: false });

export function parseCpanelConfig(text: string): CpanelConfigFlags {
  const kv = parseKeyValue(text, '=');
  const dp = kv.get('database_prefix');
  const fsp = kv.get('force_short_prefix');
  return {
    databasePrefix: dp === undefined ? true : !perlFalse(dp),
    forceShortPrefix: fsp === undefined ? false : !perlFalse(fsp),
  };
}
