/**
 * Small helpers for the users suites: seed a set of cPanel files and get a `Users` over them,
 * and a manual clock to step the change-check interval deterministically.
 */
import { Users, type UsersOptions } from '../../src/users/index.js';
import { seed, type DiskCtx } from '../helpers/disks.js';

/**
 * passwd and group present but empty. The verify checks treat a *missing* passwd or group as
 * "name taken" (cPanel fails safe), so examples that mean "no entries" must seed empty files.
 */
export const EMPTY_SYSTEM: Readonly<Record<string, string>> = Object.freeze({ '/etc/passwd': '', '/etc/group': '' });

export function seedFiles(ctx: DiskCtx, files: Record<string, string | Uint8Array>): void {
  for (const [p, content] of Object.entries(files)) seed(ctx, p, content);
}

/** A Users over `files` (on top of EMPTY_SYSTEM) that stats on every question unless told otherwise. */
export function usersWith(ctx: DiskCtx, files: Record<string, string | Uint8Array> = {}, options: UsersOptions = {}): Users {
  seedFiles(ctx, { ...EMPTY_SYSTEM, ...files });
  return new Users(ctx.disk, { checkIntervalMs: 0, ...options });
}

export function manualClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** The four flags as the 0/1 tuple T R E N used by the spec's tables. */
export async function tren(users: Users, name: string | Uint8Array): Promise<[number, number, number, number]> {
  const f = await users.validateSystemUser({ user: name });
  return [f.valid_for_transfer, f.reserved, f.exists, f.valid_for_new].map(Number) as [number, number, number, number];
}

/** `'OK'` or the error message of a verify call. */
export async function verdict(p: Promise<void>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
