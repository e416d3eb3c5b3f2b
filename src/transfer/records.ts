/**
 * The NDJSON records of `linkstore export` / `import`: one JSON object per line, one link each.
 * Records carry exactly what the stores need to recreate the files byte for byte (the
 * userconfig and token of a link; the full user_info, `link_time` included, of an authn link).
 */
import type { IntegrationGroupUserConfig, IntegrationUserConfig } from '../generated/schemas.js';
import type { UserInfoInput } from '../authn/index.js';

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

export type TransferRecord = IntegrationLinkRecord | IntegrationGroupRecord | AuthnLinkRecord;

export const RECORD_TYPES = ['integration_group', 'integration_link', 'authn_link'] as const;
