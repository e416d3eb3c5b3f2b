/**
 * No secret in any message: a marker planted in every 0600 file kind (adminconfig, client config,
 * LinkDB; and the per-user DB) in broken forms never appears in an error message, a WHM reason, the
 * doctor report (table and JSON) or the CLI's output. Parse errors say file, line and column only.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { doctor, renderDoctorTable } from '../../src/doctor/index.js';
import type { Linkstore } from '../../src/services.js';
import { exportRecords } from '../../src/transfer/index.js';
import { callWhm } from '../../src/whm/index.js';
import { describeOnDisks, seed, settle, tmpdirCtx, type DiskCtx } from '../helpers/disks.js';
import { makeLinkstore, seedServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', '..', 'bin', 'linkstore.js');
const MARK = 'QZX7SECRETV9K2';

/** Broken forms of a JSON text whose secret value sits at `"${MARK}"`. */
function brokenForms(good: string): Record<string, string> {
  const q = `"${MARK}"`;
  const at = good.indexOf(q);
  return {
    unquoted: good.replace(q, MARK),
    unclosed: good.replace(q, `"${MARK}`),
    truncated: good.slice(0, at + 1 + MARK.length - 3),
    'bad escape': good.replace(q, `"${MARK.slice(0, 7)}\\q${MARK.slice(7)}"`),
    'bare key': good.replace(q, `"x", ${MARK}: 1`),
    'control char': good.replace(q, `"${MARK.slice(0, 5)}\t${MARK.slice(5)}"`),
  };
}

const FILES: { kind: string; path: string; mode: number; good: string }[] = [
  { kind: 'adminconfig', path: '/var/cpanel/integration/links/bob/existing.adminconfig', mode: 0o600, good: `{\n   "token" : "${MARK}"\n}\n` },
  {
    kind: 'client config',
    path: '/var/cpanel/authn/client_config/openid_connect/google',
    mode: 0o600,
    good: `{"client_id":"cid","client_secret":"${MARK}","redirect_uris":[]}`,
  },
  {
    kind: 'LinkDB',
    path: '/var/cpanel/authn/links/openid_connect/login/google.db',
    mode: 0o600,
    good: `{"subject_unique_identifier":{"sub-existing":{"bob":{"link_time":1,"preferred_username":"${MARK}","version":"1.1"}}},"user":{"bob":{"sub-existing":1}}}`,
  },
  {
    kind: 'per-user DB',
    path: '/var/cpanel/authn/links/users/bob/bob.db',
    mode: 0o640,
    good: `{"__VERSION":"1.0","openid_connect":{"google":{"sub-existing":{"link_time":1,"preferred_username":"${MARK}"}}}}`,
  },
];

/** Every WHM call that reads one of the files. */
const WHM_CALLS: [string, Record<string, string>][] = [
  ['get_integration_link_user_config', { user: 'bob', app: 'existing' }],
  ['update_integration_link_token', { user: 'bob', app: 'existing', token: 'new' }],
  ['create_integration_link', { user: 'bob', app: 'existing', url: 'https://x.example/' }],
  ['remove_integration_link', { user: 'bob', app: 'existing' }],
  ['link_user_authn_provider', { username: 'bob', provider_id: 'google', subject_unique_identifier: 'sub-new', preferred_username: 'bobby' }],
  ['unlink_user_authn_provider', { username: 'bob', provider_id: 'google', subject_unique_identifier: 'sub-existing' }],
  ['get_authn_links', { username: 'bob' }],
  ['get_users_authn_linked_accounts', {}],
  ['get_provider_client_configurations', { service_name: 'cpaneld', provider_id: 'google' }],
  ['set_provider_client_configurations', { service_name: 'cpaneld', provider_id: 'google', configurations: '{"client_id":"a","client_secret":"b"}' }],
  ['get_available_authentication_providers', {}],
];

/** Whether `text` holds the marker or any 6-character piece of it. */
function leaks(text: string): boolean {
  for (let i = 0; i + 6 <= MARK.length; i++) if (text.includes(MARK.slice(i, i + 6))) return true;
  return false;
}

