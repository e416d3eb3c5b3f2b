/**
 * `cpanel-linkstore/testing`: a ready server on memfs for our users' tests (and ours).
 *
 *   const server = await createTestServer({ users: ['bob'], providers: ['google'] });
 *   await (await server.linkstore.integration()).createLink({ user: 'bob', app: 'billing', url: 'https://x' });
 *   expect(server.readJson('/var/cpanel/integration/links/bob/billing.userconfig')).toEqual({ url: 'https://x' });
 *
 * It seeds /etc/passwd, /etc/group, /var/cpanel/users/<name> (theme jupiter), /etc/userdomains,
 * email accounts (mail directory and passwd line), the jupiter theme's config.json (icons 48×48 / 32×32) and the enabled providers,
 * then hands back a Linkstore on that volume plus helpers to read what was written.
 * Requires the optional peer dependency memfs.
 */
import { createRequire } from 'node:module';
import { posix as path } from 'node:path';
import { SHIPPED_PROVIDERS } from '../authn/index.js';
import { dict, own } from '../io/dict.js';
import { Disk } from '../io/disk.js';
import { Linkstore, type LinkstoreOptions } from '../services.js';
import { callWhm, type CallOptions, type WhmEnvelope } from '../whm/index.js';

export interface TestUser {
  name: string;
  uid?: number;
  gid?: number;
  /** Primary domain (default `<name>.example`). */
  domain?: string;
  /** Theme (default `jupiter`). */
  theme?: string;
  /** Email accounts `local@domain` (domain must be one of the user's). */
  emails?: string[];
  /** Extra domains owned by the user. */
  domains?: string[];
}

export interface TestProvider {
  id: string;
  /** Services it is enabled for (default all three). */
  services?: Array<'cpaneld' | 'webmaild' | 'whostmgrd'>;
  /** Module name for a non-shipped provider (a .pm file is created for it). */
  module?: string;
}

export interface TestServerOptions {
  users?: Array<string | TestUser>;
  providers?: Array<string | TestProvider>;
  /** Extra files: cPanel path → content. */
  files?: Record<string, string | Uint8Array>;
  /** Passed to the Linkstore (clock, hostname, users options, lock timeouts...). */
  linkstore?: Omit<LinkstoreOptions, 'fs' | 'root' | 'disk'>;
  /** Theme config.json; `null` for no config (DynamicUI width/height become null). */
  themeConfig?: object | null;
}

export interface TestServer {
  linkstore: Linkstore;
  disk: Disk;
  /** The memfs fs object (Node fs-shaped). */
  fs: MemFs;
  /** Call a WHM API 1 function on this server. */
  whm(name: string, params?: Record<string, string>, options?: CallOptions): Promise<WhmEnvelope>;
  /** File content as UTF-8, or undefined. */
  read(cpanelPath: string): string | undefined;
  /** Parsed JSON content, or undefined when missing. */
  readJson(cpanelPath: string): unknown;
  /** Mode bits (e.g. 0o600), or undefined. */
  mode(cpanelPath: string): number | undefined;
  /** `uid:gid`, or undefined. Owners are only set when the test runs as root (see `createMemfs`). */
  owner(cpanelPath: string): string | undefined;
  /** Names in a directory, sorted ([] when missing). */
  list(cpanelPath: string): string[];
  /** Every file under a directory: path → content (UTF-8). */
  tree(cpanelPath?: string): Record<string, string>;
  /** Write a file (parents created) — e.g. to plant a cPanel-written file. */
  write(cpanelPath: string, content: string | Uint8Array, mode?: number): void;
  /**
   * Serve this server's WHM API 1 (and UAPI ExternalAuthentication) over HTTP on 127.0.0.1:
   * `const { url, token, close } = await server.listen()`, then
   * `fetch(`${url}/json-api/list_integration_links?api.version=1&user=bob`, { headers: { authorization: `whm root:${token}` } })`.
   */
  listen(options?: ListenOptions): Promise<Listening>;
}

export interface ListenOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default a new random token. */
  token?: string;
}

export interface Listening {
  /** Base URL such as `http://127.0.0.1:40123`. */
  url: string;
  token: string;
  /** Stop the server (requests in flight finish first). */
  close(): Promise<void>;
}

export interface MemFs {
  mkdirSync(p: string, o?: { recursive?: boolean; mode?: number }): unknown;
  writeFileSync(p: string, d: string | Uint8Array, o?: { mode?: number }): void;
  readFileSync(p: string): Buffer;
  readdirSync(p: string): unknown[];
  lstatSync(p: string): { mode: number; uid: number; gid: number; isDirectory(): boolean };
  chmodSync(p: string, m: number): void;
}

