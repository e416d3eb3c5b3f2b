/**
 * How large a file the library reads, per kind of file. Every read is bounded (checked by fstat
 * before reading and again while reading, see sys.ts `readBounded`), so a huge or growing file —
 * a sparse 1 GiB userconfig, a 3 GiB `/etc/passwd` — costs at most its limit in memory and is
 * refused as E_CORRUPT_FILE naming the limit, instead of exhausting the process.
 *
 * The defaults are generous for real servers and small against memory:
 * - `system`: `/etc/passwd`, `/etc/group`, `/etc/userdomains`, aliases and other `/etc` files —
 *   64 MiB (a 100,000-account passwd is about 10 MiB);
 * - `index`: a provider's LinkDB, which lists every link of the server — 64 MiB (about 600,000
 *   links);
 * - `data`: every other JSON data file (userconfig, adminconfig, DynamicUI, per-user DB, provider
 *   configuration) — 8 MiB, room for the largest image a link may carry;
 * - `config`: everything else (cpanel.config, cPanel user files, the theme's config.json,
 *   `/etc/hostname`, provider modules) — 4 MiB.
 * Lock files are read up to 8 KiB by the lock code itself.
 */
export interface ReadLimits {
  system: number;
  index: number;
  data: number;
  config: number;
}

export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  system: 64 * 1024 * 1024,
  index: 64 * 1024 * 1024,
  data: 8 * 1024 * 1024,
  config: 4 * 1024 * 1024,
});

export function resolveReadLimits(given: Partial<ReadLimits> | undefined): ReadLimits {
  const out = { ...DEFAULT_READ_LIMITS };
  for (const k of Object.keys(out) as (keyof ReadLimits)[]) {
    const v = given?.[k];
    if (v !== undefined) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new TypeError(`The read limit “${k}” must be a positive integer number of bytes.`);
      out[k] = v;
    }
  }
  return out;
}

/** Which limit applies to a file, by its cPanel path. */
export function readKindOf(cpanelPath: string): keyof ReadLimits {
  if (cpanelPath.startsWith('/etc/')) return 'system';
  if (cpanelPath.startsWith('/var/cpanel/authn/links/openid_connect/')) return 'index';
  if (cpanelPath.startsWith('/var/cpanel/integration/') || cpanelPath.startsWith('/var/cpanel/authn/')) return 'data';
  return 'config';
}

export function readLimitFor(limits: ReadLimits, cpanelPath: string): number {
  return limits[readKindOf(cpanelPath)];
}
