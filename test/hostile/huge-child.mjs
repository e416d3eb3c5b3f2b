// Child of the huge-file suite (imports the build in dist/): runs one attack with a sparse huge
// file on a prepared tree and prints, as one JSON line, what each call answered and the process's
// peak RSS before and after the attack (getrusage's maxrss: the high-water mark, not a sample).
// Usage: node huge-child.mjs <root> <attack>
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { doctor, openLinkstore } from '../../dist/src/index.js';

const [root, attack] = process.argv.slice(2);
const GiB = 1024 ** 3;
const L = '/var/cpanel/integration/links';
const ls = openLinkstore({ root, now: () => 1_700_000_000_500, users: { checkIntervalMs: 0 } });
const grow = (cpanelPath, bytes) => nodeFs.truncateSync(join(root, cpanelPath), bytes);
const peakMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

const answer = async (run) => {
  try {
    const value = await run();
    return { ok: true, value };
  } catch (e) {
    return { ok: false, code: e?.code ?? String(e), message: e?.message };
  }
};

const integ = await ls.integration();
// Warm up every module the attack touches, so the baseline holds the code, not the attack.
await integ.createLink({ user: 'bob', app: 'app', url: 'https://x.example/', token: 'T' });
await integ.getLinkUserConfig({ user: 'bob', app: 'app' });
await doctor(ls, { pidAlive: () => true });
await (await ls.users()).validateSystemUser({ user: 'bob' });
const before = peakMiB();

const attacks = {
  // Read, replace (a create over it) and remove a link whose userconfig is a sparse 3 GiB file.
  userconfig: async () => {
    grow(`${L}/bob/app.userconfig`, 3 * GiB);
    const read = await answer(() => integ.getLinkUserConfig({ user: 'bob', app: 'app' }));
    const replace = await answer(() => integ.createLink({ user: 'bob', app: 'app', url: 'https://replaced.example/', token: 'T2' }));
    grow(`${L}/bob/app.userconfig`, 3 * GiB);
    const remove = await answer(() => integ.removeLink({ user: 'bob', app: 'app' }));
    const gone = !nodeFs.existsSync(join(root, L, 'bob/app.userconfig'));
    return { read, replace, remove, gone };
  },
  // doctor over a sparse 3 GiB userconfig.
  doctor: async () => {
    grow(`${L}/bob/app.userconfig`, 3 * GiB);
    const r = await doctor(ls, { pidAlive: () => true });
    return { findings: r.findings.filter((f) => f.path?.endsWith('app.userconfig')).map((f) => ({ kind: f.kind, detail: f.detail })) };
  },
  // validate_system_user with a sparse 1 GiB /etc/passwd.
  passwd: async () => {
    grow('/etc/passwd', GiB);
    return { validate: await answer(async () => (await ls.users()).validateSystemUser({ user: 'bob' })) };
  },
};

const result = await attacks[attack]();
process.stdout.write(JSON.stringify({ attack, result, peakBeforeMiB: before, peakAfterMiB: peakMiB() }) + '\n');
