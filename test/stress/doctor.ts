/**
 * Run the library's doctor (src/doctor) when it is present: `--fix` with no grace period (every
 * writer is dead by then), then a plain scan that must come back clean. Without doctor, the
 * LinkDB is rebuilt from the per-user DBs (the only repair a crash can need there) and undefined
 * is returned so the caller skips the doctor-specific checks.
 */
import type { Linkstore } from '../../src/services.js';

interface Report {
  ok: boolean;
  findings: unknown[];
  summary: unknown;
}

export async function runDoctor(ls: Linkstore): Promise<{ first: Report; second: Report } | undefined> {
  const modPath = '../../src/doctor/index.js';
  let mod: { doctor: (ls: Linkstore, o: { fix?: boolean; graceMs?: number }) => Promise<Report> } | undefined;
  try {
    mod = (await import(/* @vite-ignore */ modPath)) as typeof mod;
  } catch {
    mod = undefined;
  }
  if (mod === undefined || typeof mod.doctor !== 'function') {
    await (await ls.authn()).rebuildLinkDb('google');
    return undefined;
  }
  const first = await mod.doctor(ls, { fix: true, graceMs: 0 });
  const second = await mod.doctor(ls, { graceMs: 0 });
  return { first, second };
}
