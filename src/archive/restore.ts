/**
 * `linkstore archive restore SOURCE [--as NEWUSER]`: cPanel's restore of the two link sections
 * (integration-links.md §7.3, then authn-links.md §10.3, in cPanel's phase order), from an
 * extracted directory anywhere or straight from the tarball. Everything is read and checked
 * before the first write.
 */
import { LinkstoreError } from '../io/errors.js';
import type { MutationOptions, PlannedOp } from '../io/plan.js';
import type { RestoreResult } from '../integration/restore.js';
import { checkAuthnArchive, type AuthnRestoreResult } from '../authn/archive.js';
import type { Linkstore } from '../services.js';
import { loadAccountArchive } from './load.js';
import { AUTHN_SECTION, INTEGRATION_SECTION, type AccountArchive } from './sections.js';
import { DEFAULT_LIMITS, type ArchiveLimits } from './tar-read.js';
import { userLookup } from '../users/index.js';

export interface AccountRestoreOptions extends MutationOptions {
  /** Restore under this account (default: the `USER` of `cpmove-USER`). */
  as?: string;
  limits?: ArchiveLimits;
}

export interface AccountRestoreResult {
  dryRun: boolean;
  /** The account restored into. */
  user: string;
  integration: RestoreResult;
  authn: AuthnRestoreResult;
  /** Every warning: strays and the archive's own first, then the integration phase's, then the authn phase's. */
  warnings: string[];
  ops: PlannedOp[];
}

const NO_SECTIONS = `The archive holds neither an “${INTEGRATION_SECTION}/” nor an “${AUTHN_SECTION}/” section: there were no links to restore.`;

const emptyIntegration = (dryRun: boolean): RestoreResult => ({ dryRun, restored: [], failed: [], warnings: [], ops: [], changed: false });
const emptyAuthn = (dryRun: boolean): AuthnRestoreResult => ({ dryRun, restored: [], failed: [], skipped: [], warnings: [], ops: [] });

export async function restoreAccountArchive(ls: Linkstore, source: string | AccountArchive, opts: AccountRestoreOptions = {}): Promise<AccountRestoreResult> {
  const archive = typeof source === 'string' ? await loadAccountArchive(ls.disk.fs, source, opts.limits ?? DEFAULT_LIMITS) : source;
  const user = opts.as ?? archive.user;
  if (user === undefined || user === '') {
    throw new LinkstoreError(
      'E_MISSING_PARAM',
      'The archive’s name does not tell its account (it is not “cpmove-USER”); name the account to restore into (--as USER).',
      {
        param: 'as',
      },
    );
  }
  if (!(await userLookup(await ls.users()).isCpanelAccount(user))) {
    throw new LinkstoreError('E_NO_SUCH_USER', `You do not have a user named “${user}”.`, { param: 'as' });
  }
  // The authn phase runs second but its files can abort it: load them before the first write.
  checkAuthnArchive(archive.authn ?? []);
  const dryRun = opts.dryRun === true;
  const warnings = [...archive.strays.map((s) => `The system has skipped the unrecognized file “${s}”.`), ...(archive.warnings ?? [])];
  // An archive without either section restores nothing: say so rather than succeed silently.
  if (archive.integration === undefined && archive.authn === undefined) warnings.push(NO_SECTIONS);
  const integration = archive.integration?.length
    ? await (await ls.integration()).restoreUser({ archive: { user: archive.user ?? user, files: archive.integration }, user }, { dryRun })
    : emptyIntegration(dryRun);
  const authn = archive.authn?.length ? await (await ls.authn()).restoreUser({ archive: archive.authn, user }, { dryRun }) : emptyAuthn(dryRun);
  return {
    dryRun,
    user,
    integration,
    authn,
    warnings: [...warnings, ...integration.warnings, ...authn.warnings],
    ops: [...integration.ops, ...authn.ops],
  };
}
