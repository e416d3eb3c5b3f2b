/**
 * The package as a consumer gets it: `npm pack`, then the tarball installed into temporary ESM,
 * CommonJS and TypeScript projects, each run with Node. Offline and robust: the projects are
 * seeded with the production dependencies already in this checkout's node_modules (npm keeps
 * installed packages that satisfy the ranges), so `npm install --offline` needs no registry.
 * `npm pack` runs with --ignore-scripts: dist/ was just built by the global setup, and rebuilding
 * it in place (prepack) would pull it from under the other suites running at the same time.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const top = join(dirname(fileURLToPath(import.meta.url)), '../..');
const npmCli = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm'];
const lock = JSON.parse(readFileSync(join(top, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; version?: string; dependencies?: Record<string, string> }>;
};
const pkg = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8')) as { scripts: Record<string, string>; files: string[] };

let work = '';
let tarball = '';
let files: string[] = [];

function sh(cmd: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd[0] as string, cmd.slice(1), {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Copy one production dependency of this checkout into a project. */
function seedModule(project: string, name: string): void {
  cpSync(join(top, 'node_modules', name), join(project, 'node_modules', name), { recursive: true, dereference: true });
}

/** A package and what it depends on, as hoisted in this checkout (nested copies come with their parent). */
function withDependencies(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name) || lock.packages[`node_modules/${name}`] === undefined) return seen;
  seen.add(name);
  for (const dep of Object.keys(lock.packages[`node_modules/${name}`]?.dependencies ?? {})) withDependencies(dep, seen);
  return seen;
}

