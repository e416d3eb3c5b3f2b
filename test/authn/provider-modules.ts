/**
 * Provider module files shaped like cPanel's (verified-against-cpanel.md §5), for tests. The icons
 * are made up here (a tiny SVG naming the test); no provider's artwork is reproduced.
 */
import { seed, type DiskCtx } from '../helpers/disks.js';

export const SHIPPED_DIR = '/usr/local/cpanel/Cpanel/Security/Authn/Provider';
export const CUSTOM_DIR = '/var/cpanel/perl/Cpanel/Security/Authn/Provider';

/** A made-up icon: base64 of a placeholder SVG, as the multi-line heredoc body a module holds. */
export function fakeIconLines(id: string): string {
  const b64 = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><title>test icon ${id}</title></svg>`).toString('base64');
  return (b64.match(/.{1,60}/g) as string[]).join('\n');
}

/** The icon as the display configuration holds it (newlines removed). */
export const fakeIcon = (id: string): string => fakeIconLines(id).replace(/\n/g, '');

const header = (module: string) =>
  `package Cpanel::Security::Authn::Provider::${module};\n\nuse strict;\nuse warnings;\n\nuse parent 'Cpanel::Security::Authn::Provider::OpenIdConnectBase';\n\n`;

/** Shape 1: `my $image = <<TAG;` and `sub _BUTTON_ICON { return $image; }` (Google-like). */
export function variableHeredocModule(module: string, id: string, values: { display: string; color: string; text: string; docs: string }): string {
  return (
    header(module) +
    `my $image = <<EOF;\n${fakeIconLines(id)}\nEOF\n\n` +
    `sub _DISPLAY_NAME          { return '${values.display}'; }\n` +
    `sub _PROVIDER_NAME         { return '${id}'; }\n` +
    `sub _DOCUMENTATION_URL     { return '${values.docs}'; }\n\n` +
    `sub _BUTTON_COLOR      { return '${values.color}'; }\n` +
    `sub _BUTTON_TEXT_COLOR { return "${values.text}" }\n\n` +
    `sub _BUTTON_ICON { $image =~ s/\\n//g; return $image; }\n\n1;\n`
  );
}

/** Shape 2: `sub _BUTTON_ICON { return <<TAG; … TAG }` with a comment before the return (PayPal-like). */
export function subHeredocModule(module: string, id: string, values: { display: string; color: string; text: string; docs: string }): string {
  return (
    header(module) +
    `sub _BUTTON_ICON {\n\n    # made up for the tests\n    return <<SVG;\n${fakeIconLines(id)}\nSVG\n}\n\n` +
    `sub _DISPLAY_NAME      { return '${values.display}'; }\nsub _PROVIDER_NAME     { return '${module}'; }\n` +
    `sub _DOCUMENTATION_URL { return '${values.docs}' }\nsub _BUTTON_COLOR      { return '${values.color}'; }\n` +
    `sub _BUTTON_TEXT_COLOR { return '${values.text}'; }\nsub _BUTTON_ICON_TYPE { return 'image/svg+xml'; }\n\n1;\n`
  );
}

/** Shape 3: `use constant _BUTTON_ICON => <<TAG;` and a `use constant { … }` block (Slack-like). */
export function constantModule(module: string, id: string, values: { display: string; color: string; text: string; docs: string; label?: string }): string {
  return (
    header(module) +
    `use constant {\n    _DISPLAY_NAME      => '${values.display}',\n    _PROVIDER_NAME     => '${module}',\n` +
    `    _DOCUMENTATION_URL => '${values.docs}',\n    _BUTTON_COLOR      => '${values.color}',\n    _BUTTON_TEXT_COLOR => '${values.text}',\n` +
    (values.label ? `    _BUTTON_LABEL      => '${values.label}',\n` : '') +
    `};\n\nuse constant _BUTTON_ICON => <<'SVG';\n${fakeIconLines(id)}\nSVG\n\n1;\n`
  );
}

/** Install shipped-provider module files (made-up icons) under the root. */
export function installShippedModules(ctx: DiskCtx): void {
  seed(
    ctx,
    `${SHIPPED_DIR}/Google.pm`,
    variableHeredocModule('Google', 'google', {
      display: 'Google',
      color: 'dd4b39',
      text: 'FFFFFF',
      docs: 'https://developers.google.com/identity/protocols/OpenIDConnect',
    }),
  );
  seed(
    ctx,
    `${SHIPPED_DIR}/PayPal.pm`,
    subHeredocModule('PayPal', 'paypal', { display: 'PayPal', color: 'ffffff', text: '000000', docs: 'https://go.cpanel.net/paypaldocs' }),
  );
  seed(
    ctx,
    `${SHIPPED_DIR}/Slack.pm`,
    constantModule('Slack', 'slack', { display: 'Slack', color: 'ffffff', text: '000000', docs: 'https://api.slack.com/apps' }),
  );
}
