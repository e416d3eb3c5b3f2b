/**
 * Whether a user name given to a per-user command (doctor, export, archive export) names anything:
 * a system user, or files in one of the per-user trees (a removed account's leftovers). A name
 * that names nothing is a typo, not an empty answer.
 */
import { USERS_DIR as AUTHN_USERS_DIR } from '../authn/constants.js';
import { DYNAMICUI_DIR, LINKS_DIR } from '../integration/paths.js';
import { LinkstoreError } from '../io/errors.js';
import type { Linkstore } from '../services.js';
import { userLookup } from '../users/index.js';

const USER_DIRS = [LINKS_DIR, DYNAMICUI_DIR, AUTHN_USERS_DIR];

/** E_NO_SUCH_USER unless `user` is a system user or has a directory in a per-user tree. */
export async function requireKnownUser(ls: Linkstore, user: string, param = 'user'): Promise<void> {
  if ((await userLookup(await ls.users()).passwdEntry(user)) !== undefined) return;
  for (const dir of USER_DIRS) if ((await ls.disk.statPath(`${dir}/${user}`)) !== undefined) return;
  throw new LinkstoreError('E_NO_SUCH_USER', `You do not have a user named “${user}”, and no integration or authn files exist for it.`, { param });
}
