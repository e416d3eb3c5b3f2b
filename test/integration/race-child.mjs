// Child process for the integration race test (imports the built library from dist/).
//   node race-child.mjs write <root> <id> <iterations>   replace alice/shared repeatedly with marker <id>-<i>
//   node race-child.mjs observe <root> <iterations>      under alice's lock, check the three files agree
import { Disk, withDotLock } from '../../dist/src/io/index.js';
import { Users, userLookup } from '../../dist/src/users/index.js';
import { IntegrationStore } from '../../dist/src/integration/index.js';

const [mode, root, a, b] = process.argv.slice(2);
const disk = new Disk({ root, lock: { timeoutMs: 60_000, pollMs: 5 } });
const store = new IntegrationStore({ disk, users: userLookup(new Users(disk)) });
const L = '/var/cpanel/integration/links/alice';
const D = '/var/cpanel/integration/dynamicui/alice';

async function markers() {
  const u = JSON.parse((await disk.readFile(`${L}/shared.userconfig`)).toString());
  const t = JSON.parse((await disk.readFile(`${L}/shared.adminconfig`)).toString());
  const d = JSON.parse((await disk.readFile(`${D}/dynamicui_shared.conf`)).toString())[0];
  return [u.subscriber_unique_id, t.token, d.itemdesc.slice(7, -2)];
}

if (mode === 'write') {
  for (let i = 0; i < Number(b); i++) {
    const m = `${a}-${i}`;
    await store.createLink({ user: 'alice', app: 'shared', url: `https://w/${m}`, subscriber_unique_id: m, token: m, label: m });
  }
} else if (mode === 'observe') {
  let seen = 0;
  for (let i = 0; i < Number(a); i++) {
    await withDotLock(disk, L, { dataMode: 0o750 }, async () => {
      const [x, y, z] = await markers();
      if (x !== y || y !== z) {
        process.stdout.write(`MIXED ${x} ${y} ${z}\n`);
        process.exit(3);
      }
      seen++;
    });
    await new Promise((r) => setTimeout(r, 2));
  }
  process.stdout.write(`observed ${seen}\n`);
}