/** A temporary project with `package.json` fields, the package installed from the tarball. */
function project(name: string, fields: Record<string, unknown>): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key.startsWith('node_modules/') && entry.dev !== true) seedModule(dir, key.slice('node_modules/'.length));
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, ...fields }));
  const r = sh([...npmCli, 'install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball], dir);
  expect(r.status, r.stderr).toBe(0);
  return dir;
}

const CHECK = `
  const env = await callWhm(openLinkstore({ root: process.argv[2] }), 'validate_system_user', { user: 'root' });
  let code = '';
  try { openLinkstore({ root: 'relative' }); } catch (e) { code = e instanceof LinkstoreError ? 'LinkstoreError' : String(e); }
  console.log(JSON.stringify({ result: env.metadata.result, data: env.data, testing: typeof createTestServer, code }));
`;
const EXPECTED = { result: 1, data: { exists: 1, reserved: 1, valid_for_new: 1, valid_for_transfer: 1 }, testing: 'function', code: 'LinkstoreError' };
const fixtureRoot = join(top, 'test/fixtures/users');

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'linkstore-pack-'));
  const r = sh([...npmCli, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], top);
  expect(r.status, r.stderr).toBe(0);
  const info = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, (info[0] as { filename: string }).filename);
  files = (info[0] as { files: Array<{ path: string }> }).files.map((f) => f.path);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships a LICENSE, declaration maps with their sources, no JavaScript source maps, and builds in prepack', () => {
    expect(files).toContain('LICENSE');
    expect(readFileSync(join(top, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(files.filter((f) => f.endsWith('.js.map'))).toEqual([]);
    const declMaps = files.filter((f) => f.endsWith('.d.ts.map'));
    expect(declMaps.length).toBeGreaterThan(10);
    for (const m of declMaps) {
      const map = JSON.parse(readFileSync(join(top, m), 'utf8')) as { sources: string[] };
      for (const s of map.sources) expect(files, `${m} → ${s}`).toContain(join(dirname(m), s));
    }
    // No stale output: every shipped module has its source.
    for (const js of files.filter((f) => f.startsWith('dist/src/') && f.endsWith('.js'))) {
      expect(files).toContain(js.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
    }
    // The CLI's bundle, with the manifest of its chunks; nothing of the bundler itself.
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/cli/manifest.json');
    expect(files.filter((f) => f.startsWith('dist/cli/') && !/^dist\/cli\/[\w.-]+\.(js|json)$/.test(f))).toEqual([]);
    // What the README links to ships too: the playbook, its state file, the design notes.
    for (const doc of ['docs/ansible/linkstore-apply.yml', 'docs/ansible/linkstore-state.yaml', 'docs/design.md', 'docs/reliability.md'])
      expect(files).toContain(doc);
    expect(pkg.scripts.prepack).toContain('npm run build');
    expect(pkg.scripts.prepare).toBeUndefined();
  });

  it('runs in an ESM project (import)', () => {
    const dir = project('esm-consumer', { type: 'module' });
    writeFileSync(
      join(dir, 'index.js'),
      `import { openLinkstore, callWhm, LinkstoreError } from 'cpanel-linkstore';\nimport { createTestServer } from 'cpanel-linkstore/testing';\n${CHECK}`,
    );
    const r = sh([process.execPath, 'index.js', fixtureRoot], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
    // The installed binary runs from the bundled CLI the tarball ships (dist/cli).
    const bin = sh([process.execPath, 'node_modules/.bin/linkstore', '--root', fixtureRoot, '--output', 'json', 'validate_system_user', 'user=root'], dir);
    expect(bin.status, bin.stderr).toBe(0);
    expect(JSON.parse(bin.stdout)).toMatchObject({ data: EXPECTED.data, metadata: { result: 1 } });
  }, 120_000);

  it('runs in a CommonJS project (require, through require(esm))', () => {
    const dir = project('cjs-consumer', { type: 'commonjs' });
    writeFileSync(
      join(dir, 'index.js'),
      `const { openLinkstore, callWhm, LinkstoreError } = require('cpanel-linkstore');\nconst { createTestServer } = require('cpanel-linkstore/testing');\n(async () => {${CHECK}})();\n`,
    );
    const r = sh([process.execPath, 'index.js', fixtureRoot], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
  }, 120_000);

  it('a consumer’s test starts a WHM endpoint in one line: createTestServer().listen() from the package', () => {
    const dir = project('listen-consumer', { type: 'module' });
    // memfs is the optional peer the testing entry point needs, as a consumer's dev dependency.
    for (const name of withDependencies('memfs')) seedModule(dir, name);
    writeFileSync(
      join(dir, 'index.js'),
      `import { createTestServer } from 'cpanel-linkstore/testing';\n` +
        `const server = await createTestServer({ users: ['bob'] });\n` +
        `const { url, token, close } = await server.listen();\n` +
        `const res = await fetch(url + '/json-api/validate_system_user?api.version=1&user=bob', { headers: { authorization: 'whm root:' + token } });\n` +
        `const denied = await fetch(url + '/json-api/validate_system_user?api.version=1&user=bob');\n` +
        `console.log(JSON.stringify({ url, status: res.status, body: await res.json(), denied: denied.status }));\n` +
        `await close();\n`,
    );
    const r = sh([process.execPath, 'index.js'], dir);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { url: string; status: number; body: unknown; denied: number };
    expect(out.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toMatchObject({ status: 200, denied: 401, body: { data: { exists: 1 }, metadata: { result: 1 } } });
  }, 120_000);

  it('type-checks, builds and runs in a TypeScript project', () => {
    // The compiler and Node's types are tools, not part of the install: used from this checkout.
    const dir = project('ts-consumer', { type: 'module' });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'out',
          types: ['node'],
          typeRoots: [join(top, 'node_modules/@types')],
        },
      }),
    );
    writeFileSync(
      join(dir, 'index.ts'),
      `import { openLinkstore, callWhm, LinkstoreError, type WhmEnvelope } from 'cpanel-linkstore';\nimport { createTestServer } from 'cpanel-linkstore/testing';\n` +
        `const typed: (e: WhmEnvelope) => 0 | 1 = (e) => e.metadata.result;\nvoid typed;\n${CHECK}`,
    );
    const tsc = sh([process.execPath, join(top, 'node_modules/typescript/bin/tsc'), '-p', '.'], dir);
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    expect(existsSync(join(dir, 'out/index.js'))).toBe(true);
    const r = sh([process.execPath, 'out/index.js', fixtureRoot], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
  }, 120_000);
});
