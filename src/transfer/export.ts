/**
 * `exportRecords`: every integration group and link and every authn link as records, sorted
 * (groups, then links, then authn links; by user, then name), so the same tree always gives the
 * same bytes. Integration links come from cPanel accounts' `links/USER` directories through the
 * store; authn links from the authoritative per-user DBs (with their full user_info).
 */
import type { Linkstore } from '../services.js';
import { LinkstoreError, isLinkstoreError } from '../io/errors.js';
import { compareCodePoints, decodeStrict, isPlainObject } from '../io/json-codec.js';
import { LINKS_DIR as INTEGRATION_LINKS_DIR } from '../integration/index.js';
import { USERS_DIR, userDbPath, linkUserFromEntry } from '../authn/index.js';
import type { UserInfoInput } from '../authn/index.js';
import type { AuthnLinkRecord, IntegrationGroupRecord, IntegrationLinkRecord, TransferRecord } from './records.js';

export interface ExportOptions {
  /** Only this user: an integration account, and the authn links of this system user (its mail users included). */
  user?: string;
}

const cmp = compareCodePoints;

async function dirNames(ls: Linkstore, cpanelDir: string): Promise<string[]> {
  return ((await ls.disk.readdir(cpanelDir)) ?? []).filter((n) => !n.startsWith('.')).sort(cmp);
}

async function integrationRecords(ls: Linkstore, only: string | undefined): Promise<TransferRecord[]> {
  const users = await ls.users();
  const store = await ls.integration();
  const groups: IntegrationGroupRecord[] = [];
  const links: IntegrationLinkRecord[] = [];
  for (const user of await dirNames(ls, INTEGRATION_LINKS_DIR)) {
    if ((only !== undefined && user !== only) || !(await users.isCpanelAccount(user))) continue;
    for (const group_id of await store.listGroups(user)) {
      groups.push({ type: 'integration_group', user, group_id, userconfig: await store.getGroupUserConfig(user, group_id) });
    }
    for (const app of await store.listLinks(user)) {
      const userconfig = await store.getLinkUserConfig(user, app);
      let token: string | null = null;
      try {
        token = await store.readToken(user, app);
      } catch (e) {
        // A link without an adminconfig has no token (doctor reports such links).
        if (!isLinkstoreError(e) || (e.code !== 'E_NO_SUCH_LINK' && e.code !== 'E_NOT_FOUND')) throw e;
      }
      links.push({ type: 'integration_link', user, app, userconfig, token });
    }
  }
  return [...groups, ...links];
}

/** The authn links of every system user (or of `only`), from the per-user DBs. */
export async function authnRecords(ls: Linkstore, only: string | undefined): Promise<AuthnLinkRecord[]> {
  const out: AuthnLinkRecord[] = [];
  for (const sysuser of await dirNames(ls, USERS_DIR)) {
    if (only !== undefined && sysuser !== only) continue;
    const names = (await ls.disk.readdir(`${USERS_DIR}/${sysuser}`)) ?? [];
    for (const linkuser of names
      .map(linkUserFromEntry)
      .filter((u): u is string => u !== undefined)
      .sort(cmp)) {
      const p = userDbPath(sysuser, linkuser);
      const bytes = await ls.disk.readFile(p);
      if (bytes === undefined || bytes.length === 0) continue;
      const db = decodeStrict(bytes, ls.disk.host(p));
      if (db === null) continue;
      if (!isPlainObject(db))
        throw new LinkstoreError('E_CORRUPT_FILE', `The file “${ls.disk.host(p)}” is corrupt: it does not hold a JSON object.`, { path: ls.disk.host(p) });
      for (const protocol of Object.keys(db).sort(cmp)) {
        const providers = db[protocol];
        if (protocol === '__VERSION' || !isPlainObject(providers)) continue;
        for (const provider of Object.keys(providers).sort(cmp)) {
          const subjects = providers[provider];
          if (!isPlainObject(subjects)) continue;
          for (const subject of Object.keys(subjects).sort(cmp)) {
            const info = subjects[subject];
            out.push({
              type: 'authn_link',
              user: linkuser,
              sysuser,
              protocol,
              provider,
              subject,
              user_info: (isPlainObject(info) ? info : {}) as UserInfoInput,
            });
          }
        }
      }
    }
  }
  return out;
}

/** Every link as an export record, sorted and deterministic. */
export async function exportRecords(ls: Linkstore, options: ExportOptions = {}): Promise<TransferRecord[]> {
  return [...(await integrationRecords(ls, options.user)), ...(await authnRecords(ls, options.user))];
}

/** One NDJSON line (no trailing newline) for a record. Keys keep the record's order. */
export function recordLine(r: TransferRecord): string {
  return JSON.stringify(r);
}
