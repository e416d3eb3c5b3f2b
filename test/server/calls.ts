/**
 * A call of every WHM API 1 function the facade knows, in an order where each succeeds (or
 * fails the way cPanel does), for the serve suites. Functions added to the table later are
 * called with no parameters, so every function still goes over HTTP.
 */
import { WHM_FUNCTIONS } from '../../src/whm/functions.js';

export interface Call {
  fn: string;
  params: Record<string, string>;
  /** The expected `metadata.result` (undefined: not asserted, for functions added later). */
  result?: 0 | 1;
}

const SCRIPTED: Call[] = [
  { fn: 'create_integration_group', params: { user: 'bob', group_id: 'G', label: 'Group', order: '1' }, result: 1 },
  { fn: 'create_integration_link', params: { user: 'bob', app: 'billing', url: 'https://billing.example/?a=b&c=d', token: 'tok', group_id: 'G' }, result: 1 },
  { fn: 'list_integration_links', params: { user: 'bob' }, result: 1 },
  { fn: 'get_integration_link_user_config', params: { user: 'bob', app: 'billing' }, result: 1 },
  { fn: 'update_integration_link_token', params: { user: 'bob', app: 'billing', token: 'tok2' }, result: 1 },
  { fn: 'list_integration_groups', params: { user: 'bob' }, result: 1 },
  { fn: 'enable_authentication_provider', params: { service_name: 'webmaild', provider_id: 'google' }, result: 1 },
  { fn: 'disable_authentication_provider', params: { service_name: 'whostmgrd', provider_id: 'google' }, result: 1 },
  {
    fn: 'set_provider_client_configurations',
    params: { service_name: 'cpaneld', provider_id: 'google', configurations: '{"client_id":"id.example","client_secret":"s3cr3t"}' },
    result: 1,
  },
  { fn: 'get_provider_client_configurations', params: { service_name: 'cpaneld', provider_id: 'google' }, result: 1 },
  { fn: 'set_provider_display_configurations', params: { service_name: 'cpaneld', provider_id: 'google', configurations: '{"color":"336699"}' }, result: 1 },
  { fn: 'get_provider_display_configurations', params: { provider_id: 'google' }, result: 1 },
  { fn: 'get_available_authentication_providers', params: {}, result: 1 },
  {
    fn: 'link_user_authn_provider',
    params: { username: 'bob', provider_id: 'google', subject_unique_identifier: '109876543210', preferred_username: 'bob@gmail.com' },
    result: 1,
  },
  { fn: 'get_users_authn_linked_accounts', params: {}, result: 1 },
  { fn: 'get_authn_links', params: { username: 'bob' }, result: 1 },
  { fn: 'unlink_user_authn_provider', params: { username: 'bob', provider_id: 'google', subject_unique_identifier: '109876543210' }, result: 1 },
  { fn: 'disable_failing_authentication_providers', params: {}, result: 1 },
  { fn: 'validate_system_user', params: { user: 'bob' }, result: 1 },
  { fn: 'verify_new_username', params: { user: 'newbie' }, result: 1 },
  { fn: 'verify_new_username_for_restore', params: { user: 'bob' }, result: 0 },
  { fn: 'remove_integration_link', params: { user: 'bob', app: 'billing' }, result: 1 },
  { fn: 'remove_integration_group', params: { user: 'bob', group_id: 'G' }, result: 1 },
  { fn: 'list_integration_links', params: { user: 'ghost' }, result: 0 },
];

export function everyFunctionCalls(): Call[] {
  const scripted = new Set(SCRIPTED.map((c) => c.fn));
  return [...SCRIPTED, ...WHM_FUNCTIONS.filter((f) => !scripted.has(f.name)).map((f) => ({ fn: f.name, params: {} }))];
}

export const MUTATES = new Set<string>(WHM_FUNCTIONS.filter((f) => f.mutates).map((f) => f.name));
