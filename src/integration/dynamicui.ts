/**
 * DynamicUI entries (integration-links.md §3.4, §3.5): what cPanel's UI loader reads for a link or
 * a group, derived from the request with cPanel's defaults and Perl-truthiness override rule.
 * The icon sizes come from the user's theme `config.json` (null without one).
 */
import type { Disk } from '../io/disk.js';
import { decodeStrict, isPlainObject, type JsonValue } from '../io/json-codec.js';
import type { DynamicUiGroupEntry, DynamicUiLinkEntry, IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import { DEFAULT_ICON_BASE64 } from './default-icon.js';
import { themeConfigPath, truthy } from './paths.js';
import { langName } from './validate.js';

export interface IconSize {
  width: number | null;
  height: number | null;
}

/** `icon.feature` (links) and `icon.group` (groups) of a theme. */
export interface ThemeIcons {
  feature: IconSize;
  group: IconSize;
}

export const DEFAULT_GROUP = 'preferences';
export const DEFAULT_ORDER = '99999';
const NO_SIZE: IconSize = { width: null, height: null };

function dimension(v: JsonValue | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return Number(v);
  return null;
}

function iconSize(icon: JsonValue | undefined, key: string): IconSize {
  if (!isPlainObject(icon)) return NO_SIZE;
  const s = icon[key];
  if (!isPlainObject(s)) return NO_SIZE;
  return { width: dimension(s.width), height: dimension(s.height) };
}

/** Read `/usr/local/cpanel/base/frontend/THEME/config.json`; null sizes when it is absent. */
export async function readThemeIcons(disk: Disk, theme: string): Promise<ThemeIcons> {
  const p = themeConfigPath(theme);
  const bytes = await disk.readFile(p);
  if (bytes === undefined) return { feature: NO_SIZE, group: NO_SIZE };
  const cfg = decodeStrict(bytes, disk.host(p));
  const icon = isPlainObject(cfg) ? cfg.icon : undefined;
  return { feature: iconSize(icon, 'feature'), group: iconSize(icon, 'group') };
}

/** The DynamicUI link entry for APP as `add_link` builds it from the caller's values. */
export function linkEntry(app: string, c: IntegrationUserConfig, size: IconSize): DynamicUiLinkEntry {
  const name = langName(c.label, app);
  const entry: DynamicUiLinkEntry = {
    type: 'image',
    subtype: 'img',
    imgtype: 'icon',
    width: size.width,
    height: size.height,
    file: app,
    itemdesc: name,
    description: name,
    url: `integration/index.html?app=${encodeURIComponent(app)}`,
    target: '_blank',
    base64_png_image: truthy(c.base64_png_image) ? c.base64_png_image : DEFAULT_ICON_BASE64,
    group: truthy(c.group_id) ? c.group_id : DEFAULT_GROUP,
    itemorder: truthy(c.order) ? c.order : DEFAULT_ORDER,
    implements: truthy(c.implements) ? c.implements : app,
  };
  if (truthy(c.hide)) entry.if = '0';
  return entry;
}

/** The DynamicUI group entry for GROUPID as `add_group` builds it. */
export function groupEntry(groupId: string, c: IntegrationGroupUserConfig, size: IconSize): DynamicUiGroupEntry {
  const name = langName(c.label, groupId);
  return {
    type: 'image',
    subtype: 'img',
    imgtype: 'icon',
    width: size.width,
    height: size.height,
    groupdesc: name,
    description: name,
    file: `group_${groupId}`,
    group: groupId,
    grouporder: truthy(c.order) ? c.order : DEFAULT_ORDER,
  };
}
