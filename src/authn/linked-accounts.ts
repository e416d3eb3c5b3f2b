/**
 * WHM `get_users_authn_linked_accounts` (authn-links.md §8.1): read from the LinkDB of every
 * available provider, as cPanel does, filtered to the accounts the caller can see.
 */
import { own } from '../io/dict.js';
import { PROTOCOL, linkDbPath } from './constants.js';
import type { AuthnContext } from './context.js';
import { readLinkDb } from './db.js';
import { availableProviders } from './providers.js';

/** One entry of `username_linked_accounts`. */
export interface LinkedAccount {
  username: string;
  provider_protocol: string;
  provider_id: string;
  subject_unique_identifier: string;
  /** As found in the LinkDB: an integer, or a string of digits after cPanel's account restore. */
  link_time: number | string | undefined;
  preferred_username: string | undefined;
}

export interface LinkedAccountsOptions {
  /**
   * See only what this reseller sees: the accounts it owns (`OWNER=` in the cpuser file) and
   * itself. Default: root's view, every cPanel account plus `root`.
   */
  reseller?: string;
}

async function visibleAccounts(ctx: AuthnContext, reseller: string | undefined): Promise<Set<string>> {
  const accounts = await ctx.users.cpanelAccounts();
  if (reseller === undefined || reseller === 'root') return new Set([...accounts, 'root']);
  const out = new Set<string>([reseller]);
  for (const a of accounts) if ((await ctx.users.cpanelUserFile(a))?.OWNER === reseller) out.add(a);
  return out;
}

export async function linkedAccounts(ctx: AuthnContext, options: LinkedAccountsOptions = {}): Promise<LinkedAccount[]> {
  const visible = await visibleAccounts(ctx, options.reseller);
  const domainVisible = new Map<string, boolean>();
  const isVisible = async (name: string): Promise<boolean> => {
    if (visible.has(name)) return true;
    const at = name.lastIndexOf('@');
    if (at === -1) return false;
    const domain = name.slice(at + 1);
    let v = domainVisible.get(domain);
    if (v === undefined) {
      const owner = await ctx.users.domainOwner(domain);
      v = owner !== undefined && visible.has(owner);
      domainVisible.set(domain, v);
    }
    return v;
  };
  const out: LinkedAccount[] = [];
  const providers = [...(await availableProviders(ctx)).keys()].sort();
  for (const provider of providers) {
    const ldb = await readLinkDb(ctx.disk, linkDbPath(provider));
    for (const [username, subjects] of Object.entries(ldb.user)) {
      if (!(await isVisible(username))) continue;
      for (const subject of Object.keys(subjects)) {
        const info = own(own(ldb.subject_unique_identifier, subject), username);
        out.push({
          username,
          provider_protocol: PROTOCOL,
          provider_id: provider,
          subject_unique_identifier: subject,
          link_time: typeof info?.link_time === 'number' || typeof info?.link_time === 'string' ? info.link_time : undefined,
          preferred_username: typeof info?.preferred_username === 'string' ? info.preferred_username : undefined,
        });
      }
    }
  }
  return out;
}
