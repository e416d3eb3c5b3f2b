/** The README must not drift from the code: every error code and every WHM function is documented. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/io/errors.js';
import { WHM_FUNCTIONS } from '../src/whm/functions.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every error code', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(readme).toContain(`| \`${code}\` |`);
  });
  it('lists every WHM function in the CLI table', () => {
    for (const fn of WHM_FUNCTIONS) expect(readme).toMatch(new RegExp(`\\| \`${fn.name}\`( \\(UAPI\\))? \\|`));
  });
  it('documents every value the package exports, and the package exports nothing else', async () => {
    const names = Object.keys(await import('../src/index.js')).sort();
    const section = readme.slice(readme.indexOf('### What the package exports'), readme.indexOf('### ES modules and CommonJS'));
    const documented = [...section.matchAll(/`([A-Za-z_]+)(?:\(|`)/g)].map((m) => m[1] as string);
    expect(names.filter((n) => !documented.includes(n))).toEqual([]);
    expect(names).toEqual([
      'ARCHIVE_LIMITS',
      'ERROR_CODES',
      'LinkstoreError',
      'callUapi',
      'callUapiGetAuthnLinks',
      'callWhm',
      'changeAccountDomain',
      'doctor',
      'exportAccountArchive',
      'exportRecords',
      'importRecords',
      'isLinkstoreError',
      'loadAccountArchive',
      'openLinkstore',
      'purgeAccount',
      'rebuildLinkDbs',
      'renameAccount',
      'renderDoctorTable',
      'restoreAccountArchive',
      'runtimeStats',
    ]);
  });
  it('documents every public store method in the typed API table, and only methods that exist', async () => {
    const [{ IntegrationStore }, { AuthnStore }, { Users }] = await Promise.all([
      import('../src/integration/store.js'),
      import('../src/authn/store.js'),
      import('../src/users/index.js'),
    ]);
    const stores = new Map<string, { prototype: object }>([
      ['integration', IntegrationStore],
      ['authn', AuthnStore],
      ['users', Users],
    ]);
    const section = readme.slice(readme.indexOf('### Typed API: one convention'), readme.indexOf('### What the package exports'));
    const rows = [...section.matchAll(/^\| `(\w+)\.(\w+)\(/gm)].map((m) => `${m[1]}.${m[2]}`);
    const methods = [...stores].flatMap(([name, cls]) =>
      Object.getOwnPropertyNames(cls.prototype)
        .filter((m) => m !== 'constructor')
        .map((m) => `${name}.${m}`),
    );
    expect(rows.length).toBeGreaterThan(50);
    expect([...rows].sort()).toEqual([...methods].sort());
    const whm = new Set<string>(WHM_FUNCTIONS.map((f) => f.name));
    for (const [, fn] of section.matchAll(/^\| `[^|]+` \| `(\w+)`/gm)) expect(whm.has(fn as string), fn).toBe(true);
  });
  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm test');
  });
});
