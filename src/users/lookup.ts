/**
 * What other modules may ask about users. Integration needs a user's gid and theme; authn needs
 * uids/gids, cPanel accounts and domain owners. They depend on this interface, never on the
 * parsers behind it (src/users implements it with cached readers of /etc and /var/cpanel).
 */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface UserLookup {
  /** The /etc/passwd entry for `name` (first match, exact case), or undefined. */
  passwdEntry(name: string): Promise<PasswdEntry | undefined>;
  /** gid of the /etc/group group named `name`, or undefined. */
  groupGid(name: string): Promise<number | undefined>;
  /** Whether `/var/cpanel/users/<name>` is a regular file (a cPanel account). */
  isCpanelAccount(name: string): Promise<boolean>;
  /** All cPanel account names (entries of /var/cpanel/users that are regular files), sorted. */
  cpanelAccounts(): Promise<string[]>;
  /** `KEY=value` lines of `/var/cpanel/users/<name>`, or undefined when it is not an account. */
  cpanelUserFile(name: string): Promise<Record<string, string> | undefined>;
  /** The account's theme (`RS`), or undefined. */
  themeOf(name: string): Promise<string | undefined>;
  /** Owner of `domain` from /etc/userdomains, or undefined. */
  domainOwner(domain: string): Promise<string | undefined>;
  /** Drop every cache now. */
  refresh(): void;
  /**
   * Optional: objects whose identities stay the same while the account list and
   * /etc/userdomains are unchanged (cached readers), so callers can memoise what they derive.
   */
  viewIdentity?(): Promise<readonly unknown[]>;
}
