/**
 * `npm run demo`: builds ./sandbox from test/fixtures (a small cPanel server tree) and walks through
 * the main jobs with the real CLI, printing each command and its output. Re-running starts clean.
 * Nothing outside ./sandbox is touched: every command runs with --root ./sandbox, as printed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '../..');
const sandbox = join(top, 'sandbox');
// The second server of the server-to-server move (same accounts, nothing linked yet).
const target = join(sandbox, 'new-server');
const bin = join(top, 'bin/linkstore.js');

rmSync(sandbox, { recursive: true, force: true });
mkdirSync(sandbox, { recursive: true });
cpSync(join(top, 'test/fixtures/users'), sandbox, { recursive: true });
cpSync(join(top, 'test/fixtures/server'), sandbox, { recursive: true });
mkdirSync(target, { recursive: true });
cpSync(join(top, 'test/fixtures/users'), target, { recursive: true });
cpSync(join(top, 'test/fixtures/server'), target, { recursive: true });

const show = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
let failures = 0;

function step(title: string, args: string[], expectCode = 0, root = sandbox): void {
  // Printed as a clone runs it, and run exactly so: the relative root, from the clone's top.
  const rootArg = `./${relative(top, root)}`;
  process.stdout.write(`\n# ${title}\n$ npx linkstore --root ${rootArg} ${args.map(show).join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, '--root', rootArg, ...args], { encoding: 'utf8', cwd: top });
  process.stdout.write(r.stdout + r.stderr);
  if (r.status !== expectCode) {
    failures++;
    process.stdout.write(`(unexpected exit status ${r.status}, expected ${expectCode})\n`);
  }
}

step('Is “bob” an existing system user? Could a new account use it?', ['validate_system_user', 'user=bob']);
step('A new account name that collides with a group is refused with cPanel’s message', ['verify_new_username', 'user=wheel'], 1);
step('Create an integration group', ['create_integration_group', 'user=bob', 'group_id=whmcs', 'label=WHMCS Control', 'order=1']);
step('Preview a link: --dry-run prints the planned files (mode, owner, SHA-256), writes nothing', [
  '--dry-run',
  '--output=jsonpretty',
  'create_integration_link',
  'user=bob',
  'app=WHMCS_billing',
  'url=https://billing.example.com/cp',
  'token=subway',
]);
step('Create the link: userconfig, adminconfig (0600) and the DynamicUI entry change together', [
  'create_integration_link',
  'user=bob',
  'app=WHMCS_billing',
  'url=https://billing.example.com/cp',
  'label=WHMCS Billing',
  'implements=billing',
  'group_id=whmcs',
  'order=5',
  'token=subway',
]);
step('The same call again changes nothing: no file is rewritten (metadata.changed: 0)', [
  'create_integration_link',
  'user=bob',
  'app=WHMCS_billing',
  'url=https://billing.example.com/cp',
  'label=WHMCS Billing',
  'implements=billing',
  'group_id=whmcs',
  'order=5',
  'token=subway',
]);
step('List the links', ['list_integration_links', 'user=bob']);
step('Rotate the token (only APP.adminconfig changes)', ['update_integration_link_token', 'user=bob', 'app=WHMCS_billing', 'token=metro']);
step('Link a Google identity to bob (per-user DB, then the LinkDB, under cPanel’s dot-locks)', [
  'link_user_authn_provider',
  'username=bob',
  'provider_id=google',
  'subject_unique_identifier=109876543210',
  'preferred_username=bob@gmail.com',
]);
step('…and one to his email account', [
  'link_user_authn_provider',
  'username=info@bob.example',
  'provider_id=google',
  'subject_unique_identifier=55501',
  'preferred_username=info@bob.example',
]);
step('Linked accounts, as cPanel’s login reads them (from the LinkDB)', ['--output=json', 'get_users_authn_linked_accounts']);
// Leave the kind of damage doctor exists for: a directory made by hand with the wrong mode, and
// the lock of a writer that crashed (a PID that is certainly dead: a process that has exited).
chmodSync(join(sandbox, 'var/cpanel/authn/openid_connect'), 0o755);
const dead = spawnSync(process.execPath, ['-e', '0']).pid;
const staleLock = join(sandbox, 'var/cpanel/authn/links/users/bob/bob.db.lock');
writeFileSync(staleLock, `${dead}\n/usr/local/cpanel/whostmgr/bin/whostmgr5\n`);
utimesSync(staleLock, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
step('Check the trees: a hand-made directory with the wrong mode and a crashed writer’s lock', ['doctor', '--output', 'table'], 1);
step('Repair what is safe', ['doctor', '--fix', '--output', 'table']);
step('A second look finds nothing', ['doctor', '--output', 'table']);
step('Export bob’s links as NDJSON (contains tokens: treat it like a backup)', ['export', '--user', 'bob']);
step('Configure the provider before the move (the client secret is stored 0600)', [
  'set_provider_client_configurations',
  'service_name=cpaneld',
  'provider_id=google',
  'configurations={"client_id":"demo-client","client_secret":"demo-secret"}',
]);
const moveFile = join(sandbox, 'move.ndjson');
step('Server move, 1: export the whole server (providers, configurations, links) into a 0600 file', ['export', '--out', moveFile]);
step('Server move, 2: a dry run on the new server reports every record', ['import', '--dry-run', '--hostname', 'new.example.com', moveFile], 0, target);
step('Server move, 3: import for real', ['import', '--hostname', 'new.example.com', moveFile], 0, target);
step('Server move, 4: re-running the import changes nothing (every record unchanged)', ['import', '--hostname', 'new.example.com', moveFile], 0, target);
step('The new server answers for bob', ['--output=json', 'get_users_authn_linked_accounts'], 0, target);

// A cPanel account archive: bob's two link sections into cpmove-bob.tar.gz (given as a host path,
// as a backup disk would be; it stays inside ./sandbox like everything else the demo writes), then
// the account's links are lost and restored straight from the tarball.
const backups = join(sandbox, 'backups');
mkdirSync(backups, { recursive: true });
const tarball = join(backups, 'cpmove-bob.tar.gz');
step('Write bob’s links into a cPanel account archive, as pkgacct would (integration/links/, authnlinks/)', [
  'archive',
  'export',
  'bob',
  relative(process.cwd(), tarball),
]);
step('Remove the account’s links from both stores (what account removal does)', ['account', 'purge', 'bob', '--output', 'json']);
step('Preview the restore from the tarball: cPanel’s rules, nothing written', [
  'archive',
  'restore',
  relative(process.cwd(), tarball),
  '--dry-run',
  '--output',
  'json',
]);
step('Restore it', ['archive', 'restore', relative(process.cwd(), tarball), '--output', 'json']);
step('The links are back', ['list_integration_links', 'user=bob']);

process.stdout.write(`\nSandbox tree: ${relative(process.cwd(), sandbox) || '.'}/var/cpanel — inspect it, or re-run “npm run demo” to start clean.\n`);
if (failures) {
  process.stdout.write(`${failures} step(s) did not behave as expected.\n`);
  process.exitCode = 1;
}
