/**
 * The two sections of a cPanel account archive that hold links (integration-links.md §7.2,
 * authn-links.md §10.3): `integration/links/` (the files of `links/USER`) and `authnlinks/` (the
 * files of `links/users/USER/`), both directly inside `cpmove-USER/`, both created 0700.
 */
import type { ArchiveFile } from '../integration/archive.js';

export const INTEGRATION_SECTION = 'integration/links';
export const AUTHN_SECTION = 'authnlinks';
export const SECTION_DIR_MODE = 0o700;
/** The mode pkgacct gives its work directory, and ours for a new tarball (it holds tokens). */
export const ARCHIVE_DIR_MODE = 0o700;
export const TARBALL_MODE = 0o600;

export interface AccountArchive {
  /** The account the archive was made for (`cpmove-USER`), when the name tells. */
  user?: string;
  /** `integration/links/*`; undefined when the archive has no such section. */
  integration?: ArchiveFile[];
  /** `authnlinks/*`; undefined when the archive has no such section. */
  authn?: ArchiveFile[];
  /** Entries inside the sections that are not files directly in them (reported on restore). */
  strays: string[];
  /** What a restore warns about the archive itself (a file name naming another account than its top directory, a member held twice). */
  warnings?: string[];
}

/** `cpmove-bob`, `cpmove-bob.tar.gz`, `/backups/cpmove-bob/` → `bob`. */
export function userFromArchiveName(name: string): string | undefined {
  const m = /^cpmove-(.+?)(?:\.tar\.gz|\.tgz|\.tar)?\/?$/.exec(name);
  return m?.[1] || undefined;
}

/** Which section a path relative to the archive's top directory is in, and the name inside it. */
export function sectionOf(rel: string): { section: 'integration' | 'authn'; inner: string } | undefined {
  for (const [prefix, section] of [
    [INTEGRATION_SECTION, 'integration'],
    [AUTHN_SECTION, 'authn'],
  ] as const) {
    if (rel === prefix) return { section, inner: '' };
    if (rel.startsWith(prefix + '/')) return { section, inner: rel.slice(prefix.length + 1) };
  }
  return undefined;
}

export function isTarballPath(p: string): boolean {
  return /\.(?:tar\.gz|tgz|tar)$/.test(p);
}
