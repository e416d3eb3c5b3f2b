/**
 * The on-disk layout of integration links (integration-links.md §1): paths, modes and the
 * directory specs that `ensureDirs` applies. Callers validate names before building paths.
 */
import type { DirSpec } from '../io/dirs.js';

export const INTEGRATION_DIR = '/var/cpanel/integration';
export const LINKS_DIR = `${INTEGRATION_DIR}/links`;
export const DYNAMICUI_DIR = `${INTEGRATION_DIR}/dynamicui`;
export const FRONTEND_DIR = '/usr/local/cpanel/base/frontend';

export const BASE_DIR_MODE = 0o751;
export const USER_DIR_MODE = 0o750;
export const USERCONFIG_MODE = 0o644;
export const ADMINCONFIG_MODE = 0o600;
export const DYNAMICUI_MODE = 0o644;

export const GROUP_PREFIX = 'group_';
export const USERCONFIG_SUFFIX = '.userconfig';
export const ADMINCONFIG_SUFFIX = '.adminconfig';
export const DYNAMICUI_PREFIX = 'dynamicui_';
export const DYNAMICUI_SUFFIX = '.conf';

export const userLinksDir = (user: string): string => `${LINKS_DIR}/${user}`;
export const userDynamicUiDir = (user: string): string => `${DYNAMICUI_DIR}/${user}`;
export const userconfigPath = (user: string, app: string): string => `${LINKS_DIR}/${user}/${app}${USERCONFIG_SUFFIX}`;
export const adminconfigPath = (user: string, app: string): string => `${LINKS_DIR}/${user}/${app}${ADMINCONFIG_SUFFIX}`;
export const dynamicUiPath = (user: string, app: string): string => `${DYNAMICUI_DIR}/${user}/${DYNAMICUI_PREFIX}${app}${DYNAMICUI_SUFFIX}`;
export const groupUserconfigPath = (user: string, groupId: string): string => userconfigPath(user, GROUP_PREFIX + groupId);
export const groupDynamicUiPath = (user: string, groupId: string): string => dynamicUiPath(user, GROUP_PREFIX + groupId);
export const themeConfigPath = (theme: string): string => `${FRONTEND_DIR}/${theme}/config.json`;
/** The data path whose SafeFile lock (`links/USER.lock`) serializes a user's writers. */
export const userLockDataPath = userLinksDir;

/** The directories a create needs, parents first, with cPanel's modes and owners. */
export function userDirSpecs(user: string, gid: number): DirSpec[] {
  return [
    { path: INTEGRATION_DIR, mode: BASE_DIR_MODE, uid: 0, gid: 0 },
    { path: LINKS_DIR, mode: BASE_DIR_MODE, uid: 0, gid: 0 },
    { path: DYNAMICUI_DIR, mode: BASE_DIR_MODE, uid: 0, gid: 0 },
    { path: userLinksDir(user), mode: USER_DIR_MODE, uid: 0, gid },
    { path: userDynamicUiDir(user), mode: USER_DIR_MODE, uid: 0, gid },
  ];
}

/** Perl truthiness of an optional string: undefined, "" and "0" are false. */
export function truthy(v: string | undefined): v is string {
  return v !== undefined && v !== '' && v !== '0';
}
