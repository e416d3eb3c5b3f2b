/**
 * `IntegrationStore`: the public face of the integration module. Each method is one cPanel
 * operation on `/var/cpanel/integration` (integration-links.md), byte-compatible with cPanel and
 * with the improvements the spec lists (validation before any directory, exact modes, per-user
 * locking, all-or-nothing multi-file commits with rollback to the previous content, fsync).
 *
 * Limitation: cPanel's own integration writers take no lock, so the per-user lock excludes only
 * writers that use this library.
 */
import type { Disk } from '../io/disk.js';
import type { DotLockOptions } from '../io/dot-lock.js';
import type { IntegrationAdminConfig, IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import type { UserLookup } from '../users/lookup.js';
import { createLinks, type BatchLinkItem, type BatchOptions, type BatchResult } from './batch.js';
import type { Ctx } from './core.js';
import * as life from './lifecycle.js';
import * as ops from './links.js';
import type { MutationOptions, MutationResult, UpdateTokenOptions } from './links.js';
import type { GroupParams, LinkParams } from './validate.js';

export interface IntegrationStoreOptions {
  disk: Disk;
  users: UserLookup;
  /** Per-user lock options (timeout, poll, critical-section bound); the disk's defaults otherwise. */
  lock?: Omit<DotLockOptions, 'dataMode'>;
  /** How long a theme's config.json sizes are reused before re-reading (default 1000 ms; 0 = always read). */
  themeTtlMs?: number;
  /**
   * SHA-256 (hex) of the base64 text of cPanel's built-in DynamicUI image, by which the DynamicUI
   * check recognises it as "the default" (default: 11.120's, integration-links.md §3.6). For a
   * cPanel build with another default image, or a test standing in for it.
   */
  cpanelDefaultImageSha256?: readonly string[];
}

export class IntegrationStore {
  readonly #ctx: Ctx;

  constructor(options: IntegrationStoreOptions) {
    this.#ctx = {
      disk: options.disk,
      users: options.users,
      lock: { ...options.lock },
      themes: new Map(),
      themeTtlMs: options.themeTtlMs,
      cpanelDefaultImageSha256: options.cpanelDefaultImageSha256,
    };
  }

  /** create_integration_link: create or fully replace APP (userconfig, adminconfig, DynamicUI). */
  createLink(user: string, app: string, params: LinkParams, opts?: MutationOptions): Promise<MutationResult> {
    return ops.createLink(this.#ctx, user, app, params, opts);
  }

  /** Many create_integration_link calls with one lock per user and one fsync per directory. */
  createLinks(items: readonly BatchLinkItem[], opts?: BatchOptions): Promise<BatchResult> {
    return createLinks(this.#ctx, items, opts);
  }

  /** remove_integration_link: idempotent. */
  removeLink(user: string, app: string, opts?: MutationOptions): Promise<MutationResult> {
    return ops.removeLink(this.#ctx, user, app, opts);
  }

  /** list_integration_links: app names, sorted bytewise. */
  listLinks(user: string): Promise<string[]> {
    return ops.listLinks(this.#ctx, user);
  }

  /** get_integration_link_user_config. */
  getLinkUserConfig(user: string, app: string): Promise<IntegrationUserConfig> {
    return ops.getLinkUserConfig(this.#ctx, user, app);
  }

  /** The parsed `APP.adminconfig`. */
  getAdminConfig(user: string, app: string): Promise<IntegrationAdminConfig> {
    return ops.getAdminConfig(this.#ctx, user, app);
  }

  /** The link's token (null when it has none), for autologin daemons. */
  async readToken(user: string, app: string): Promise<string | null> {
    return (await ops.getAdminConfig(this.#ctx, user, app)).token;
  }

  /** update_integration_link_token: E_NO_SUCH_LINK unless the link exists (or `allowOrphan`). */
  updateLinkToken(user: string, app: string, token: string, opts?: UpdateTokenOptions): Promise<MutationResult> {
    return ops.updateLinkToken(this.#ctx, user, app, token, opts);
  }

  /** create_integration_group: create or replace a group. */
  createGroup(user: string, groupId: string, params: GroupParams, opts?: MutationOptions): Promise<MutationResult> {
    return ops.createGroup(this.#ctx, user, groupId, params, opts);
  }

  /** list_integration_groups: group ids, sorted bytewise. */
  listGroups(user: string): Promise<string[]> {
    return ops.listGroups(this.#ctx, user);
  }

  /** The parsed `group_GROUPID.userconfig`. */
  getGroupUserConfig(user: string, groupId: string): Promise<IntegrationGroupUserConfig> {
    return ops.getGroupUserConfig(this.#ctx, user, groupId);
  }

  /** remove_integration_group: idempotent. */
  removeGroup(user: string, groupId: string, opts?: MutationOptions): Promise<MutationResult> {
    return ops.removeGroup(this.#ctx, user, groupId, opts);
  }

  /** Account removal: both per-user trees and the user's lock file. */
  purgeUser(user: string, opts?: MutationOptions): Promise<MutationResult> {
    return life.purgeUser(this.#ctx, user, opts);
  }

  /** The files of `links/USER`, as pkgacct archives them. */
  exportUser(user: string): Promise<life.IntegrationArchive> {
    return life.exportUser(this.#ctx, user);
  }

  /** Read an extracted archive directory (`<work>/integration/links`, cPanel path) for `restoreUser`. */
  loadArchiveDir(dir: string): Promise<life.IntegrationArchive> {
    return life.loadArchiveDir(this.#ctx, dir);
  }

  /** Restore/transfer: replay the archive through full validation under `newUser`, with warnings. */
  restoreUser(archive: life.IntegrationArchive, newUser: string, opts?: MutationOptions): Promise<life.RestoreResult> {
    return life.restoreUser(this.#ctx, archive, newUser, opts);
  }

  /** Account rename: move both trees, re-own them, rebuild DynamicUI with the new theme. */
  renameUser(oldUser: string, newUser: string, opts?: life.RenameUserOptions): Promise<MutationResult> {
    return life.renameUser(this.#ctx, oldUser, newUser, opts);
  }

  /** The DynamicUI bytes a link (`APP`) or group (`group_ID`) should have now. */
  expectedDynamicUi(user: string, name: string): Promise<{ path: string; content: Buffer; kind: 'link' | 'group' }> {
    return life.expectedDynamicUi(this.#ctx, user, name);
  }

  /** Missing, stale and orphan DynamicUI files of a user (read-only; for doctor). */
  checkDynamicUi(user: string): Promise<life.DynamicUiReport> {
    return life.checkDynamicUi(this.#ctx, user);
  }

  /** Rewrite missing or stale DynamicUI files of a user. */
  rebuildDynamicUi(user: string, opts?: MutationOptions): Promise<MutationResult> {
    return life.rebuildDynamicUi(this.#ctx, user, opts);
  }
}
