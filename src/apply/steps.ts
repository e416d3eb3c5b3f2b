/**
 * From a desired state and what the server holds now, the WHM calls that would make them match,
 * in dependency order: providers first (an authn link needs its provider enabled), then each
 * account's groups, links and authn links, then (with --prune) the removals.
 *
 * Reading goes through the WHM facade's read functions, writing through its mutations, so apply
 * says and does exactly what the API would.
 */
import type { StateAccount, StateProvider } from '../generated/schemas.js';
import { LinkstoreError, type ErrorCode } from '../io/errors.js';
import type { Linkstore } from '../services.js';
import { callWhm } from '../whm/index.js';
import type { LinkstoreState } from './state.js';
import { keyPath } from './state.js';

const SERVICES = ['cpaneld', 'webmaild', 'whostmgrd'] as const;

export interface Step {
  /** The WHM function that makes the change. */
  fn: string;
  params: Record<string, string>;
  /** Where in the state file the step comes from (for messages and the report). */
  key: string;
  /** Compare by record instead of by file (authn links: a new link_time rewrites the DB). */
  alreadyDone?: () => Promise<boolean>;
}

/** A facade call's data, or the failure as a LinkstoreError (with cPanel's reason). */
export async function whmData(ls: Linkstore, fn: string, params: Record<string, string>, dryRun = false): Promise<unknown> {
  const env = await callWhm(ls, fn, params, { dryRun });
  if (env.metadata.result === 1) return env.data;
  const code = env.metadata.error_code;
  throw new LinkstoreError(code === undefined || code === 'E_INTERNAL' ? 'E_IO' : (code as ErrorCode), env.metadata.reason);
}

interface AvailableProvider {
  id: string;
  [service: string]: unknown;
}

function providerSteps(id: string, p: StateProvider, available: AvailableProvider | undefined): Step[] {
  const steps: Step[] = [];
  const key = keyPath(['providers', id]);
  if (p.enabled !== undefined) {
    const wanted = new Set<string>(p.enabled);
    for (const service of SERVICES) {
      const on = available?.[`${service}_enabled`] === 1;
      if (wanted.has(service) && !on)
        steps.push({ fn: 'enable_authentication_provider', params: { service_name: service, provider_id: id }, key: `${key}.enabled` });
      if (!wanted.has(service) && on)
        steps.push({ fn: 'disable_authentication_provider', params: { service_name: service, provider_id: id }, key: `${key}.enabled` });
    }
  }
  if (p.client !== undefined) {
    // The client configuration is one file per provider; the service only selects the form.
    const service = p.enabled?.[0] ?? 'cpaneld';
    steps.push({
      fn: 'set_provider_client_configurations',
      params: { service_name: service, provider_id: id, configurations: JSON.stringify(p.client) },
      key: `${key}.client`,
    });
  }
  for (const service of SERVICES) {
    const display = p.display?.[service];
    if (display === undefined) continue;
    steps.push({
      fn: 'set_provider_display_configurations',
      params: { service_name: service, provider_id: id, configurations: JSON.stringify(display) },
      key: keyPath(['providers', id, 'display', service]),
    });
  }
  return steps;
}

interface CurrentAuthnLink {
  provider_id: string;
  subject_unique_identifier: string;
  preferred_username?: unknown;
}

async function currentAuthnLinks(ls: Linkstore, user: string): Promise<CurrentAuthnLink[]> {
  return ((await whmData(ls, 'get_authn_links', { username: user })) as CurrentAuthnLink[] | undefined) ?? [];
}

async function accountSteps(ls: Linkstore, user: string, a: StateAccount, prune: boolean): Promise<Step[]> {
  const steps: Step[] = [];
  const at = (...k: string[]) => keyPath(['accounts', user, ...k]);
  for (const [group, g] of Object.entries(a.groups ?? {}))
    steps.push({ fn: 'create_integration_group', params: { user, group_id: group, ...g }, key: at('groups', group) });
  for (const [app, l] of Object.entries(a.links ?? {})) steps.push({ fn: 'create_integration_link', params: { user, app, ...l }, key: at('links', app) });
  for (const [i, l] of (a.authn_links ?? []).entries()) {
    steps.push({
      fn: 'link_user_authn_provider',
      params: { username: user, provider_id: l.provider, subject_unique_identifier: l.subject, preferred_username: l.preferred_username },
      key: at('authn_links', String(i)),
      alreadyDone: async () =>
        (await currentAuthnLinks(ls, user)).some(
          (c) => c.provider_id === l.provider && c.subject_unique_identifier === l.subject && c.preferred_username === l.preferred_username,
        ),
    });
  }
  if (prune) steps.push(...(await pruneSteps(ls, user, a)));
  return steps;
}

/** Removals for the sections an account lists (a section left out is not managed). */
async function pruneSteps(ls: Linkstore, user: string, a: StateAccount): Promise<Step[]> {
  const steps: Step[] = [];
  const at = (...k: string[]) => keyPath(['accounts', user, ...k]);
  if (a.links !== undefined) {
    const listed = ((await whmData(ls, 'list_integration_links', { user })) as { links: Array<{ app: string }> }).links;
    for (const { app } of listed) if (!Object.hasOwn(a.links, app)) steps.push({ fn: 'remove_integration_link', params: { user, app }, key: at('links') });
  }
  if (a.groups !== undefined) {
    const listed = ((await whmData(ls, 'list_integration_groups', { user })) as { links: Array<{ group: string }> }).links;
    for (const { group } of listed)
      if (!Object.hasOwn(a.groups, group)) steps.push({ fn: 'remove_integration_group', params: { user, group_id: group }, key: at('groups') });
  }
  if (a.authn_links !== undefined) {
    const wanted = new Set(a.authn_links.map((l) => `${l.provider}\u0000${l.subject}`));
    for (const c of await currentAuthnLinks(ls, user)) {
      if (wanted.has(`${c.provider_id}\u0000${c.subject_unique_identifier}`)) continue;
      steps.push({
        fn: 'unlink_user_authn_provider',
        params: { username: user, provider_id: c.provider_id, subject_unique_identifier: c.subject_unique_identifier },
        key: at('authn_links'),
      });
    }
  }
  return steps;
}

/**
 * Every step, after checking what the state names exists: unknown providers and accounts are
 * invalid state (E_INVALID_STATE naming the key), found before anything is written.
 */
export async function planSteps(ls: Linkstore, state: LinkstoreState, options: { prune: boolean; file: string }): Promise<Step[]> {
  const steps: Step[] = [];
  const providers = Object.entries(state.providers ?? {});
  if (providers.length) {
    const available = ((await whmData(ls, 'get_available_authentication_providers', {})) as { providers: AvailableProvider[] }).providers;
    const byId = new Map(available.map((p) => [p.id, p]));
    for (const [id, p] of providers) {
      if (!byId.has(id)) throw invalidKey(options.file, keyPath(['providers', id]), `the provider “${id}” is not installed on this server.`);
      steps.push(...providerSteps(id, p, byId.get(id)));
    }
  }
  for (const [user, a] of Object.entries(state.accounts ?? {})) {
    const flags = (await whmData(ls, 'validate_system_user', { user })) as { exists: number };
    if (flags.exists !== 1) throw invalidKey(options.file, keyPath(['accounts', user]), `this server has no account named “${user}”.`);
    steps.push(...(await accountSteps(ls, user, a, options.prune)));
  }
  return steps;
}

function invalidKey(file: string, key: string, message: string): LinkstoreError {
  return new LinkstoreError('E_INVALID_STATE', `The state file “${file}” is not valid: “${key}”: ${message}`, { param: key });
}
