/**
 * The request handler: WHM API 1 at `/json-api/FUNCTION` (also under `/cpsessNNN/`), UAPI's
 * ExternalAuthentication module at `/execute/ExternalAuthentication/FUNCTION`. Parameters come
 * from the query string and, for POST, a form-urlencoded body. Answers are the facade's
 * envelopes, byte for byte what `linkstore --output json` prints; a result-0 envelope is HTTP
 * 200, as WHM answers it. HTTP errors are for transport and authentication only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LinkstoreError } from '../io/errors.js';
import type { Linkstore } from '../services.js';
import { uapiFail, whmFail, type WhmEnvelope } from '../whm/envelope.js';
import { callWhm } from '../whm/index.js';
import { parseAuthorization, tokensEqual, type Credentials } from './auth.js';
import { readBody } from './body.js';
import { parseForm } from './form.js';
import { answerUapi, UAPI_MODULE } from './uapi.js';

export interface HandlerOptions {
  linkstore: Linkstore;
  token: string;
  /** Largest accepted request body in bytes. */
  maxBodyBytes?: number;
}

const WHM_PATH = /^\/(?:cpsess\d+\/)?json-api\/([^/]+)\/?$/;
const UAPI_PATH = /^\/(?:cpsess\d+\/)?execute\/([^/]+)\/([^/]+)\/?$/;

type Route = { api: 'whm'; fn: string } | { api: 'uapi'; module: string; fn: string };

function route(pathname: string): Route | undefined {
  try {
    return matchRoute(pathname);
  } catch {
    return undefined; // malformed percent-encoding: no such API
  }
}

function matchRoute(pathname: string): Route | undefined {
  const whm = WHM_PATH.exec(pathname);
  if (whm) return { api: 'whm', fn: decodeURIComponent(whm[1] as string) };
  const uapi = UAPI_PATH.exec(pathname);
  if (uapi) return { api: 'uapi', module: decodeURIComponent(uapi[1] as string), fn: decodeURIComponent(uapi[2] as string) };
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function httpError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: message }, headers);
}

function isFormBody(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded';
}

/**
 * Flat parameters from form texts (the query, a POST body), refusing a key given twice (WHM API 1
 * functions here take single values) and bytes that are not UTF-8.
 */
function collectParams(sources: readonly string[]): { params: Record<string, string> } | { duplicate: string } | { notUtf8: string } {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const source of sources) {
    const form = parseForm(source);
    if ('notUtf8' in form) return form;
    for (const [k, v] of form.entries) {
      if (Object.hasOwn(params, k)) return { duplicate: k };
      params[k] = v;
    }
  }
  return { params: { ...params } };
}

async function answerWhm(ls: Linkstore, fn: string, params: Record<string, string>): Promise<WhmEnvelope> {
  const version = params['api.version'];
  delete params['api.version'];
  if (version !== undefined && version !== '1') {
    return whmFail(fn, new LinkstoreError('E_INVALID_PARAM', 'This server answers WHM API 1 only: pass api.version=1.', { param: 'api.version' }));
  }
  return callWhm(ls, fn, params);
}

/** 401 for missing or wrong credentials, 403 for the right token in the wrong realm. */
function authenticate(req: IncomingMessage, res: ServerResponse, expected: string, api: Route['api']): Credentials | undefined {
  const creds = parseAuthorization(req.headers.authorization);
  if (creds === undefined || !tokensEqual(creds.token, expected)) {
    httpError(res, 401, 'Access denied: send “Authorization: whm root:TOKEN” (WHM API 1) or “Authorization: cpanel USER:TOKEN” (UAPI).', {
      'www-authenticate': api === 'whm' ? 'whm' : 'cpanel',
    });
    return undefined;
  }
  if (api === 'whm' && (creds.scheme !== 'whm' || creds.user !== 'root')) {
    httpError(res, 403, 'WHM API 1 calls authenticate as root: “Authorization: whm root:TOKEN”.');
    return undefined;
  }
  if (api === 'uapi' && creds.scheme !== 'cpanel') {
    httpError(res, 403, 'UAPI calls authenticate as the cPanel user: “Authorization: cpanel USER:TOKEN”.');
    return undefined;
  }
  return creds;
}

export function createHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { linkstore: ls, token } = options;
  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      // The facade answers every failure in an envelope; anything else is a server bug.
      if (!res.headersSent) httpError(res, 500, `Internal error: ${e instanceof Error ? e.message : String(e)}`);
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const r = route(url.pathname);
    if (r === undefined) return httpError(res, 404, `No API at “${url.pathname}”: use /json-api/FUNCTION or /execute/${UAPI_MODULE}/FUNCTION.`);
    if (req.method !== 'GET' && req.method !== 'POST') return httpError(res, 405, 'Use GET or POST.', { allow: 'GET, POST' });
    const creds = authenticate(req, res, token, r.api);
    if (creds === undefined) {
      req.resume(); // drain the unread body so the connection can be reused
      return;
    }
    // The raw query, not url.searchParams: that decodes bytes that are not UTF-8 to U+FFFD.
    const rawUrl = req.url ?? '';
    const query = rawUrl.includes('?') ? (rawUrl.slice(rawUrl.indexOf('?') + 1).split('#')[0] as string) : '';
    const sources = [query];
    if (req.method === 'POST') {
      const body = await readBody(req, options.maxBodyBytes);
      if (!body.ok) {
        const message = body.status === 413 ? 'The request body is too large.' : 'The request body could not be read.';
        return httpError(res, body.status, message, { connection: 'close' });
      }
      if (body.body.length > 0) {
        if (!isFormBody(req)) return httpError(res, 415, 'POST bodies must be application/x-www-form-urlencoded.');
        sources.push(body.body.toString('latin1'));
      }
    }
    const collected = collectParams(sources);
    if ('duplicate' in collected || 'notUtf8' in collected) {
      const error =
        'duplicate' in collected
          ? new LinkstoreError('E_INVALID_PARAM', `The parameter “${collected.duplicate}” is given twice.`, { param: collected.duplicate })
          : new LinkstoreError('E_INVALID_PARAM', `The value of the parameter “${collected.notUtf8}” is not valid UTF-8; pass text in UTF-8.`, {
              param: collected.notUtf8,
            });
      return send(res, 200, r.api === 'whm' ? whmFail(r.fn, error) : uapiFail(r.module, r.fn, error).result);
    }
    const answer = r.api === 'whm' ? await answerWhm(ls, r.fn, collected.params) : await answerUapi(ls, r.module, r.fn, creds.user, collected.params);
    send(res, 200, answer);
  }
}
