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
import { afterWellFormed } from '../io/param-text.js';
import type { DotLockOptions } from '../io/dot-lock.js';
import type { IntegrationAdminConfig, IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import type { UserLookup } from '../users/lookup.js';
import { createLinks, type BatchLinkItem, type BatchOptions, type BatchResult } from './batch.js';
import type { Ctx } from './core.js';
import * as life from './lifecycle.js';
import * as ops from './links.js';
import type { MutationOptions, MutationResult, UpdateTokenOptions } from './links.js';
import type { GroupParams, LinkParams } from './validate.js';

/** The target of a per-user call. */
export interface UserTarget {
  user: string;
}
/** One link of a user. */
export interface LinkTarget extends UserTarget {
  app: string;
}
/** One group of a user (`group_id`, as WHM names it). */
export interface GroupTarget extends UserTarget {
  group_id: string;
}
/** create_integration_link's parameters, as WHM takes them: the target and the link's keys. */
export type CreateLinkParams = LinkTarget & LinkParams;
/** create_integration_group's parameters. */
export type CreateGroupParams = GroupTarget & GroupParams;
export interface SetLinkTokenParams extends LinkTarget {
  token: string;
}
export interface RestoreUserParams extends UserTarget {
  /** What `exportUser` returned (or an archive read from a pkgacct tree); restored under `user`. */
  archive: life.IntegrationArchive;
}
export interface RenameUserParams extends UserTarget {
  newUser: string;
}

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

// Set by the class's static block: the one way to reach a store's private context.
let contextOf: (store: IntegrationStore) => Ctx;

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
  createLink(params: CreateLinkParams, options?: MutationOptions): Promise<MutationResult> {
    const { user, app, ...data } = params;
    return ops.createLink(this.#ctx, user, app, data, options);
  }

  /** Many create_integration_link calls (each item as `createLink` takes it) with one lock per user and one fsync per directory. */
  // `params?: never`: an item of the old batch shape ({ user, app, params }) held in a variable
  // would otherwise pass, since only object literals get excess-property checks.
  createLinks(links: readonly (CreateLinkParams & { params?: never })[], options?: BatchOptions): Promise<BatchResult> {
    return createLinks(this.#ctx, links.map(batchItem), options);
  }

  /** remove_integration_link: idempotent. */
  removeLink(params: LinkTarget, options?: MutationOptions): Promise<MutationResult> {
    return ops.removeLink(this.#ctx, params.user, params.app, options);
  }

  /** list_integration_links: app names, sorted bytewise. */
  listLinks(params: UserTarget): Promise<string[]> {
    return ops.listLinks(this.#ctx, params.user);
  }

  /** get_integration_link_user_config: E_NO_SUCH_LINK when APP has no userconfig. */
  getLinkUserConfig(params: LinkTarget): Promise<IntegrationUserConfig> {
    return ops.getLinkUserConfig(this.#ctx, params.user, params.app);
  }

  /** The parsed `APP.adminconfig`: E_NO_SUCH_LINK when it is missing. */
  getLinkAdminConfig(params: LinkTarget): Promise<IntegrationAdminConfig> {
    return ops.getAdminConfig(this.#ctx, params.user, params.app);
  }

  /** The link's token (null when it has none), for autologin daemons: E_NO_SUCH_LINK as `getLinkAdminConfig`. */
  async getLinkToken(params: LinkTarget): Promise<string | null> {
    return (await ops.getAdminConfig(this.#ctx, params.user, params.app)).token;
  }

  /** update_integration_link_token: E_NO_SUCH_LINK unless the link exists (or `allowOrphan`). */
  setLinkToken(params: SetLinkTokenParams, options?: UpdateTokenOptions): Promise<MutationResult> {
    return ops.updateLinkToken(this.#ctx, params.user, params.app, params.token, options);
  }

  /** create_integration_group: create or replace a group. */
  createGroup(params: CreateGroupParams, options?: MutationOptions): Promise<MutationResult> {
    const { user, group_id, ...data } = params;
    return ops.createGroup(this.#ctx, user, group_id, data, options);
  }

  /** list_integration_groups: group ids, sorted bytewise. */
  listGroups(params: UserTarget): Promise<string[]> {
    return ops.listGroups(this.#ctx, params.user);
  }

  /** The parsed `group_GROUPID.userconfig`: E_NO_SUCH_GROUP when it is missing. */
  getGroupUserConfig(params: GroupTarget): Promise<IntegrationGroupUserConfig> {
    return ops.getGroupUserConfig(this.#ctx, params.user, params.group_id);
  }

  /** remove_integration_group: idempotent. */
  removeGroup(params: GroupTarget, options?: MutationOptions): Promise<MutationResult> {
    return ops.removeGroup(this.#ctx, params.user, params.group_id, options);
  }

  /** Account removal: both per-user trees and the user's lock file. */
  purgeUser(params: UserTarget, options?: MutationOptions): Promise<MutationResult> {
    return afterWellFormed({ user: params.user }, () => life.purgeUser(this.#ctx, params.user, options));
  }

  /** The files of `links/USER`, as pkgacct archives them. */
  exportUser(params: UserTarget): Promise<life.IntegrationArchive> {
    return afterWellFormed({ user: params.user }, () => life.exportUser(this.#ctx, params.user));
  }

  /** Restore/transfer: replay `archive` through full validation under `user`, with warnings. */
  restoreUser(params: RestoreUserParams, options?: MutationOptions): Promise<life.RestoreResult> {
    return afterWellFormed({ user: params.user }, () => life.restoreUser(this.#ctx, params.archive, params.user, options));
  }

  /** Account rename: move both trees from `user` to `newUser`, re-own them, rebuild DynamicUI with the new theme. */
  renameUser(params: RenameUserParams, options?: life.RenameUserOptions): Promise<MutationResult> {
    return afterWellFormed({ user: params.user, newUser: params.newUser }, () => life.renameUser(this.#ctx, params.user, params.newUser, options));
  }

  /** Missing, stale and orphan DynamicUI files of a user (read-only; for doctor). */
  checkDynamicUi(params: UserTarget): Promise<life.DynamicUiReport> {
    return afterWellFormed({ user: params.user }, () => life.checkDynamicUi(this.#ctx, params.user));
  }

  /** Rewrite missing or stale DynamicUI files of a user. */
  rebuildDynamicUi(params: UserTarget, options?: MutationOptions): Promise<MutationResult> {
    return afterWellFormed({ user: params.user }, () => life.rebuildDynamicUi(this.#ctx, params.user, options));
  }

  static {
    contextOf = (store) => store.#ctx;
  }
}

/** The store's context, for the package's own modules (archive, transfer, tests) that call the domain functions directly. */
export function integrationContext(store: IntegrationStore): Ctx {
  return contextOf(store);
}

function batchItem({ user, app, ...params }: CreateLinkParams): BatchLinkItem {
  return { user, app, params };
}
