/**
 * `doctor`: scan both managed trees and report, per user, what is wrong; with `fix`, repair what
 * is safe (modes, owners, writer debris, stale locks, DynamicUI files, the LinkDB) and leave the
 * rest for a person. It never deletes user data: corrupt files, orphan adminconfigs and DynamicUI
 * files, links of missing users and symlinks are only reported.
 *
 * Repairs of modes, owners, debris and locks happen during the scan (each entry is re-checked
 * right before); DynamicUI files are regenerated per user and LinkDBs rebuilt per provider after
 * their checks, through the stores (so under the same locks as every other writer).
 */
import type { Linkstore } from '../services.js';
import { requireKnownUser } from '../account/known-user.js';
import { dict } from '../io/dict.js';
import { defaultPidAlive } from '../io/dot-lock.js';
import { compareCodePoints } from '../io/json-codec.js';
import { scanAuthn } from './authn.js';
import { scanIntegration } from './integration.js';
import type { ScanCtx } from './scan.js';
import type { DoctorOptions, DoctorReport, DoctorSummary, Finding } from './types.js';
import { Users, userLookup } from '../users/index.js';

export type { DoctorArea, DoctorOptions, DoctorReport, DoctorSummary, Finding, FindingKind, UserSummary } from './types.js';
export { renderDoctorTable } from './render.js';

export const DEFAULT_GRACE_MS = 120_000;

/** Where a user's own files live in the two trees. */
const AREA_ORDER = { integration: 0, authn: 1 } as const;

function compareFindings(a: Finding, b: Finding): number {
  return (
    compareCodePoints(a.user ?? '', b.user ?? '') ||
    (a.user === null ? 0 : 1) - (b.user === null ? 0 : 1) ||
    AREA_ORDER[a.area] - AREA_ORDER[b.area] ||
    compareCodePoints(a.path, b.path) ||
    compareCodePoints(a.kind, b.kind)
  );
}

/** Scan (and with `fix`, repair) the integration and authn trees of `ls`. */
export async function doctor(ls: Linkstore, options: DoctorOptions = {}): Promise<DoctorReport> {
  const sc: ScanCtx = {
    // What the scan reads is handed to the DynamicUI and drift checks after it (see withReadAhead).
    disk: ls.disk.withReadAhead(),
    fix: options.fix === true && options.dryRun !== true,
    user: options.user,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    now: (options.now ?? Date.now)(),
    pidAlive: options.pidAlive ?? defaultPidAlive,
    findings: [],
  };
  // The scan's own look-ups, over a scoped view of the disk: the directories of the account files
  // (/var/cpanel/users) and of /etc are resolved once for the scan instead of once per account
  // file (a realpath each). Fresh caches, as a scan wants anyway: nothing is served from before it.
  const users = userLookup(new Users(ls.disk.scoped(), ls.options.users));
  // The stores' own look-ups (used by the repairs) start fresh too.
  userLookup(await ls.users()).refresh();
  if (options.user !== undefined) await requireKnownUser(ls, options.user);
  await scanIntegration(sc, users, await ls.integration());
  await scanAuthn(sc, users, await ls.authn());

  const seen = new Set<string>();
  const findings = sc.findings
    .filter((f) => {
      const key = `${f.area}\0${f.kind}\0${f.path}\0${f.detail}`;
      return seen.has(key) ? false : (seen.add(key), true);
    })
    .sort(compareFindings);
  const summary: DoctorSummary = { total: findings.length, fixed: 0, unfixed: 0, leftForPerson: 0, fixable: 0, byUser: dict() };
  for (const f of findings) {
    const u = (summary.byUser[f.user ?? '-'] ??= { total: 0, fixed: 0, unfixed: 0 });
    u.total++;
    if (f.fixed) {
      summary.fixed++;
      u.fixed++;
    } else {
      summary.unfixed++;
      u.unfixed++;
      if (f.fixable) summary.fixable++;
      else summary.leftForPerson++;
    }
  }
  const leftForPerson = findings.filter((f) => !f.fixed && !f.fixable);
  const dryRun = options.fix === true && options.dryRun === true;
  return { fix: sc.fix, dryRun, user: options.user ?? null, ok: summary.unfixed === 0, findings, summary, leftForPerson };
}
