/**
 * Paths, modes and fixed lists of External Authentication (authn-links.md §1–§2, §6).
 * Every path here is a cPanel absolute path; the Disk maps it under its root.
 */
import { posix as path } from 'node:path';
import type { DirSpec } from '../io/dirs.js';

export const PROTOCOL = 'openid_connect';
export const SERVICES = ['cpaneld', 'webmaild', 'whostmgrd'] as const;
export type Service = (typeof SERVICES)[number];

/** `__VERSION` of per-user DBs (Cpanel::Security::Authn::User::Modify). */
export const USER_DB_VERSION = '1.0';
/** `version` of LinkDB entries (Cpanel::Security::Authn::Config). */
export const LINKDB_VERSION = '1.1';
/** Longest user_info key or value (§7.1 step 5). */
export const MAX_USER_INFO_LENGTH = 1024;

export const MODE = {
  dir: 0o711,
  loginDir: 0o700,
  userDb: 0o640,
  linkDb: 0o600,
  serviceFile: 0o644,
  clientConfig: 0o600,
  displayConfig: 0o644,
} as const;

export const AUTHN_DIR = '/var/cpanel/authn';
export const LINKS_DIR = `${AUTHN_DIR}/links`;
export const USERS_DIR = `${LINKS_DIR}/users`;
export const OIDC_LINKS_DIR = `${LINKS_DIR}/openid_connect`;
export const LOGIN_DIR = `${OIDC_LINKS_DIR}/login`;
export const SERVICE_DIR = `${AUTHN_DIR}/openid_connect`;
export const CLIENT_CONFIG_BASE = `${AUTHN_DIR}/client_config`;
export const CLIENT_CONFIG_DIR = `${CLIENT_CONFIG_BASE}/openid_connect`;

/** Where provider modules live; a `*.pm` file adds an available provider (§6). */
export const PROVIDER_MODULE_DIRS = ['/usr/local/cpanel/Cpanel/Security/Authn/Provider', '/var/cpanel/perl/Cpanel/Security/Authn/Provider'];
export const PROVIDER_PACKAGE_PREFIX = 'Cpanel::Security::Authn::Provider::';

/** The shipped providers: id → module name (the package is PREFIX + module name). */
export const SHIPPED_PROVIDERS: Readonly<Record<string, string>> = {
  cpanelid: 'cPanelID',
  google: 'Google',
  facebook: 'Facebook',
  amazon: 'Amazon',
  paypal: 'PayPal',
  whmcs: 'WHMCS',
  slack: 'Slack',
};

/** SSL ports of the services, in the order cPanel lists redirect URIs (cpaneld, whostmgrd, webmaild). */
export const REDIRECT_PORTS: ReadonlyArray<readonly [Service, number]> = [
  ['cpaneld', 2083],
  ['whostmgrd', 2087],
  ['webmaild', 2096],
];

const root = 0;

/** Directories above every per-user DB, parents first. */
export function userDirSpecs(sysuser: string): DirSpec[] {
  return [
    { path: AUTHN_DIR, mode: MODE.dir, uid: root, gid: root },
    { path: LINKS_DIR, mode: MODE.dir, uid: root, gid: root },
    { path: USERS_DIR, mode: MODE.dir, uid: root, gid: root },
    { path: userDir(sysuser), mode: MODE.dir, uid: root, gid: root },
  ];
}

/** Directories above every LinkDB, parents first. */
export function loginDirSpecs(): DirSpec[] {
  return [
    { path: AUTHN_DIR, mode: MODE.dir, uid: root, gid: root },
    { path: LINKS_DIR, mode: MODE.dir, uid: root, gid: root },
    { path: OIDC_LINKS_DIR, mode: MODE.loginDir, uid: root, gid: root },
    { path: LOGIN_DIR, mode: MODE.loginDir, uid: root, gid: root },
  ];
}

export function serviceDirSpecs(): DirSpec[] {
  return [
    { path: AUTHN_DIR, mode: MODE.dir, uid: root, gid: root },
    { path: SERVICE_DIR, mode: MODE.dir, uid: root, gid: root },
  ];
}

export function clientConfigDirSpecs(): DirSpec[] {
  return [
    { path: AUTHN_DIR, mode: MODE.dir, uid: root, gid: root },
    { path: CLIENT_CONFIG_BASE, mode: MODE.dir, uid: root, gid: root },
    { path: CLIENT_CONFIG_DIR, mode: MODE.dir, uid: root, gid: root },
  ];
}

export function userDir(sysuser: string): string {
  return path.join(USERS_DIR, sysuser);
}

export function userDbPath(sysuser: string, linkuser: string): string {
  return path.join(USERS_DIR, sysuser, `${linkuser}.db`);
}

export function linkDbPath(provider: string): string {
  return path.join(LOGIN_DIR, `${provider}.db`);
}

export function serviceFilePath(service: Service): string {
  return path.join(SERVICE_DIR, service);
}

export function clientConfigPath(provider: string): string {
  return path.join(CLIENT_CONFIG_DIR, provider);
}

export function displayConfigPath(provider: string, service: Service): string {
  return path.join(CLIENT_CONFIG_DIR, `.${provider}.${service}.display_configurations`);
}

export function wellKnownPath(provider: string): string {
  return path.join(CLIENT_CONFIG_DIR, `.${provider}.well_known_config`);
}

/** §5.4: cPanel's listing rule for link users in `users/<sysuser>/` (≥ 4 characters, ends in `.db`). */
export function linkUserFromEntry(name: string): string | undefined {
  return name.length >= 4 && name.endsWith('.db') ? name.slice(0, -3) : undefined;
}
