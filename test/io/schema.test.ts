import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { schemaById, type SchemaId } from '../../src/generated/schemas.js';
import { assertFileSchema, assertWritable, schemaValidator } from '../../src/io/schema.js';

const valid: Record<SchemaId, unknown> = {
  'integration-userconfig': { url: 'https://x', label: 'L', hide: '1' },
  'integration-adminconfig': { token: null },
  'integration-group-userconfig': { label: 'G', order: '1' },
  'dynamicui-link': [{ file: 'app', itemorder: 5, width: null, height: 48, type: 'image' }],
  'dynamicui-group': [{ file: 'group_g', group: 'g', grouporder: '99999', width: 32, height: 32 }],
  'authn-user-db': { __VERSION: '1.0', openid_connect: { google: { '123': { preferred_username: 'bob', link_time: 1443124604 } } } },
  'authn-linkdb': { subject_unique_identifier: { '1': { bob: { link_time: 1, version: '1.1' } } }, user: { bob: { '1': 1 } } },
  'authn-service': { google: 'Cpanel::Security::Authn::Provider::Google' },
  'authn-client-config': { client_id: 'a', client_secret: 'b', redirect_uris: ['https://h:2083/openid_connect_callback/google'] },
  'authn-display-config': { label: 'Log in via Google', color: 'cccccc' },
  'linkstore-state': { accounts: { bob: { links: { billing: { url: 'https://x', order: '5' } } } } },
};
const invalid: Record<SchemaId, unknown> = {
  'integration-userconfig': { url: ['not', 'a', 'string'] },
  'integration-adminconfig': { token: 5 },
  'integration-group-userconfig': { order: 1 },
  'dynamicui-link': [],
  'dynamicui-group': [{ file: 'group_g' }],
  'authn-user-db': { openid_connect: { google: { '1': { link_time: 'yesterday' } } } },
  'authn-linkdb': { user: { bob: { '1': 'one' } } },
  'authn-service': { google: 1 },
  'authn-client-config': { redirect_uris: 'https://h' },
  'authn-display-config': { color: 7 },
  'linkstore-state': { accounts: { bob: { links: { billing: { order: 5 } } } } },
};

describe('schemas', () => {
  it('has one schema per written file format, each compiling once', () => {
    expect(Object.keys(schemaById).sort()).toEqual(Object.keys(valid).sort());
    for (const id of Object.keys(schemaById) as SchemaId[]) expect(schemaValidator(id)).toBe(schemaValidator(id));
  });
  for (const id of Object.keys(valid) as SchemaId[]) {
    it(`${id}: accepts a valid value and rejects an invalid one with a typed error`, () => {
      expect(() => assertFileSchema(id, valid[id], '/f')).not.toThrow();
      expect(() => assertFileSchema(id, invalid[id], '/f')).toThrow(expect.objectContaining({ code: 'E_CORRUPT_FILE', path: '/f' }));
      expect(() => assertWritable(id, invalid[id], '/f')).toThrow(expect.objectContaining({ code: 'E_SCHEMA' }));
    });
  }
  it('the generated types and schema objects are fresh (npm run gen)', () => {
    expect(() => execFileSync(process.execPath, ['scripts/gen-schemas.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
