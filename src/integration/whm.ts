/**
 * WHM API 1 shapes of the integration functions' `data` (integration-links.md §5.2), so a thin
 * facade can wrap the store: names in, envelopes out.
 */

/** list_integration_links: `{"links":[{"app":…}]}`. */
export function linksData(apps: readonly string[]): { links: { app: string }[] } {
  return { links: apps.map((app) => ({ app })) };
}

/** list_integration_groups: `{"links":[{"group":…}]}` (the key is `links`, as in cPanel). */
export function groupsData(groups: readonly string[]): { links: { group: string }[] } {
  return { links: groups.map((group) => ({ group })) };
}

/** get_integration_link_user_config: `{"userconfig":{…}}`. */
export function userConfigData<T>(userconfig: T): { userconfig: T } {
  return { userconfig };
}
