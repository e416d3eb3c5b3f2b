// One of the racing library processes of the concurrency suite (imports a build of dist/).
//   node concurrency-child.mjs <root> <id> <iterations> <seed>
// Prints one JSON line per finished operation; any failure prints {"error":...} and exits 1.
const [root, id, iterations, seedArg] = process.argv.slice(2);
const dist = process.env.LINKSTORE_DIST ?? new URL('../../dist', import.meta.url).pathname;
const { Linkstore } = await import(`${dist}/src/services.js`);
const ls = new Linkstore({ root, hostname: 'host.example.com', users: { checkIntervalMs: 0 }, lock: { timeoutMs: 120_000, pollMs: 5 } });
const integ = await ls.integration();
const authn = await ls.authn();
let seed = Number(seedArg) >>> 0 || 1;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const log = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const users = ['bob', 'alice'];
const mine = { bob: [], alice: [] };

for (let n = 1; n <= Number(iterations); n++) {
  const m = `${id}-${n}`;
  const user = users[Math.floor(rnd() * 2)];
  const r = rnd();
  let op;
  try {
    if (r < 0.25) {
      op = { op: 'shared', user, m };
      await integ.createLink({ user, app: 'shared', url: `https://x/${m}`, token: m, label: m, subscriber_unique_id: m });
    } else if (r < 0.35) {
      op = { op: 'own', user, app: `own-${id}`, m };
      await integ.createLink({ user, app: op.app, url: `https://x/${m}`, token: m, label: m });
    } else if (r < 0.5) {
      op = { op: 'token', user, m };
      await integ.setLinkToken({ user, app: 'tokapp', token: m });
    } else if (r < 0.8 || mine[user].length === 0) {
      op = { op: 'link', user, subject: `c-${m}` };
      await authn.linkAccount({ user, provider: 'google', subject: op.subject, userInfo: { preferred_username: user } });
      mine[user].push(op.subject);
    } else {
      const i = Math.floor(rnd() * mine[user].length);
      op = { op: 'unlink', user, subject: mine[user][i] };
      await authn.unlinkAccount({ user, provider: 'google', subject: op.subject });
      mine[user].splice(i, 1);
    }
  } catch (e) {
    log({ error: String(e?.message ?? e), code: e?.code, op });
    process.exit(1);
  }
  log(op);
}
