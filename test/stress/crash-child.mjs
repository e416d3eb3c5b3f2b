// Child process of the crash suite (imports the build in dist/). It runs mixed mutations forever,
// printing one JSON line before ("begin") and after ("done") each, until it is SIGKILLed. Every
// value written encodes `<pid>-<n>`, so the parent can tell which call wrote each file.
//   node crash-child.mjs <root> <seed>
// LINKSTORE_DIST: a private copy of dist/ (see stable-dist.ts); default the checkout's build.
const dist = process.env.LINKSTORE_DIST ?? new URL('../../dist', import.meta.url).pathname;
const { Linkstore } = await import(`${dist}/src/services.js`);

const [root, seedArg] = process.argv.slice(2);
const ls = new Linkstore({ root, hostname: 'host.example.com', users: { checkIntervalMs: 0 }, lock: { timeoutMs: 30_000, pollMs: 5 } });
const { importRecords } = await import(`${dist}/src/transfer/index.js`);
const integ = await ls.integration();
const authn = await ls.authn();
let seed = Number(seedArg) >>> 0 || 1;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const log = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const linkParams = (v) => ({ url: `https://x/${v}`, token: `SECRET-${v}`, label: `L${v}` });

const subjects = new Set((await authn.listLinks({ user: 'bob' })).map((l) => l.subject_unique_identifier));
log({ phase: 'ready' });
for (let n = 1; ; n++) {
  const v = `${process.pid}-${n}`;
  const r = rnd();
  let op;
  if (r < 0.25) op = { op: 'create', app: `app${n % 2}`, v };
  else if (r < 0.4) op = { op: 'token', app: `app${n % 2}`, v };
  else if (r < 0.48) op = { op: 'batch', v };
  else if (r < 0.55) op = { op: 'import', v, subject: `i-${v}` };
  else if (r < 0.75 || subjects.size === 0) op = { op: 'link', subject: `s-${v}` };
  else if (r < 0.9) op = { op: 'unlink', subject: [...subjects][Math.floor(rnd() * subjects.size)] };
  else op = { op: 'client', v };
  log({ phase: 'begin', ...op });
  const t0 = Date.now();
  try {
    if (op.op === 'create') await integ.createLink({ user: 'bob', app: op.app, ...linkParams(v) });
    else if (op.op === 'token') await integ.setLinkToken({ user: 'bob', app: op.app, token: `SECRET-${v}` });
    else if (op.op === 'batch') {
      const r = await integ.createLinks([
        { user: 'bob', app: 'batch0', ...linkParams(v) },
        { user: 'alice', app: 'batch1', ...linkParams(v) },
      ]);
      if (r.failed !== 0) throw r.results.find((x) => !x.ok).error;
    } else if (op.op === 'import') {
      const rec = (user, app) => ({ type: 'integration_link', user, app, userconfig: { url: `https://x/${v}`, label: `L${v}` }, token: `SECRET-${v}` });
      const lines = [
        rec('bob', 'imp0'),
        rec('alice', 'imp1'),
        {
          type: 'authn_link',
          user: 'bob',
          sysuser: 'bob',
          protocol: 'openid_connect',
          provider: 'google',
          subject: op.subject,
          user_info: { preferred_username: 'bob', link_time: 1700000000 },
        },
      ].map((x) => JSON.stringify(x));
      const sum = await importRecords(ls, lines);
      if (sum.failed !== 0 || sum.created + sum.replaced !== 3) throw new Error(`import: ${JSON.stringify(sum)}`);
      subjects.add(op.subject);
    } else if (op.op === 'link') {
      await authn.linkAccount({ user: 'bob', provider: 'google', subject: op.subject, userInfo: { preferred_username: 'bob' } });
      subjects.add(op.subject);
    } else if (op.op === 'unlink') {
      await authn.unlinkAccount({ user: 'bob', provider: 'google', subject: op.subject });
      subjects.delete(op.subject);
    } else await authn.setClientConfig({ service: 'cpaneld', provider: 'google', configurations: { client_id: `id-${v}`, client_secret: `SECRET-${v}` } });
  } catch (e) {
    log({ phase: 'error', ...op, code: e?.code, message: String(e?.message ?? e) });
    process.exit(1);
  }
  log({ phase: 'done', ...op, ms: Date.now() - t0 });
}
