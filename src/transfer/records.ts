/**
 * The NDJSON records of `linkstore export` / `import`: one JSON object per line. Each kind has a
 * schema in `schemas/transfer-*.schema.json` (import checks every line against it). Records carry
 * exactly what the stores need to recreate the files byte for byte: provider enables, client
 * configurations (secrets included), custom display configurations, integration groups and
 * links (userconfig and token), and authn links with their full user_info (`link_time` included).
 */
import type { IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import type { Service, UserInfoInput } from '../authn/index.js';
import type { SchemaId } from '../generated/schemas.js';

export interface AuthnProviderRecord {
  type: 'authn_provider';
  service: Service;
  provider: string;
}

export interface AuthnClientConfigRecord {
  type: 'authn_client_config';
  provider: string;
  /** The stored object: client_id, client_secret, redirect_uris, provider extras. */
  config: Record<string, unknown>;
}

export interface AuthnDisplayConfigRecord {
  type: 'authn_display_config';
  service: Service;
  provider: string;
  config: Record<string, string>;
}

export interface IntegrationLinkRecord {
  type: 'integration_link';
  user: string;
  app: string;
  userconfig: IntegrationUserConfig;
  token: string | null;
}

export interface IntegrationGroupRecord {
  type: 'integration_group';
  user: string;
  group_id: string;
  userconfig: IntegrationGroupUserConfig;
}

export interface AuthnLinkRecord {
  type: 'authn_link';
  /** The link user: a system user, `root`, or `local@domain`. */
  user: string;
  /** The system user whose directory holds the link (informational on import). */
  sysuser: string;
  protocol: string;
  provider: string;
  subject: string;
  user_info: UserInfoInput;
}

export type TransferRecord =
  AuthnProviderRecord | AuthnClientConfigRecord | AuthnDisplayConfigRecord | IntegrationLinkRecord | IntegrationGroupRecord | AuthnLinkRecord;

/** Every record kind, in the order export writes them and import applies them. */
export const RECORD_TYPES = ['authn_provider', 'authn_client_config', 'authn_display_config', 'integration_group', 'integration_link', 'authn_link'] as const;

/** The schema of each record kind. */
export const RECORD_SCHEMAS: Readonly<Record<TransferRecord['type'], SchemaId>> = {
  authn_provider: 'transfer-authn-provider',
  authn_client_config: 'transfer-authn-client-config',
  authn_display_config: 'transfer-authn-display-config',
  integration_group: 'transfer-integration-group',
  integration_link: 'transfer-integration-link',
  authn_link: 'transfer-authn-link',
};
