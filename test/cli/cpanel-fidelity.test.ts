/**
 * The `linkstore` binary on the tree cPanel leaves (test/fixtures/cpanel-tree): cPanel's exact
 * reasons (verified-against-cpanel.md §4), restored `link_time` strings (§1), the mail-directory
 * rule (§3) and the functions of authn-links.md §8–§9, through the real CLI.
 */
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Disk } from '../../src/io/disk.js';
import { isRoot, type DiskCtx } from '../helpers/disks.js';
import { seedCpanelTree } from '../doctor/cpanel-tree.js';
import { linkstore } from './commands-helpers.js';

/** Each test spawns the binary several times, one after another: room for a busy machine. */
const SPAWNS = 120_000;

describe('linkstore CLI on a cPanel-written tree', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'linkstore-cli-cpanel-'));
    const disk = new Disk({ root, owners: isRoot });
    seedCpanelTree({ kind: 'tmpdir', disk, fs: nodeFs, root, make: () => disk } as DiskCtx);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** The envelope of one call (JSON output) and the exit status. */
  const call = (...args: string[]) => {
    const r = linkstore(root, ['--output=json', ...args]);
    return { status: r.status, env: JSON.parse(r.stdout) as { data?: unknown; metadata: { reason: string; result: number } } };
  };
  const link = ['link_user_authn_provider', 'provider_id=google', 'subject_unique_identifier=9'];

  it(
    'gives cPanel’s reasons, word for word',
    () => {
      const cases: Array<[string[], string]> = [
        [[...link, 'preferred_username=x'], 'Provide the “username” parameter for the “Whostmgr::API::1::Accounts::link_user_authn_provider” function.'],
        [[...link, 'username=nosuch', 'preferred_username=x'], 'You do not have a user named “nosuch”.'],
        [[...link, 'username=ghost@bob.example', 'preferred_username=x'], 'You do not have a user named “ghost@bob.example”.'],
        [[...link, 'username=bob', 'preferred_username=a\nb'], 'This value may not contain a line feed.'],
        [
          [...link, 'username=bob', `preferred_username=${'x'.repeat(256)}`],
          `The “${'x'.repeat(256)}” value exceeds the maximum length by 1 byte. The maximum allowed length is 255 bytes.`,
        ],
        [
          ['get_provider_configuration_fields', 'service_name=ftpd', 'provider_id=google'],
          'Currently, only “cpaneld”, “webmaild”, and “whostmgrd” can use External Authentication.',
        ],
        [['configured_modules', 'appname=cpanel'], 'The “appname” argument must be set to “webmaild”.'],
        [
          ['add_authn_link', 'username=bob', 'provider_id=nosuch', 'subject_unique_identifier=1', 'preferred_username=b'],
          'The requested provider “nosuch” is not valid.',
        ],
      ];
      for (const [args, reason] of cases) {
        const r = call(...args);
        expect([r.status, r.env.metadata.result, r.env.metadata.reason], args.join(' ')).toEqual([1, 0, reason]);
      }
    },
    SPAWNS,
  );

  it(
    'links a mail directory without a passwd line, and answers restored link_time strings as found',
    () => {
      expect(call(...link, 'username=dironly@bob.example', 'preferred_username=d').status).toBe(0);
      const links = call('get_authn_links', 'username=bob').env.data as Array<{ subject_unique_identifier: string; link_time: unknown }>;
      expect(links.map((l) => [l.subject_unique_identifier, l.link_time])).toEqual([
        ['123456789012345678901', 1796115300],
        ['1098', '1796115188'],
      ]);
    },
    SPAWNS,
  );

  it(
    'runs the functions of §8–§9',
    () => {
      expect(call('get_provider_configuration_fields', 'service_name=cpaneld', 'provider_id=google').env.data).toEqual({
        configuration_fields: [
          { field_id: 'client_id', label: 'Client ID', description: 'The ID of the Client', value: 'made-up-id', display_order: 0 },
          { field_id: 'client_secret', label: 'Client Secret', description: 'The Secret of the Client', value: 'made-up-secret', display_order: 1 },
        ],
      });
      expect(call('has_external_auth_modules_configured').env.data).toBe(1);
      // google is enabled and configured; cpanelid is enabled but not configured.
      expect((call('configured_modules').env.data as Array<{ provider_id: string }>).map((m) => m.provider_id)).toEqual(['google']);
      const add = ['add_authn_link', 'username=dironly@bob.example', 'provider_id=google', 'subject_unique_identifier=88', 'preferred_username=d'];
      expect(call(...add, 'service=webmaild').status).toBe(0);
      expect(call('remove_authn_link', 'username=dironly@bob.example', 'provider_id=google', 'subject_unique_identifier=88').status).toBe(0);
      expect(call(...add, 'service=whostmgrd').env.metadata.reason).toBe('The service “whostmgrd” is not valid.');
    },
    SPAWNS,
  );
});
