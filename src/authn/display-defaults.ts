/**
 * A provider's default display configuration, as `OpenIdConnectBase::_DISPLAY_CONFIG` builds it
 * (verified-against-cpanel.md §5): the shipped modules' values, overridden by what the installed
 * module file under the root prefix defines, with the base class's values for what it does not.
 * The icon is the provider's artwork: it only ever comes from the installed module file.
 */
import type { AuthnDisplayConfig } from '../generated/schemas.js';
import type { Disk } from '../io/disk.js';
import { LinkstoreError } from '../io/errors.js';
import { PROVIDER_MODULE_DIRS } from './constants.js';
import { type DisplaySub, type ModuleValue, readModuleDisplay } from './provider-module.js';
import type { ProviderModule } from './providers.js';

/** `OpenIdConnectBase`'s own values, for names a module does not override. */
export const BASE_DISPLAY: Readonly<Partial<Record<DisplaySub, string>>> = {
  _BUTTON_COLOR: 'cccccc',
  _BUTTON_TEXT_COLOR: '000000',
  _BUTTON_ICON: '',
  _BUTTON_ICON_TYPE: 'image/svg+xml',
  _DOCUMENTATION_URL: 'http://openid.net/developers/specs/',
};

type ShippedValues = Readonly<Record<'_DISPLAY_NAME' | '_BUTTON_COLOR' | '_BUTTON_TEXT_COLOR' | '_BUTTON_ICON_TYPE' | '_DOCUMENTATION_URL', string>>;

/** The seven shipped modules' values in 11.120 (the icon is not reproduced). */
export const SHIPPED_DISPLAY: Readonly<Record<string, ShippedValues>> = {
  cpanelid: shipped('cPanelID', 'FF6C2C', 'FFFFFF', 'image/svg+xml', 'https://go.cpanel.net/cpanelidmanage'),
  google: shipped('Google', 'dd4b39', 'FFFFFF', 'image/svg+xml', 'https://developers.google.com/identity/protocols/OpenIDConnect'),
  facebook: shipped('Facebook', '3B5998', 'FFFFFF', 'image/svg+xml', 'https://developers.facebook.com/docs/facebook-login/'),
  amazon: shipped('Amazon', '232f3e', 'FFFFFF', 'image/png', 'https://login.amazon.com/documentation'),
  paypal: shipped('PayPal', 'ffffff', '000000', 'image/svg+xml', 'https://go.cpanel.net/paypaldocs'),
  whmcs: shipped('WHMCS', '00455e', 'FFFFFF', 'image/svg+xml', 'http://docs.whmcs.com/WHMCS_OpenID_and_cPanel_Setup_Guide'),
  slack: shipped('Slack', 'ffffff', '000000', 'image/svg+xml', 'https://api.slack.com/apps'),
};

function shipped(name: string, color: string, text: string, iconType: string, docs: string): ShippedValues {
  return { _DISPLAY_NAME: name, _BUTTON_COLOR: color, _BUTTON_TEXT_COLOR: text, _BUTTON_ICON_TYPE: iconType, _DOCUMENTATION_URL: docs };
}

/** Module files are source text of a few kilobytes to a few hundred; anything larger is not one. */
const MAX_MODULE_BYTES = 4 * 1024 * 1024;

/** The installed module file's text (first of the module directories that has it), or undefined. */
export async function readModuleFile(disk: Disk, module: string): Promise<string | undefined> {
  for (const dir of PROVIDER_MODULE_DIRS) {
    const p = `${dir}/${module}.pm`;
    const st = await disk.statPath(p).catch(() => undefined);
    if (st === undefined || !st.isFile()) continue;
    if (st.size > MAX_MODULE_BYTES) {
      throw new LinkstoreError('E_PROVIDER_MODULE', `The provider module “${disk.host(p)}” is larger than ${MAX_MODULE_BYTES} bytes; it is not read.`, {
        path: disk.host(p),
      });
    }
    const bytes = await disk.readFile(p);
    if (bytes !== undefined) return bytes.toString('utf8');
  }
  return undefined;
}

/** The default display configuration, and the keys whose default could not be determined. */
export interface DisplayDefaults {
  config: AuthnDisplayConfig;
  undetermined: string[];
}

/**
 * `_DISPLAY_CONFIG` of `mod` on this server. A shipped module without its file still has the
 * table's values, but not its icon; a value the file defines in a shape the library cannot read
 * is undetermined, unless the shipped table knows it.
 */
export async function displayDefaults(disk: Disk, mod: ProviderModule): Promise<DisplayDefaults> {
  const text = await readModuleFile(disk, mod.module);
  const fromFile = text === undefined ? undefined : readModuleDisplay(text);
  const known = SHIPPED_DISPLAY[mod.id];
  const undetermined: string[] = [];
  const value = (sub: DisplaySub): string | undefined => {
    const v: ModuleValue | undefined = fromFile?.[sub];
    if (v?.kind === 'value') return v.value;
    const table = known?.[sub as keyof ShippedValues];
    if (table !== undefined) return table;
    if (v?.kind === 'inherited' || (v === undefined && known !== undefined && sub !== '_BUTTON_ICON')) return BASE_DISPLAY[sub];
    return undefined;
  };
  const pick = (key: string, sub: DisplaySub): string => {
    const v = value(sub);
    if (v === undefined) undetermined.push(key);
    return v ?? '';
  };
  const displayName = pick('display_name', '_DISPLAY_NAME');
  // `get_provider_name` lower-cases with `tr/A-Z/a-z/`: ASCII letters only.
  const providerName = (value('_PROVIDER_NAME') ?? mod.id).replace(/[A-Z]/g, (c) => c.toLowerCase());
  const label = value('_BUTTON_LABEL') ?? (fromFile?._BUTTON_LABEL.kind === 'undetermined' ? undefined : `Log in via ${displayName}`);
  if (label === undefined) undetermined.push('label');
  const icon = value('_BUTTON_ICON');
  if (icon === undefined) undetermined.push('icon');
  const config: AuthnDisplayConfig = {
    label: label ?? '',
    link: `/openid_connect/${providerName}`,
    color: pick('color', '_BUTTON_COLOR'),
    textcolor: pick('textcolor', '_BUTTON_TEXT_COLOR'),
    // cPanel removes every newline, and leaves the key out when the icon is empty.
    ...(icon ? { icon: icon.replace(/\n/g, '') } : {}),
    icon_type: pick('icon_type', '_BUTTON_ICON_TYPE'),
    display_name: displayName,
    provider_name: providerName,
    documentation_url: pick('documentation_url', '_DOCUMENTATION_URL'),
  };
  return { config, undetermined };
}
