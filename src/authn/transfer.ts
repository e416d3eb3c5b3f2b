/**
 * Whole-server transfer of the authn tree: readers for export (each file through the store's own
 * schema-checked reader, one file per call so a caller can skip a corrupt one); the batched
 * import of many links is in import-links.ts.
 */
import { compareCodePoints } from '../io/json-codec.js';
import type { AuthnClientConfig, AuthnDisplayConfig, AuthnUserInfo } from '../generated/schemas.js';
import { CLIENT_CONFIG_DIR, SERVICES, USERS_DIR, clientConfigPath, displayConfigPath, type Service } from './constants.js';
import type { AuthnContext } from './context.js';
import { protocolMap, readJsonObject, readUserDb } from './db.js';
import { listLinkUsers } from './lifecycle.js';
import { readServiceFile } from './providers.js';

/** One link as stored in a per-user DB. */
export interface StoredLink {
  user: string;
  sysuser: string;
  protocol: string;
  provider: string;
  subject: string;
  user_info: AuthnUserInfo;
}

const visible = (names: string[] | undefined): string[] => (names ?? []).filter((n) => !n.startsWith('.')).sort(compareCodePoints);

/** System users that have a links directory (`links/users/*`), sorted. */
export async function linkSystemUsers(ctx: AuthnContext): Promise<string[]> {
  return visible(await ctx.disk.readdir(USERS_DIR));
}

/** The link users of a system user, by cPanel's listing rule, sorted. */
export function linkUsersOf(ctx: AuthnContext, sysuser: string): Promise<string[]> {
  return listLinkUsers(ctx, sysuser);
}

/** Every link of one per-user DB (schema-checked by `readUserDb`), sorted by protocol, provider, subject. */
export async function storedLinksOf(ctx: AuthnContext, sysuser: string, linkuser: string): Promise<StoredLink[]> {
  const db = await readUserDb(ctx.disk, `${USERS_DIR}/${sysuser}/${linkuser}.db`);
  const out: StoredLink[] = [];
  for (const protocol of Object.keys(db).sort(compareCodePoints)) {
    const providers = protocolMap(db, protocol);
    if (!providers) continue;
    for (const provider of Object.keys(providers).sort(compareCodePoints)) {
      const subjects = providers[provider] ?? {};
      for (const subject of Object.keys(subjects).sort(compareCodePoints)) {
        out.push({ user: linkuser, sysuser, protocol, provider, subject, user_info: subjects[subject] as AuthnUserInfo });
      }
    }
  }
  return out;
}

/** The provider keys of one service file (through the store's reader), sorted. */
export async function enabledIn(ctx: AuthnContext, service: Service): Promise<string[]> {
  return Object.keys(await readServiceFile(ctx, service)).sort(compareCodePoints);
}

/** Providers that have a stored client configuration file. */
export async function clientConfigProviders(ctx: AuthnContext): Promise<string[]> {
  // Provider ids never hold a dot; lock files (`google.lock`, `google.lock-…`) and hidden files do.
  return visible(await ctx.disk.readdir(CLIENT_CONFIG_DIR)).filter((n) => !n.includes('.'));
}

/** A provider's client configuration as stored (redirect_uris included), or undefined. */
export async function storedClientConfig(ctx: AuthnContext, provider: string): Promise<AuthnClientConfig | undefined> {
  return (await readJsonObject(ctx.disk, clientConfigPath(provider), 'authn-client-config')) as AuthnClientConfig | undefined;
}

/** (provider, service) pairs with a custom display configuration file, sorted. */
export async function displayConfigKeys(ctx: AuthnContext): Promise<Array<{ provider: string; service: Service }>> {
  const out: Array<{ provider: string; service: Service }> = [];
  for (const name of ((await ctx.disk.readdir(CLIENT_CONFIG_DIR)) ?? []).sort(compareCodePoints)) {
    const m = /^\.(.+)\.([a-z]+)\.display_configurations$/s.exec(name);
    if (m && (SERVICES as readonly string[]).includes(m[2] as string)) out.push({ provider: m[1] as string, service: m[2] as Service });
  }
  return out;
}

/** A custom display configuration as stored, or undefined. */
export async function storedDisplayConfig(ctx: AuthnContext, provider: string, service: Service): Promise<AuthnDisplayConfig | undefined> {
  return (await readJsonObject(ctx.disk, displayConfigPath(provider, service), 'authn-display-config')) as AuthnDisplayConfig | undefined;
}

// ---------------------------------------------------------------- batched import

export { importLinks, type ImportLinkItem, type ImportLinkResult, type ImportLinkStatus, type ImportLinksOptions } from './import-links.js';