const JUPITER = { icon: { feature: { width: 48, height: 48 }, group: { width: 32, height: 32 } } };

interface MemfsModule {
  Volume: new () => unknown;
  createFsFromVolume(v: unknown): unknown;
}

function loadMemfs(): MemfsModule {
  const require = createRequire(import.meta.url);
  try {
    return require('memfs') as never;
  } catch (e) {
    throw new Error('cpanel-linkstore/testing needs the memfs package: npm install --save-dev memfs', { cause: e });
  }
}

/**
 * A fresh memfs fs. memfs checks permissions against the real process uid (it has no notion of a
 * root override), so only a test run as root can hold root-owned 0750 directories; `canChown`
 * says whether the library should set cPanel's owners on it.
 */
export function createMemfs(): { fs: unknown; canChown: boolean } {
  const { Volume, createFsFromVolume } = loadMemfs();
  const canChown = typeof process.getuid !== 'function' || process.getuid() === 0;
  return { fs: createFsFromVolume(new Volume()), canChown };
}

/** A stand-in provider module holding only a made-up button icon (a tiny SVG naming the provider). */
function madeUpModule(module: string, id: string): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><title>test icon ${id}</title></svg>`;
  const b64 = (
    Buffer.from(svg)
      .toString('base64')
      .match(/.{1,60}/g) as string[]
  ).join('\n');
  return `package Cpanel::Security::Authn::Provider::${module};\n\nsub _BUTTON_ICON {\n    return <<SVG;\n${b64}\nSVG\n}\n\n1;\n`;
}

type Put = (p: string, content: string | Uint8Array, mode?: number) => void;

/** Write a file with its directories and an exact mode (memfs applies no umask to chmod). */
function putter(fs: MemFs): Put {
  return (p, content, mode = 0o644) => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content, { mode });
    fs.chmodSync(p, mode);
  };
}

/** The accounts as given (names or objects), with uids, gids, a domain and the jupiter theme filled in. */
function accountsOf(options: TestServerOptions): TestUser[] {
  return (options.users ?? [])
    .map((u) => (typeof u === 'string' ? { name: u } : u))
    .map((u, i) => ({ uid: 1000 + i, gid: 1000 + i, domain: `${u.name}.example`, theme: 'jupiter', ...u }));
}

/** /etc/passwd, /etc/group, cpanel.config. */
function writeSystemFiles(put: Put, users: readonly TestUser[]): void {
  const passwd = ['root:x:0:0:root:/root:/bin/bash', ...users.map((u) => `${u.name}:x:${u.uid}:${u.gid}::/home/${u.name}:/bin/bash`)];
  const group = ['root:x:0:', 'wheel:x:10:', ...users.map((u) => `${u.name}:x:${u.gid}:`)];
  put('/etc/passwd', passwd.join('\n') + '\n');
  put('/etc/group', group.join('\n') + '\n');
  put('/var/cpanel/cpanel.config', 'database_prefix=1\n');
}

/** Each account's cPanel user file and email accounts, and /etc/userdomains. */
function writeAccounts(fs: MemFs, put: Put, users: readonly TestUser[]): void {
  const userdomains: string[] = [];
  for (const u of users) {
    put(`/var/cpanel/users/${u.name}`, `DNS=${u.domain}\nRS=${u.theme}\nUSER=${u.name}\nOWNER=root\n`);
    for (const d of [u.domain as string, ...(u.domains ?? [])]) userdomains.push(`${d}: ${u.name}`);
    writeEmailAccounts(fs, put, u);
  }
  userdomains.push('*: nobody');
  put('/etc/userdomains', userdomains.join('\n') + '\n');
}

function writeEmailAccounts(fs: MemFs, put: Put, u: TestUser): void {
  const byDomain = new Map<string, string[]>();
  for (const email of u.emails ?? []) {
    const [local, domain] = email.split('@') as [string, string];
    byDomain.set(domain, [...(byDomain.get(domain) ?? []), local]);
  }
  for (const [domain, locals] of byDomain) {
    // What cPanel checks (the account's mail directory) and what it also keeps (the passwd line).
    for (const l of locals) fs.mkdirSync(`/home/${u.name}/mail/${domain}/${l}/cur`, { recursive: true });
    put(
      `/home/${u.name}/etc/${domain}/passwd`,
      locals.map((l) => `${l}:x:${u.uid}:${u.gid}::/home/${u.name}/mail/${domain}/${l}:/usr/local/cpanel/bin/noshell`).join('\n') + '\n',
    );
  }
}

function writeThemes(put: Put, users: readonly TestUser[], themeConfig: TestServerOptions['themeConfig']): void {
  if (themeConfig === null) return;
  for (const theme of new Set(['jupiter', ...users.map((u) => u.theme as string)])) {
    put(`/usr/local/cpanel/base/frontend/${theme}/config.json`, JSON.stringify(themeConfig ?? JUPITER));
  }
}

/** Provider modules and the services that enable them. */
function writeProviders(put: Put, providers: TestServerOptions['providers']): void {
  const services: Record<string, Record<string, string>> = { cpaneld: dict(), webmaild: dict(), whostmgrd: dict() };
  for (const p of providers ?? []) {
    const prov = typeof p === 'string' ? { id: p } : p;
    const module = prov.module ?? own(SHIPPED_PROVIDERS, prov.id);
    if (module === undefined) throw new Error(`Unknown provider “${prov.id}”: give its module name.`);
    if (!Object.hasOwn(SHIPPED_PROVIDERS, prov.id))
      put(`/var/cpanel/perl/Cpanel/Security/Authn/Provider/${module}.pm`, `package Cpanel::Security::Authn::Provider::${module};\n1;\n`);
    // A shipped provider's installed module, reduced to a made-up button icon (never the
    // provider's artwork): the display configuration's icon default comes from it.
    else put(`/usr/local/cpanel/Cpanel/Security/Authn/Provider/${module}.pm`, madeUpModule(module, prov.id));
    for (const s of prov.services ?? ['cpaneld', 'webmaild', 'whostmgrd'])
      (services[s] as Record<string, string>)[prov.id] = `Cpanel::Security::Authn::Provider::${module}`;
  }
  if (!providers?.length) return;
  for (const [s, map] of Object.entries(services)) put(`/var/cpanel/authn/openid_connect/${s}`, JSON.stringify(map));
}

/** Read-only looks at the memfs tree: what a test asserts on. */
function inspector(fs: MemFs): Pick<TestServer, 'read' | 'readJson' | 'mode' | 'owner' | 'list' | 'tree'> {
  const stat = (p: string) => {
    try {
      return fs.lstatSync(p);
    } catch {
      return undefined;
    }
  };
  const read = (p: string) => {
    try {
      return fs.readFileSync(p).toString('utf8');
    } catch {
      return undefined;
    }
  };
  const list = (p: string) => {
    try {
      return (fs.readdirSync(p) as string[]).map(String).sort();
    } catch {
      return [];
    }
  };
  const tree = (dir = '/var/cpanel'): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const name of list(dir)) {
      const p = path.join(dir, name);
      if (stat(p)?.isDirectory()) Object.assign(out, tree(p));
      else out[p] = read(p) ?? '';
    }
    return out;
  };
  return {
    read,
    readJson: (p) => {
      const t = read(p);
      return t === undefined ? undefined : (JSON.parse(t) as unknown);
    },
    mode: (p) => {
      const st = stat(p);
      return st === undefined ? undefined : st.mode & 0o7777;
    },
    owner: (p) => {
      const st = stat(p);
      return st === undefined ? undefined : `${st.uid}:${st.gid}`;
    },
    list,
    tree,
  };
}

export async function createTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const mem = createMemfs();
  const fs = mem.fs as MemFs;
  const put = putter(fs);
  const users = accountsOf(options);
  writeSystemFiles(put, users);
  writeAccounts(fs, put, users);
  writeThemes(put, users, options.themeConfig);
  writeProviders(put, options.providers);
  for (const [p, content] of Object.entries(options.files ?? {})) put(p, content);

  const disk = new Disk({ fs, root: '/', owners: mem.canChown, ...('lock' in (options.linkstore ?? {}) ? { lock: options.linkstore?.lock } : {}) });
  const linkstore = new Linkstore({ ...options.linkstore, disk });
  return {
    linkstore,
    disk,
    fs,
    whm: (name, params = {}, o = {}) => callWhm(linkstore, name, params, o),
    ...inspector(fs),
    write: (p, content, mode = 0o644) => put(p, content, mode),
    async listen(o = {}) {
      // Loaded on demand: tests that never listen never load node:http.
      const { startServer } = await import('../server/index.js');
      const { url, token, close } = await startServer({ linkstore, port: o.port, token: o.token });
      return { url, token, close };
    },
  };
}
