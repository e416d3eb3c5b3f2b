/**
 * The independent oracle of the stress suites: walks the managed trees of a real root directly
 * (no library code) and reports every file that does not parse in its JSON style, every file or
 * directory whose mode is not cPanel's, every secret in a group/other-readable file, and writer
 * debris (temp files, lock files and lock temps).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

export interface TreeReport {
  /** Broken invariants: unparsable files, wrong modes, leaked secrets, unexpected entries. */
  problems: string[];
  /** Temp files, dot-locks and lock temps (allowed right after a kill; none after doctor --fix). */
  debris: string[];
  /** cPanel path → parsed JSON of every data file. */
  files: Map<string, unknown>;
}

/** Secrets the stress children write always contain this (tokens and client secrets). */
export const SECRET_MARK = 'SECRET-';

const INTEG = '/var/cpanel/integration';
const AUTHN = '/var/cpanel/authn';

/** The mode cPanel gives a directory of the managed trees. */
function dirMode(p: string): number | undefined {
  if (p === INTEG || p === `${INTEG}/links` || p === `${INTEG}/dynamicui`) return 0o751;
  if (/^\/var\/cpanel\/integration\/(links|dynamicui)\/[^/]+$/.test(p)) return 0o750;
  if (p === `${AUTHN}/links/openid_connect` || p === `${AUTHN}/links/openid_connect/login`) return 0o700;
  if (p.startsWith(AUTHN)) return 0o711;
  return undefined;
}

/** The mode and JSON style of a data file, or undefined for an unexpected file. */
function fileKind(p: string): { mode: number; style: 'pretty' | 'compact' } | undefined {
  if (/^\/var\/cpanel\/integration\/links\/[^/]+\/[^/]+\.userconfig$/.test(p)) return { mode: 0o644, style: 'pretty' };
  if (/^\/var\/cpanel\/integration\/links\/[^/]+\/[^/]+\.adminconfig$/.test(p)) return { mode: 0o600, style: 'pretty' };
  if (/^\/var\/cpanel\/integration\/dynamicui\/[^/]+\/dynamicui_[^/]+\.conf$/.test(p)) return { mode: 0o644, style: 'pretty' };
  if (/^\/var\/cpanel\/authn\/links\/users\/[^/]+\/[^/]+\.db$/.test(p)) return { mode: 0o640, style: 'compact' };
  if (/^\/var\/cpanel\/authn\/links\/openid_connect\/login\/[^/]+\.db$/.test(p)) return { mode: 0o600, style: 'compact' };
  if (/^\/var\/cpanel\/authn\/openid_connect\/(cpaneld|webmaild|whostmgrd)$/.test(p)) return { mode: 0o644, style: 'compact' };
  if (/^\/var\/cpanel\/authn\/client_config\/openid_connect\/\.[^/]+\.display_configurations$/.test(p)) return { mode: 0o644, style: 'compact' };
  if (/^\/var\/cpanel\/authn\/client_config\/openid_connect\/[^./][^/]*$/.test(p)) return { mode: 0o600, style: 'compact' };
  return undefined;
}

export function isDebris(name: string): boolean {
  return (
    /^\.tmp\.[0-9a-f]+\..*\.tmp$/.test(name) || name.endsWith('.lock') || /\.lock-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/.test(name) || /^\.[^/]*\.tmp$/.test(name)
  );
}

/** Read a file through one descriptor: the mode and the bytes are of the same inode. */
export function readWithMode(host: string): { mode: number; bytes: Buffer } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(host, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    return { mode: st.mode & 0o7777, bytes: fs.readFileSync(fd) };
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

export function checkTree(root: string): TreeReport {
  const report: TreeReport = { problems: [], debris: [], files: new Map() };
  const walk = (cp: string) => {
    const host = join(root, cp);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(host);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) {
      report.problems.push(`symlink ${cp}`);
      return;
    }
    if (st.isDirectory()) {
      const want = dirMode(cp);
      if (want !== undefined && (st.mode & 0o7777) !== want) report.problems.push(`mode ${cp} ${(st.mode & 0o7777).toString(8)} != ${want.toString(8)}`);
      for (const n of (fs.readdirSync(host) as string[]).sort()) walk(`${cp}/${n}`);
      return;
    }
    const name = cp.slice(cp.lastIndexOf('/') + 1);
    const r = readWithMode(host);
    if (r === undefined) return;
    if (r.mode & 0o044 && r.bytes.includes(SECRET_MARK)) report.problems.push(`secret in a group/other-readable file ${cp} (${r.mode.toString(8)})`);
    if (isDebris(name)) {
      report.debris.push(cp);
      return;
    }
    const kind = fileKind(cp);
    if (kind === undefined) {
      report.problems.push(`unexpected file ${cp}`);
      return;
    }
    if (r.mode !== kind.mode) report.problems.push(`mode ${cp} ${r.mode.toString(8)} != ${kind.mode.toString(8)}`);
    const text = r.bytes.toString('utf8');
    if (text.length === 0) {
      report.problems.push(`0-byte ${cp}`);
      return;
    }
    if (kind.style === 'pretty' && !text.endsWith('}\n') && !text.endsWith(']\n')) report.problems.push(`pretty style ${cp}: no single trailing newline`);
    if (kind.style === 'compact' && /\s$/.test(text)) report.problems.push(`compact style ${cp}: trailing whitespace`);
    try {
      report.files.set(cp, JSON.parse(text));
    } catch (e) {
      report.problems.push(`unparsable ${cp}: ${(e as Error).message}`);
    }
  };
  walk(INTEG);
  walk(AUTHN);
  return report;
}
