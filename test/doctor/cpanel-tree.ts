/**
 * test/fixtures/cpanel-tree (over test/fixtures/users) seeded with the modes and owners cPanel
 * gives its files and directories, so a suite can run the library on a tree written entirely by
 * cPanel. Git keeps neither modes nor owners, so they come from the table below.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostPath, isRoot, seed, type DiskCtx } from '../helpers/disks.js';
import { seedUsersFixture } from '../users/fixture-tree.js';

export const CPANEL_TREE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cpanel-tree');
const BOB_GID = 1001;

/** The hash under which the tree's stand-in for cPanel's default image is recognised. */
export const STANDIN_IMAGE_SHA256 = readFileSync(join(CPANEL_TREE_DIR, 'STANDIN_IMAGE_SHA256'), 'utf8').trim();

/** cPanel's mode and owner for a path of the tree (integration-links.md §1, authn-links.md §2). */
function modeOf(p: string, isDir: boolean): { mode: number; gid: number } {
  const root = (mode: number) => ({ mode, gid: 0 });
  if (p.startsWith('/var/cpanel/integration')) {
    if (isDir) return /^\/var\/cpanel\/integration\/(links|dynamicui)\/bob$/.test(p) ? { mode: 0o750, gid: BOB_GID } : root(0o751);
    return root(p.endsWith('.adminconfig') ? 0o600 : 0o644);
  }
  if (p.startsWith('/var/cpanel/authn')) {
    if (isDir) return root(/\/links\/openid_connect(\/login)?$/.test(p) ? 0o700 : 0o711);
    if (p.includes('/links/users/bob/')) return { mode: 0o640, gid: BOB_GID };
    if (p.includes('/login/') || p.endsWith('/client_config/openid_connect/google')) return root(0o600);
    return root(0o644);
  }
  return root(isDir ? 0o755 : 0o644);
}

function files(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...files(full, `${rel}/${name}`));
    else if (rel !== '') out.push(`${rel}/${name}`);
  }
  return out;
}

/** Seed the users fixture, then the cPanel-written tree with cPanel's modes and owners. */
export function seedCpanelTree(ctx: DiskCtx): void {
  seedUsersFixture(ctx);
  const dirs = new Set<string>();
  for (const p of files(CPANEL_TREE_DIR)) {
    const { mode, gid } = modeOf(p, false);
    seed(ctx, p, readFileSync(join(CPANEL_TREE_DIR, p)), mode);
    if (isRoot) ctx.fs.chownSync(hostPath(ctx, p), 0, gid);
    for (let d = dirname(p); d !== '/'; d = dirname(d)) dirs.add(d);
  }
  for (const d of dirs) {
    const { mode, gid } = modeOf(d, true);
    ctx.fs.chmodSync(hostPath(ctx, d), mode);
    if (isRoot) ctx.fs.chownSync(hostPath(ctx, d), 0, gid);
  }
}
