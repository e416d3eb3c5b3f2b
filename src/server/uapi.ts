/**
 * UAPI's ExternalAuthentication module over HTTP: the call runs as the user of the
 * `Authorization: cpanel USER:TOKEN` header, as cPanel runs it for a logged-in session
 * (authn-links.md §9), and answers the facade's `callUapi` envelope's flat `result`.
 *
 * - `username` (get_authn_links, add_authn_link, remove_authn_link) defaults to that user. A
 *   cPanel user may name one of their own mail accounts (`local@domain` on a domain they own,
 *   from /etc/userdomains); any other account is cPanel's access error. A mail user (Webmail) is
 *   always themselves, whatever `username` says. root may name any account.
 * - For a mail user the service is Webmail's: `appname` (configured_modules,
 *   has_external_auth_modules_configured) defaults to webmaild, and add_authn_link's `service`
 *   is webmaild whatever is sent, as cPanel forces it in Webmail.
 */
import { LinkstoreError } from '../io/errors.js';
import type { Linkstore } from '../services.js';
import { userLookup } from '../users/index.js';
import { uapiFail, type UapiEnvelope } from '../whm/envelope.js';
import { callUapi, whmFunction } from '../whm/index.js';

export const UAPI_MODULE = 'ExternalAuthentication';

type Result = UapiEnvelope['result'];

const accessDenied = (user: string, account: string) =>
  new LinkstoreError('E_INVALID_PARAM', `The user “${user}” does not have access to the account “${account}”.`, { param: 'username' });

/** The account a UAPI call acts on, or cPanel's access error. */
async function actingAccount(ls: Linkstore, user: string, requested: string | undefined): Promise<string | LinkstoreError> {
  if (requested === undefined || requested === user || user.includes('@')) return user;
  if (user === 'root') return requested;
  const at = requested.lastIndexOf('@');
  if (at > 0) {
    const owner = await userLookup(await ls.users()).domainOwner(requested.slice(at + 1));
    if (owner === user) return requested;
  }
  return accessDenied(user, requested);
}

const takes = (fn: string, param: string): boolean => whmFunction(fn)?.params.some((p) => p.name === param) === true;

/** The answer of `/execute/MODULE/FUNCTION` for `user` (the credentials' user). */
export async function answerUapi(ls: Linkstore, module: string, fn: string, user: string, params: Record<string, string>): Promise<Result> {
  if (module !== UAPI_MODULE) return uapiFail(module, fn, new LinkstoreError('E_UNKNOWN_FUNCTION', `Failed to load module “${module}”.`)).result;
  if (whmFunction(fn)?.api !== 'uapi') {
    return uapiFail(module, fn, new LinkstoreError('E_UNKNOWN_FUNCTION', `Could not find function “${fn}” in module “${module}”.`)).result;
  }
  // Request keys are data: a null-prototype copy keeps `__proto__` an ordinary parameter name.
  const call = Object.assign(Object.create(null) as Record<string, string>, params);
  if (takes(fn, 'username')) {
    const account = await actingAccount(ls, user, call.username);
    if (account instanceof LinkstoreError) return uapiFail(module, fn, account).result;
    call.username = account;
  }
  if (user.includes('@')) {
    if (takes(fn, 'appname') && call.appname === undefined) call.appname = 'webmaild';
    if (takes(fn, 'service')) call.service = 'webmaild';
  }
  return (await callUapi(ls, fn, call)).result;
}