async function seedBase(ctx: DiskCtx): Promise<void> {
  ctx.fs.rmSync(ctx.root, { recursive: true, force: true });
  ctx.fs.mkdirSync(ctx.root, { recursive: true });
  seedServer(ctx);
  const ls = makeLinkstore(ctx);
  await (await ls.integration()).createLink({ user: 'bob', app: 'existing', url: 'https://example.com/', token: 't' });
  const authn = await ls.authn();
  await authn.linkAccount({ user: 'bob', provider: 'google', subject: 'sub-existing', userInfo: { preferred_username: 'bobby' } });
  await authn.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: '{"client_id":"cid","client_secret":"s"}' });
  await settle();
}

/** Every message a reader of the tree produces: typed errors, WHM envelopes, doctor's table and JSON. */
async function everyMessage(ls: Linkstore): Promise<string[]> {
  const out: string[] = [];
  const typed = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      out.push(e instanceof Error ? `${e.message} ${JSON.stringify(e)} ${String((e as { cause?: unknown }).cause ?? '')}` : String(e));
    }
  };
  const integ = await ls.integration();
  const authn = await ls.authn();
  await typed(() => integ.getLinkToken({ user: 'bob', app: 'existing' }));
  await typed(() => integ.getLinkAdminConfig({ user: 'bob', app: 'existing' }));
  await typed(() => authn.getClientConfig({ service: 'cpaneld', provider: 'google' }));
  await typed(() => authn.listLinks({ user: 'bob' }));
  await typed(() => authn.listLinkedAccounts());
  await typed(() => authn.checkDrift().then((d) => out.push(JSON.stringify(d))));
  await typed(() => exportRecords(ls));
  for (const [fn, params] of WHM_CALLS) {
    const env = await callWhm(ls, fn, params, { dryRun: true });
    // A successful read of a valid field is not a leak test; only failures and their reasons count.
    if (env.metadata.result === 0) out.push(JSON.stringify(env));
  }
  const report = await doctor(ls, { pidAlive: () => true });
  out.push(JSON.stringify(report), renderDoctorTable(report));
  return out;
}

describeOnDisks('no secret in any message', (ctx) => {
  it('a marker in every 0600 file kind, in every broken form, reaches no message, reason or doctor report', async () => {
    const problems: string[] = [];
    let failures = 0;
    for (const f of FILES) {
      for (const [form, text] of Object.entries(brokenForms(f.good))) {
        await seedBase(ctx);
        seed(ctx, f.path, text, f.mode);
        const messages = await everyMessage(makeLinkstore(ctx));
        failures += messages.filter((m) => /corrupt|not valid JSON/.test(m)).length;
        for (const m of messages) if (leaks(m)) problems.push(`${f.kind} / ${form}: ${m.slice(0, 300)}`);
      }
    }
    expect(problems).toEqual([]);
    // The forms really are broken and really were read: each one produced failures to inspect.
    expect(failures).toBeGreaterThanOrEqual(FILES.length * 6);
  }, 240_000);
});

function cli(root: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--root', root, ...args], { maxBuffer: 1 << 24 }, (_e, stdout, stderr) => resolve(stdout + stderr));
  });
}

it('the CLI (doctor table and JSON, export, WHM functions) never prints a planted marker [tmpdir]', async () => {
  const ctx = tmpdirCtx();
  try {
    const problems: string[] = [];
    for (const f of FILES) {
      await seedBase(ctx);
      seed(ctx, f.path, brokenForms(f.good).unquoted as string, f.mode);
      const runs = await Promise.all([
        cli(ctx.root, ['doctor']),
        cli(ctx.root, ['doctor', '--output', 'json']),
        cli(ctx.root, ['export']),
        cli(ctx.root, ['--output', 'json', 'get_integration_link_user_config', 'user=bob', 'app=existing']),
        cli(ctx.root, ['update_integration_link_token', 'user=bob', 'app=existing', 'token=x', '--dry-run']),
        cli(ctx.root, ['get_authn_links', 'username=bob']),
        cli(ctx.root, ['get_provider_client_configurations', 'service_name=cpaneld', 'provider_id=google']),
      ]);
      expect(runs.join('\n')).toMatch(/corrupt|not valid JSON/);
      for (const r of runs) if (leaks(r)) problems.push(`${f.kind}: ${r.slice(0, 300)}`);
    }
    expect(problems).toEqual([]);
  } finally {
    ctx.cleanup();
  }
}, 120_000);
