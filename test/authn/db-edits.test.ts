/**
 * The pure edits of the per-user DB (authn-links.md §3.2): copy-on-write, so the DB they were
 * given (and that a transaction may still compare against) never changes.
 */
import { expect, it } from 'vitest';
import { withLink, withoutLink } from '../../src/authn/db.js';
import type { AuthnUserDb } from '../../src/generated/schemas.js';

const db = (): AuthnUserDb => ({
  __VERSION: '0.9',
  openid_connect: { google: { s1: { link_time: 1, preferred_username: 'a' } }, other: { s9: { link_time: 9 } } },
  saml: { idp: { x: { link_time: 2 } } },
});

it('withLink adds or overwrites one subject, sets __VERSION and leaves its input untouched', () => {
  const input = db();
  const before = JSON.stringify(input);
  const out = withLink(input, 'openid_connect', 'google', 's2', { link_time: 3 });
  expect(JSON.stringify(input)).toBe(before);
  expect(out).toEqual({
    __VERSION: '1.0',
    openid_connect: { google: { s1: { link_time: 1, preferred_username: 'a' }, s2: { link_time: 3 } }, other: { s9: { link_time: 9 } } },
    saml: { idp: { x: { link_time: 2 } } },
  });
  expect(withLink({}, 'openid_connect', 'google', 's', { link_time: 4 })).toEqual({ __VERSION: '1.0', openid_connect: { google: { s: { link_time: 4 } } } });
});

it('withoutLink prunes empty maps and leaves its input untouched', () => {
  const input = db();
  const before = JSON.stringify(input);
  expect(withoutLink(input, 'openid_connect', 'other', 's9')).toEqual({
    __VERSION: '0.9',
    openid_connect: { google: { s1: { link_time: 1, preferred_username: 'a' } } },
    saml: { idp: { x: { link_time: 2 } } },
  });
  expect(withoutLink(withoutLink(input, 'saml', 'idp', 'x') as AuthnUserDb, 'openid_connect', 'missing', 's')).toBeUndefined();
  expect(withoutLink(input, 'saml', 'idp', 'x')).not.toHaveProperty('saml');
  expect(JSON.stringify(input)).toBe(before);
});
