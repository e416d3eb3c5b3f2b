/**
 * `linkstore serve`: WHM API 1 (and UAPI's ExternalAuthentication module) over HTTP, on any
 * Linkstore — a real tree for a staging server or memfs for tests. Node's own `http`: the
 * server has three routes and one content type, which a framework would not make simpler.
 * TLS is left to a proxy in front of it (README: “Serving over TLS”).
 */
import { createServer, type Server } from 'node:http';
import type { Linkstore } from '../services.js';
import { newToken } from './auth.js';
import { createHandler } from './handler.js';

export { MAX_BODY_BYTES } from './body.js';
export { readOrCreateToken } from './token-file.js';
export { newToken, MIN_TOKEN_LENGTH } from './auth.js';

export interface ServeOptions {
  linkstore: Linkstore;
  /** The API token (default: a new random one). */
  token?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  maxBodyBytes?: number;
}

export interface RunningServer {
  /** Base URL such as `http://127.0.0.1:40123`. */
  url: string;
  token: string;
  /** Stop accepting connections, finish the requests in flight, then resolve. */
  close(): Promise<void>;
  server: Server;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function startServer(options: ServeOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const host = options.host ?? '127.0.0.1';
  // Idle keep-alive connections are kept longer than clients keep theirs (undici: 4 s, proxies
  // up to 60 s), so a client never reuses a socket the server is closing at that moment;
  // shutdown closes idle connections at once whatever this is.
  const server = createServer({ keepAliveTimeout: 65_000 }, createHandler({ linkstore: options.linkstore, token, maxBodyBytes: options.maxBodyBytes }));
  let closing: Promise<void> | undefined;
  // Keep-alive connections without a request in flight would hold close() open: close them now,
  // and each one that finishes its request in flight as soon as its response is sent.
  server.on('request', (_req, res) => {
    res.on('finish', () => {
      if (closing !== undefined) setImmediate(() => server.closeIdleConnections());
    });
  });
  const close = (): Promise<void> =>
    (closing ??= new Promise((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeIdleConnections();
    }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
      resolve({ url: `http://${urlHost(host)}:${port}`, token, close, server });
    });
  });
}
