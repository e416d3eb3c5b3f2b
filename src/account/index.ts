/**
 * Account lifecycle across both stores, as cPanel's account operations need it:
 * - purge (account removal: integration-links.md §7.1, authn-links.md §10.1);
 * - rename (authn's change_system_user_name wants the old account, integration's trees want the
 *   new gid and theme): works before or after the passwd rename, whichever has happened;
 * - primary-domain change (email link users follow the domain; only the account must exist);
 * - LinkDB rebuild for every provider.
 * Each runs both stores even when the first fails, then reports every error together.
 */
import { LinkstoreError } from '../io/errors.js';
import type { MutationOptions, MutationResult } from '../io/plan.js';
import { throwCollected } from '../authn/lifecycle.js';
import type { RebuildAllResult } from '../authn/rebuild-all.js';
import type { Linkstore } from '../services.js';
import { userLookup } from '../users/index.js';
import { requireKnownUser } from './known-user.js';

/** The operations of both stores, in the order they ran. */
export type AccountResult = MutationResult;

const noUser = (u: string) => new LinkstoreError('E_NO_SUCH_USER', `You do not have a user named “${u}”.`, { param: 'user' });

type Step = readonly [name: 'integration' | 'authn', run: () => Promise<MutationResult>];

/** Run the steps in order, keep going past a failure, then throw every error at once. */
async function bothStores(dryRun: boolean, steps: readonly Step[]): Promise<AccountResult> {
  const out: AccountResult = { dryRun, ops: [], changed: false, warnings: [] };
  const errors: unknown[] = [];
  for (const [, run] of steps) {
    try {
      const r = await run();
      out.ops.push(...r.ops);
      out.changed ||= r.changed;
      out.warnings.push(...r.warnings);
    } catch (e) {
      errors.push(e);
    }
  }
  // Changes one store made are in place even when the other failed: that is E_PARTIAL.
  throwCollected(errors, dryRun ? [] : out.ops);
  return out;
}

/**
 * Account removal: every authn link of the account and its email users (LinkDB entries, files,
 * directory), then both integration trees and the user's lock. The account need not exist any
 * more (the removal may already have deleted it), but the name must name something.
 */
export async function purgeAccount(ls: Linkstore, user: string, opts: MutationOptions = {}): Promise<AccountResult> {
  const [authn, integration] = [await ls.authn(), await ls.integration()];
  const dryRun = opts.dryRun === true;
  const purge = (dry: boolean) =>
    bothStores(dry, [
      ['authn', () => authn.purgeUser({ user }, { dryRun: dry, requireAccount: false })],
      ['integration', () => integration.purgeUser({ user }, { dryRun: dry })],
    ]);
  const unknown = await requireKnownUser(ls, user).then(
    () => undefined,
    (e: unknown) => e,
  );
  // A name that is no system user and has no files is most often a typo: say so rather than
  // answer "nothing to remove". A removed account's leftovers (LinkDB entries only) still go.
  if (unknown !== undefined && !(await purge(true)).changed) throw unknown;
  return purge(dryRun);
}

/**
 * Account rename OLD → NEW. Exactly one of them must be a cPanel account: OLD before the passwd
 * rename, NEW after it. Authn first (cPanel runs change_system_user_name while OLD still exists),
 * then the integration trees, owned by the account's gid; the DynamicUI files are rebuilt for
 * NEW's theme once NEW exists. The real run plans both stores first (their dry runs) and changes
 * nothing when either refuses: a refusal the dry run reports up front (a stray NEW entry in one
 * store) must not become an E_PARTIAL after the other store has moved.
 */
export async function renameAccount(ls: Linkstore, oldUser: string, newUser: string, opts: MutationOptions = {}): Promise<AccountResult> {
  if (oldUser === newUser) throw new LinkstoreError('E_INVALID_PARAM', `The new name “${newUser}” is the old name.`, { param: 'newuser' });
  const users = userLookup(await ls.users());
  const [oldIs, newIs] = [await users.isCpanelAccount(oldUser), await users.isCpanelAccount(newUser)];
  if (oldIs && newIs) {
    throw new LinkstoreError('E_INVALID_PARAM', `Both “${oldUser}” and “${newUser}” are accounts; the system cannot rename one onto the other.`, {
      param: 'newuser',
    });
  }
  if (!oldIs && !newIs) throw noUser(oldUser);
  const [authn, integration] = [await ls.authn(), await ls.integration()];
  const steps = (dryRun: boolean): Step[] => [
    ['authn', () => authn.renameUser({ user: oldUser, newUser }, { dryRun, requireAccount: false })],
    ['integration', () => integration.renameUser({ user: oldUser, newUser }, { dryRun, accountOf: oldIs ? oldUser : newUser })],
  ];
  const planned = await bothStores(true, steps(true));
  return opts.dryRun === true ? planned : bothStores(false, steps(false));
}

/** Primary-domain change: `local@OLD` email link users of USER become `local@NEW` (files and LinkDBs). */
export async function changeAccountDomain(
  ls: Linkstore,
  user: string,
  oldDomain: string,
  newDomain: string,
  opts: MutationOptions = {},
): Promise<AccountResult> {
  if (!(await userLookup(await ls.users()).isCpanelAccount(user))) throw noUser(user);
  const authn = await ls.authn();
  const dryRun = opts.dryRun === true;
  return bothStores(dryRun, [['authn', () => authn.renameEmailDomains({ user, domains: { [oldDomain]: newDomain } }, { dryRun })]]);
}

/** Rebuild every provider's LinkDB from the per-user DBs (`includeRoot` keeps root's links, which cPanel drops). */
export async function rebuildLinkDbs(ls: Linkstore, opts: MutationOptions & { includeRoot?: boolean } = {}): Promise<RebuildAllResult> {
  return (await ls.authn()).rebuildLinkDbs(opts);
}
