/**
 * WHM `get_users_authn_linked_accounts` (authn-links.md §8.1): read from the LinkDB of every
 * available provider, as cPanel does, filtered to the accounts the caller can see.
 */
import { FileMemo } from '../io/file-memo.js';
import { own } from '../io/dict.js';
import { pace } from '../io/pace.js';
import { PROTOCOL, linkDbPath } from './constants.js';
import type { AuthnContext } from './context.js';
import { decodeLinkDbPaced } from './db.js';
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
  for (const a of accounts) {
    // Warm cpuser answers come through microtasks only: let the loop turn.
    await pace();
    if ((await ctx.users.cpanelUserFile(a))?.OWNER === reseller) out.add(a);
  }
  return out;
}

/** A LinkDB's entries grouped by link user (without provider_id, added per provider). */
export type LinkDbIndex = ReadonlyMap<string, readonly Omit<LinkedAccount, 'provider_id'>[]>;

/** Entries between two offers to let the event loop turn (a link user may have thousands). */
const ENTRIES_PER_STEP = 256;

/**
 * Parse a LinkDB (the store's own JSONReader rule and schema) into entries per user, in slices
 * (a 100,000-link LinkDB is 12 MB). Memoised by `FileMemo`, validated by stat: a warm call on an
 * unchanged server parses nothing. A file that fails to parse throws and is not remembered.
 */
export async function parseLinkDbIndex(bytes: Buffer | undefined, hostPath: string): Promise<LinkDbIndex> {
  const ldb = await decodeLinkDbPaced(hostPath, bytes);
  const out = new Map<string, Omit<LinkedAccount, 'provider_id'>[]>();
  let n = 0;
  for (const [username, subjects] of ldb.user) {
    const list: Omit<LinkedAccount, 'provider_id'>[] = [];
    for (const subject of Object.keys(subjects)) {
      if (++n % ENTRIES_PER_STEP === 0) await pace();
      const info = own(ldb.subject_unique_identifier.get(subject), username);
      list.push({
        username,
        provider_protocol: PROTOCOL,
        subject_unique_identifier: subject,
        link_time: typeof info?.link_time === 'number' || typeof info?.link_time === 'string' ? info.link_time : undefined,
        preferred_username: typeof info?.preferred_username === 'string' ? info.preferred_username : undefined,
      });
    }
    out.set(username, list);
  }
  return out;
}

/** root's view as last computed, per LinkDB memo: valid while every input is the same object. */
const rootViews = new WeakMap<object, { inputs: readonly unknown[]; result: readonly LinkedAccount[] }>();

const sameInputs = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export async function linkedAccounts(ctx: AuthnContext, options: LinkedAccountsOptions = {}): Promise<LinkedAccount[]> {
  const rootView = options.reseller === undefined || options.reseller === 'root';
  if (!rootView || !ctx.linkDbIndex || !ctx.users.viewIdentity) return computeLinkedAccounts(ctx, options);
  // Warm path: the LinkDB indexes (stat-validated), the provider list and the users' cached
  // readers are the same objects as last time, so the answer is too. Only successes are kept.
  const providers = [...(await availableProviders(ctx)).keys()].sort();
  const inputs: unknown[] = [providers.join('\n'), ...(await ctx.users.viewIdentity())];
  for (const p of providers) inputs.push(await ctx.linkDbIndex.get(linkDbPath(p)));
  const hit = rootViews.get(ctx.linkDbIndex);
  if (hit && sameInputs(hit.inputs, inputs)) return [...hit.result];
  const result = await computeLinkedAccounts(ctx, options);
  for (const r of result) Object.freeze(r);
  rootViews.set(ctx.linkDbIndex, { inputs, result });
  return [...result];
}

async function computeLinkedAccounts(ctx: AuthnContext, options: LinkedAccountsOptions): Promise<LinkedAccount[]> {
  const visible = await visibleAccounts(ctx, options.reseller);
  const domainVisible = new Map<string, boolean>();
  const isEmailVisible = async (name: string): Promise<boolean> => {
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
  const memo = ctx.linkDbIndex ?? new FileMemo(ctx.disk, parseLinkDbIndex);
  for (const provider of providers) {
    const index = await memo.get(linkDbPath(provider));
    let n = 0;
    for (const [username, list] of index) {
      if (++n % ENTRIES_PER_STEP === 0) await pace();
      // Accounts are checked without an await; only email users need their domain's owner.
      if (!visible.has(username) && !(username.includes('@') && (await isEmailVisible(username)))) continue;
      // Fresh objects: the memo's entries are never handed out.
      for (const e of list) {
        if (++n % ENTRIES_PER_STEP === 0) await pace();
        out.push({
          username: e.username,
          provider_protocol: e.provider_protocol,
          provider_id: provider,
          subject_unique_identifier: e.subject_unique_identifier,
          link_time: e.link_time,
          preferred_username: e.preferred_username,
        });
      }
    }
  }
  return out;
}
