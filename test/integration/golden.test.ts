/**
 * Golden files: the bytes the library writes for each file kind, compared with hand-written
 * files that follow integration-links.md §2–§3 (keys sorted = JSON::XS pretty+canonical).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, expect, it } from 'vitest';
import { DEFAULT_ICON_BASE64, type IntegrationStore } from '../../src/integration/index.js';
import { describeOnDisks, hostPath } from '../helpers/disks.js';
import { TINY_PNG, makeStore, seedServer } from './setup.js';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/integration/golden');
const golden = (name: string): Buffer => Buffer.from(readFileSync(join(goldenDir, name), 'utf8').replace('<DEFAULT_IMAGE>', DEFAULT_ICON_BASE64), 'utf8');
const goldenRaw = (name: string): Buffer => readFileSync(join(goldenDir, name));

describeOnDisks('integration golden files', (ctx) => {
  let store: IntegrationStore;
  const bytes = (p: string) => ctx.fs.readFileSync(hostPath(ctx, p));
  beforeEach(() => {
    seedServer(ctx);
    store = makeStore(ctx);
  });

  it('APP.userconfig and APP.adminconfig (§3.1, §3.2)', async () => {
    await store.createLink({
      user: 'alice',
      app: 'WHMCS_billing',
      url: 'https://billing.example.com/cp',
      subscriber_unique_id: '1234',
      order: '5',
      label: 'WHMCS Billing',
      implements: 'billing',
      hide: '0',
      token: 'subway',
    });
    expect(bytes('/var/cpanel/integration/links/alice/WHMCS_billing.userconfig')).toEqual(golden('WHMCS_billing.userconfig'));
    expect(bytes('/var/cpanel/integration/links/alice/WHMCS_billing.adminconfig')).toEqual(golden('WHMCS_billing.adminconfig'));
  });

  it('adminconfig without a token is {"token" : null}', async () => {
    await store.createLink({ user: 'alice', app: 'notoken', url: 'https://x.example/' });
    expect(bytes('/var/cpanel/integration/links/alice/notoken.adminconfig')).toEqual(golden('notoken.adminconfig'));
  });

  it('dynamicui_APP.conf with defaults on jupiter (§3.4 example)', async () => {
    await store.createLink({ user: 'alice', app: 'WHMCS_billing', label: 'WHMCS Billing', implements: 'billing', url: 'https://billing.example.com/cp' });
    expect(bytes('/var/cpanel/integration/dynamicui/alice/dynamicui_WHMCS_billing.conf')).toEqual(golden('dynamicui_WHMCS_billing.conf'));
  });

  it('dynamicui_APP.conf hidden, own image/group/order, theme without config.json (null sizes)', async () => {
    await store.createLink({ user: 'bob', app: 'support', url: 'https://s.example/', hide: '1', base64_png_image: TINY_PNG, group_id: 'whmcs', order: '-6' });
    expect(bytes('/var/cpanel/integration/dynamicui/bob/dynamicui_support.conf')).toEqual(golden('dynamicui_support.conf'));
  });

  it('group files (§3.3, §3.5) and the empty group {}', async () => {
    await store.createGroup({ user: 'alice', group_id: 'whmcs', label: 'WHMCS Control', order: '1' });
    await store.createGroup({ user: 'alice', group_id: 'empty' });
    expect(bytes('/var/cpanel/integration/links/alice/group_whmcs.userconfig')).toEqual(golden('group_whmcs.userconfig'));
    expect(bytes('/var/cpanel/integration/dynamicui/alice/dynamicui_group_whmcs.conf')).toEqual(golden('dynamicui_group_whmcs.conf'));
    expect(bytes('/var/cpanel/integration/links/alice/group_empty.userconfig')).toEqual(golden('group_empty.userconfig'));
  });

  it('string escaping is byte-exact (§2.2 example)', async () => {
    const label = 'a"b\\c/d\te\u0001f\u001fg\u007fh\u00e9i\nj\rk\bl\fm';
    await store.createLink({ user: 'alice', app: 'esc', label, url: 'u' });
    expect(bytes('/var/cpanel/integration/links/alice/esc.userconfig')).toEqual(goldenRaw('escaping.userconfig'));
  });

  it('the default icon is the library’s own 48×48 RGBA PNG, not cPanel’s image', () => {
    const png = Buffer.from(DEFAULT_ICON_BASE64, 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25], png[28]]).toEqual([48, 48, 8, 6, 0]);
    expect(DEFAULT_ICON_BASE64.startsWith('iVBORw0KGgoAAAANSUhEUgAAADAAAAAwCAYAAABX') && DEFAULT_ICON_BASE64.length === 1480).toBe(false);
    const asset = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../assets/default-icon.png'));
    expect(asset).toEqual(png);
  });
});
