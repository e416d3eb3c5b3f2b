/**
 * `exportStream` / `exportRecords`: a whole server as NDJSON records, sorted so the same tree
 * always gives the same bytes: provider enables, client configurations, display configurations
 * (whole-server exports only), then integration groups and links, then authn links (by user,
 * then name). Every file is read through its store's own reader and schema (this module parses
 * nothing itself), one file per read, so `onCorrupt` can skip a damaged file and go on. Records
 * are produced per user, so memory stays bounded by the largest user, not the server.
 */
import type { Linkstore } from '../services.js';
import { isLinkstoreError, type LinkstoreError } from '../io/errors.js';
import { compareCodePoints } from '../io/json-codec.js';
import { LINKS_DIR as INTEGRATION_LINKS_DIR } from '../integration/index.js';
import { SERVICES, type UserInfoInput } from '../authn/index.js';
import type { AuthnStore } from '../authn/index.js';
import { authnContext } from '../authn/store.js';
import * as stored from '../authn/transfer.js';
import type { IntegrationStore } from '../integration/index.js';
import type { TransferRecord } from './records.js';
import { userLookup } from '../users/index.js';
import { requireKnownUser } from '../account/known-user.js';

export interface ExportOptions {
  /** Only this user: an integration account, and the authn links of this system user (its mail users included). */
  user?: string;
  /**
   * Called for each file that cannot be read as its format (corrupt, not a regular file, a
   * symlink); its records are left out and the export goes on. Without it the first such file
   * is an error naming it.
   */
  onCorrupt?: (file: string, error: LinkstoreError) => void;
}

/** Errors that mean "this one file is damaged", as opposed to a failing disk or a bug. */
const DAMAGE = new Set(['E_CORRUPT_FILE', 'E_NOT_FILE', 'E_SYMLINK', 'E_NOT_DIRECTORY']);

type Guard = <T>(read: () => Promise<T>) => Promise<T | undefined>;

function guardWith(options: ExportOptions): Guard {
  return async (read) => {
    try {
      return await read();
    } catch (e) {
      if (!options.onCorrupt || !isLinkstoreError(e) || !DAMAGE.has(e.code)) throw e;
      options.onCorrupt(e.path ?? '(unknown file)', e);
      return undefined;
    }
  };
}

async function* providerRecords(authn: AuthnStore, guard: Guard): AsyncGenerator<TransferRecord> {
  for (const service of SERVICES) {
    for (const provider of (await guard(() => authn.listEnabledProviders({ service }))) ?? []) yield { type: 'authn_provider', service, provider };
  }
  for (const provider of await stored.clientConfigProviders(authnContext(authn))) {
    const config = await guard(() => stored.storedClientConfig(authnContext(authn), provider));
    if (config !== undefined) yield { type: 'authn_client_config', provider, config };
  }
  for (const { provider, service } of await stored.displayConfigKeys(authnContext(authn))) {
    const config = await guard(() => stored.storedDisplayConfig(authnContext(authn), provider, service));
    if (config !== undefined) yield { type: 'authn_display_config', service, provider, config: config as Record<string, string> };
  }
}

async function* integrationRecords(ls: Linkstore, store: IntegrationStore, only: string | undefined, guard: Guard): AsyncGenerator<TransferRecord> {
  const users = userLookup(await ls.users());
  const names = ((await ls.disk.readdir(INTEGRATION_LINKS_DIR)) ?? []).filter((n) => !n.startsWith('.')).sort(compareCodePoints);
  // Groups of every user first, then links, as import applies them (links may name groups).
  const accounts: string[] = [];
  for (const user of names) if ((only === undefined || user === only) && (await users.isCpanelAccount(user))) accounts.push(user);
  for (const user of accounts) {
    for (const group_id of await store.listGroups({ user })) {
      const userconfig = await guard(() => store.getGroupUserConfig({ user, group_id }));
      if (userconfig !== undefined) yield { type: 'integration_group', user, group_id, userconfig };
    }
  }
  for (const user of accounts) {
    for (const app of await store.listLinks({ user })) {
      const userconfig = await guard(() => store.getLinkUserConfig({ user, app }));
      if (userconfig === undefined) continue;
      let token: string | null | undefined = null;
      try {
        token = await guard(() => store.getLinkToken({ user, app }));
      } catch (e) {
        // A link without an adminconfig has no token (doctor reports such links).
        if (!isLinkstoreError(e) || (e.code !== 'E_NO_SUCH_LINK' && e.code !== 'E_NOT_FOUND')) throw e;
      }
      if (token === undefined) continue;
      yield { type: 'integration_link', user, app, userconfig, token };
    }
  }
}

async function* authnLinkRecords(authn: AuthnStore, only: string | undefined, guard: Guard): AsyncGenerator<TransferRecord> {
  for (const sysuser of await stored.linkSystemUsers(authnContext(authn))) {
    if (only !== undefined && sysuser !== only) continue;
    for (const linkuser of await stored.linkUsersOf(authnContext(authn), sysuser)) {
      for (const l of (await guard(() => stored.storedLinksOf(authnContext(authn), sysuser, linkuser))) ?? []) {
        yield {
          type: 'authn_link',
          user: l.user,
          sysuser,
          protocol: l.protocol,
          provider: l.provider,
          subject: l.subject,
          user_info: l.user_info as UserInfoInput,
        };
      }
    }
  }
}

/** Every record of the server (or of `options.user`), in export order, one at a time. */
export async function* exportStream(ls: Linkstore, options: ExportOptions = {}): AsyncGenerator<TransferRecord> {
  // A misspelt user is an error, not an empty export.
  if (options.user !== undefined) await requireKnownUser(ls, options.user);
  const guard = guardWith(options);
  const authn = await ls.authn();
  if (options.user === undefined) yield* providerRecords(authn, guard);
  yield* integrationRecords(ls, await ls.integration(), options.user, guard);
  yield* authnLinkRecords(authn, options.user, guard);
}

/** Every record as an array, sorted and deterministic (see `exportStream` for large servers). */
export async function exportRecords(ls: Linkstore, options: ExportOptions = {}): Promise<TransferRecord[]> {
  const out: TransferRecord[] = [];
  for await (const r of exportStream(ls, options)) out.push(r);
  return out;
}

/** One NDJSON line (no trailing newline) for a record. Keys keep the record's order. */
export function recordLine(r: TransferRecord): string {
  return JSON.stringify(r);
}
