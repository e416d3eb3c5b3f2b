// Child of the FIFO suite (imports the build in dist/): runs one library call on a tree in which a
// FIFO was planted, and prints what happened as one JSON line. The parent kills it if it hangs.
// Usage: node fifo-child.mjs <root> <call> [<host path>]
import { spawnSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { doctor, loadAccountArchive, openLinkstore } from '../../dist/src/index.js';

const [root, call, target] = process.argv.slice(2);

/**
 * Node's fs, except that right after the second lstat of `target` (the check just before the
 * open) the file is replaced by a FIFO: the race an attacker wins between a check and an open.
 */
function swappingFs() {
  let seen = 0;
  return {
    ...nodeFs,
    lstatSync(p) {
      const st = nodeFs.lstatSync(p);
      if (p === target && ++seen === 2) {
        nodeFs.rmSync(p);
        if (spawnSync('mkfifo', [p]).status !== 0) throw new Error('mkfifo failed');
      }
      return st;
    },
  };
}

const ls = openLinkstore({ root, now: () => 1_700_000_000_500, users: { checkIntervalMs: 0 } });
const calls = {
  userconfig: async () => (await ls.integration()).getLinkUserConfig({ user: 'bob', app: 'app' }),
  themeConfig: async () => (await ls.integration()).createLink({ user: 'alice', app: 'newapp', url: 'https://x.example/' }),
  integrationLock: async () => (await ls.integration()).createLink({ user: 'bob', app: 'app2', url: 'https://x.example/' }),
  userDb: async () => (await ls.authn()).listLinks({ user: 'bob' }),
  linkDb: async () => (await ls.authn()).listLinkedAccounts(),
  authnLock: async () => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'x' }),
  serviceFile: async () => (await ls.authn()).linkAccount({ user: 'bob', provider: 'google', subject: 'y' }),
  hostname: async () => (await ls.authn()).setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: 'id', client_secret: 's' } }),
  mailPasswd: async () => (await ls.authn()).linkAccount({ user: 'info@bob.example', provider: 'google', subject: 'z' }),
  group: async () => (await ls.users()).verifyNewUsername({ user: 'newname' }),
  passwd: async () => (await ls.users()).validateSystemUser({ user: 'bob' }),
  cpanelConfig: async () => (await ls.users()).verifyNewUsername({ user: 'newname2' }),
  // An archive's member (a directory archive) or the tarball itself, swapped for a FIFO mid-read.
  archiveMemberSwap: async () => loadAccountArchive(swappingFs(), target.split('/integration/')[0]),
  tarballSwap: async () => loadAccountArchive(swappingFs(), target),
  doctor: async () => {
    const r = await doctor(ls, {});
    return r.findings.map((f) => f.kind);
  },
};
const t = Date.now();
try {
  const value = await calls[call]();
  process.stdout.write(JSON.stringify({ call, ok: true, value, ms: Date.now() - t }) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ call, ok: false, code: e?.code ?? String(e), message: e?.message, ms: Date.now() - t }) + '\n');
}
