/**
 * cPanel account archives (integration-links.md §7.2–7.3, authn-links.md §10.3): export to a
 * cpmove-USER/ directory and to a .tar.gz (new, or splicing our sections into an existing one),
 * restore from either with cPanel's rules, and refusal of hostile archives before any write.
 * Archives live outside the root prefix, on the same backend (memfs, or the real disk).
 */
import { expect, it } from 'vitest';
import { withPopulatedServer } from './backups.js';
import { exportAccountArchive, loadAccountArchive, restoreAccountArchive } from '../../src/archive/index.js';
import { DEFAULT_LIMITS as ARCHIVE_LIMITS } from '../../src/archive/limits.js';
import type { Linkstore } from '../../src/services.js';
import { describeOnDisks, hostPath, peek, seed, settle, snapshotTree } from '../helpers/disks.js';
import { AUTHN, INT, L, USERS, makeLinkstore } from '../doctor/server.js';
import { rejectsWith } from '../authn/setup.js';
import { gunzip, list, member, tarball, EOF } from './tarballs.js';

describeOnDisks('account archives', (ctx) => {
  let ls: Linkstore;
  let out: string;
  const write = (p: string, b: Buffer | string, mode = 0o644) => {
    ctx.fs.writeFileSync(p, b, { mode });
    ctx.fs.chmodSync(p, mode);
  };
  const read = (p: string) => ctx.fs.readFileSync(p);
  const modeOf = (p: string) => (ctx.fs.lstatSync(p).mode & 0o7777).toString(8);
  const trees = () => ({ ...snapshotTree(ctx, INT), ...snapshotTree(ctx, AUTHN) });
  withPopulatedServer(ctx, (b) => ({ ls, out } = b));

  it('exports to cpmove-USER/ exactly as pkgacct: sections 0700 directly inside, files with their modes and bytes', async () => {
    const dir = `${out}/cpmove-bob`;
    const r = await exportAccountArchive(ls, 'bob', dir);
    expect([r.format, r.sections]).toEqual(['directory', ['integration/links', 'authnlinks']]);
    expect((ctx.fs.readdirSync(dir) as string[]).sort()).toEqual(['authnlinks', 'integration']);
    expect([modeOf(dir), modeOf(`${dir}/integration`), modeOf(`${dir}/integration/links`), modeOf(`${dir}/authnlinks`)]).toEqual(['700', '700', '700', '700']);
    const links = (ctx.fs.readdirSync(`${dir}/integration/links`) as string[]).sort();
    expect(links).toEqual(['chat.adminconfig', 'chat.userconfig', 'group_tools.userconfig', 'wiki.adminconfig', 'wiki.userconfig']);
    for (const f of links) {
      expect(read(`${dir}/integration/links/${f}`).toString()).toBe(peek(ctx, `${L}/bob/${f}`));
      expect(modeOf(`${dir}/integration/links/${f}`)).toBe(modeOf(hostPath(ctx, `${L}/bob/${f}`)));
    }
    expect((ctx.fs.readdirSync(`${dir}/authnlinks`) as string[]).sort()).toEqual(['bob.db', 'info@bob.example.db']);
    expect(read(`${dir}/authnlinks/bob.db`).toString()).toBe(peek(ctx, `${USERS}/bob/bob.db`));
    expect(modeOf(`${dir}/authnlinks/bob.db`)).toBe('640');
    // Again: nothing changes, nothing is written. A stray at the destination is removed (incremental sync).
    write(`${dir}/authnlinks/old@bob.example.db`, '{}');
    const again = await exportAccountArchive(ls, 'bob', dir);
    expect(again.ops.map((o) => [o.op, o.path.slice(dir.length)])).toEqual([['remove', '/authnlinks/old@bob.example.db']]);
    expect((await exportAccountArchive(ls, 'bob', dir)).ops).toEqual([]);
    // carol has no links: no sections at all.
    expect((await exportAccountArchive(ls, 'carol', `${out}/cpmove-carol`)).sections).toEqual([]);
  });

  it('a dry run plans the export and writes nothing', async () => {
    const r = await exportAccountArchive(ls, 'bob', `${out}/cpmove-bob`, { dryRun: true });
    expect(r.ops.filter((o) => o.op === 'write')).toHaveLength(7);
    expect(ctx.fs.readdirSync(out)).toEqual([]);
    const t = await exportAccountArchive(ls, 'bob', `${out}/cpmove-bob.tar.gz`, { dryRun: true });
    expect(t.ops).toMatchObject([{ op: 'write', path: `${out}/cpmove-bob.tar.gz`, mode: '0600' }]);
    expect(t.ops[0]?.bytes).toBeGreaterThan(0);
    expect(ctx.fs.readdirSync(out)).toEqual([]);
  });

  it('exports a new cpmove-USER.tar.gz (0600) and restores it after a purge to the same trees', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    await exportAccountArchive(ls, 'bob', file);
    expect(modeOf(file)).toBe('600');
    const members = await list(read(file));
    expect(members.map((m) => [m.path, m.type, m.mode.toString(8)])).toEqual([
      ['cpmove-bob/', 'Directory', '700'],
      ['cpmove-bob/integration/', 'Directory', '700'],
      ['cpmove-bob/integration/links/', 'Directory', '700'],
      ['cpmove-bob/integration/links/chat.adminconfig', 'File', '600'],
      ['cpmove-bob/integration/links/chat.userconfig', 'File', '644'],
      ['cpmove-bob/integration/links/group_tools.userconfig', 'File', '644'],
      ['cpmove-bob/integration/links/wiki.adminconfig', 'File', '600'],
      ['cpmove-bob/integration/links/wiki.userconfig', 'File', '644'],
      ['cpmove-bob/authnlinks/', 'Directory', '700'],
      ['cpmove-bob/authnlinks/bob.db', 'File', '640'],
      ['cpmove-bob/authnlinks/info@bob.example.db', 'File', '640'],
    ]);
    expect(members.find((m) => m.path.endsWith('wiki.adminconfig'))?.content).toBe(peek(ctx, `${L}/bob/wiki.adminconfig`));
    const before = trees();
    const { purgeAccount } = await import('../../src/account/index.js');
    await purgeAccount(ls, 'bob');
    await settle();
    expect(trees()).not.toEqual(before);
    const r = await restoreAccountArchive(ls, file);
    expect([r.user, r.warnings, r.integration.failed, r.authn.failed]).toEqual(['bob', [], [], []]);
    expect(r.integration.restored).toEqual(['chat', 'group_tools', 'wiki']);
    expect(r.authn.restored).toEqual(['bob cpanelid c-bob', 'bob google g-bob', 'info@bob.example google g-info']);
    await settle();
    expect(trees()).toEqual(before);
  });

  it('splices our sections into an existing tarball: every other member stays byte for byte, the old sections go', async () => {
    const home = [
      member({ path: 'cpmove-bob/', type: 'Directory' }),
      member({ path: 'cpmove-bob/cp/bob', content: 'DNS=bob.example\n' }),
      member({ path: `cpmove-bob/homedir/public_html/${'deep/'.repeat(60)}index.html`, content: '<h1>hi</h1>' }), // needs a pax header
    ];
    const oldSections = [
      member({ path: 'cpmove-bob/integration/', type: 'Directory' }),
      member({ path: 'cpmove-bob/integration/links/', type: 'Directory' }),
      member({ path: 'cpmove-bob/integration/links/gone.userconfig', content: '{}' }),
      member({ path: 'cpmove-bob/authnlinks/old.db', content: '{"__VERSION":"1.0"}' }),
    ];
    const rest = [member({ path: 'cpmove-bob/mysql/bob_wp.sql', content: 'CREATE TABLE x;\n'.repeat(100) })];
    const file = `${out}/cpmove-bob.tar.gz`;
    write(file, tarball([...home, ...oldSections, ...rest]), 0o640);
    await exportAccountArchive(ls, 'bob', file);
    const raw = gunzip(read(file));
    // `integration/` itself is not a section: its directory member stays where it was.
    const kept = Buffer.concat([...home, oldSections[0] as Buffer, ...rest]);
    expect(raw.subarray(0, kept.length).equals(kept)).toBe(true);
    expect(raw.subarray(raw.length - EOF.length).equals(EOF)).toBe(true);
    expect(modeOf(file)).toBe('640');
    const paths = (await list(read(file))).map((m) => m.path);
    expect(paths.filter((p) => p.includes('gone') || p.includes('old.db'))).toEqual([]);
    expect(paths.filter((p) => p === 'cpmove-bob/integration/')).toHaveLength(1); // the existing directory member is kept
    expect(paths).toContain('cpmove-bob/integration/links/wiki.userconfig');
    expect(paths).toContain('cpmove-bob/authnlinks/info@bob.example.db');
  });

  it('restores an extracted directory under another account: webmail users are mapped, foreign ones skipped', async () => {
    const dir = `${out}/cpmove-bob`;
    await exportAccountArchive(ls, 'bob', dir);
    const r = await restoreAccountArchive(ls, dir, { as: 'alice' });
    expect(r.integration.restored).toEqual(['chat', 'group_tools', 'wiki']);
    expect(r.authn.restored).toEqual(['alice cpanelid c-bob', 'alice google g-bob']);
    expect(r.authn.skipped).toEqual(['info@bob.example']);
    expect(r.warnings).toEqual(['The system skipped the External Authentication links of “info@bob.example” because that address does not belong to “alice”.']);
    expect(peek(ctx, `${L}/alice/wiki.adminconfig`)).toBe(peek(ctx, `${L}/bob/wiki.adminconfig`));
    const db = JSON.parse(peek(ctx, `${USERS}/alice/alice.db`) as string);
    expect(db.openid_connect.google['g-bob']).toEqual({ preferred_username: 'bob@gmail.example', link_time: 1_600_000_000 });
    expect(db.openid_connect.google['g-alice']).toBeDefined(); // alice's own link stays
    const authn = await ls.authn();
    expect(
      (await authn.listLinkedAccounts())
        .filter((a) => a.username === 'alice')
        .map((a) => a.subject_unique_identifier)
        .sort(),
    ).toEqual(['c-bob', 'g-alice', 'g-bob']);
  });

  it('applies cPanel’s restore rules: version check and empty DBs abort with nothing written; strays and disabled providers warn', async () => {
    const dir = `${out}/cpmove-bob`;
    await exportAccountArchive(ls, 'bob', dir);
    const { purgeAccount } = await import('../../src/account/index.js');
    await purgeAccount(ls, 'bob');
    await settle();
    const before = trees();
    write(`${dir}/authnlinks/info@bob.example.db`, '{"__VERSION":"2.0","openid_connect":{}}');
    await rejectsWith(
      restoreAccountArchive(ls, dir),
      'E_CORRUPT_FILE',
      'The file “authnlinks/info@bob.example.db” has the version “2.0”; the system can only restore version “1.0”.',
    );
    // Whatever else the archive holds as its version is not quoted back.
    for (const [version, shown] of [
      [`{"v":"${'x'.repeat(5000)}"}`, 'an unsupported version'],
      [`"${'FILE-CONTENT'.repeat(100)}"`, 'an unsupported version'],
      ['1', 'an unsupported version'],
    ]) {
      write(`${dir}/authnlinks/info@bob.example.db`, `{"__VERSION":${version},"openid_connect":{}}`);
      await rejectsWith(
        restoreAccountArchive(ls, dir),
        'E_CORRUPT_FILE',
        `The file “authnlinks/info@bob.example.db” has ${shown}; the system can only restore version “1.0”.`,
      );
    }
    write(`${dir}/authnlinks/info@bob.example.db`, '{"openid_connect":{}}');
    expect((await rejectsWith(restoreAccountArchive(ls, dir), 'E_CORRUPT_FILE')).message).toMatch(/ has no version; /);
    write(`${dir}/authnlinks/info@bob.example.db`, '');
    await rejectsWith(restoreAccountArchive(ls, dir), 'E_CORRUPT_FILE', 'The file “authnlinks/info@bob.example.db” is empty; the system cannot restore it.');
    expect(trees()).toEqual(before);

    write(`${dir}/authnlinks/info@bob.example.db`, '{"__VERSION":"1.0","openid_connect":{"facebook":{"f1":{"preferred_username":"x"}},"google":{"g2":{}}}}');
    write(`${dir}/authnlinks/notes.txt`, 'hello');
    ctx.fs.mkdirSync(`${dir}/integration/links/sub`);
    const r = await restoreAccountArchive(ls, dir);
    expect(r.authn.failed).toEqual(['info@bob.example facebook f1']);
    expect(r.authn.restored).toEqual(['bob cpanelid c-bob', 'bob google g-bob', 'info@bob.example google g2']);
    expect(r.warnings).toEqual([
      'The system has skipped the unrecognized file “integration/links/sub”.',
      'The system has skipped the unrecognized file “notes.txt”.',
      'The system could not restore the “facebook” link “f1” of “info@bob.example” (authnlinks/info@bob.example.db): The provider “facebook” is not enabled for any services with OpenID Connect authentication.',
    ]);
  });

  it('a dry run of a restore plans every write and changes nothing; unknown accounts and nameless archives are refused', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    await exportAccountArchive(ls, 'bob', file);
    const before = trees();
    const dry = await restoreAccountArchive(ls, file, { as: 'alice', dryRun: true });
    expect(dry.ops.filter((o) => o.op === 'write').length).toBeGreaterThan(5);
    expect(trees()).toEqual(before);
    await rejectsWith(restoreAccountArchive(ls, file, { as: 'ghost' }), 'E_NO_SUCH_USER', 'You do not have a user named “ghost”.');
    const other = `${out}/backup.tar.gz`;
    write(other, read(file));
    expect((await restoreAccountArchive(ls, other, { dryRun: true })).user).toBe('bob'); // the top directory says cpmove-bob
    write(other, tarball([{ path: 'backup/authnlinks/bob.db', content: '{"__VERSION":"1.0"}' }]));
    await rejectsWith(restoreAccountArchive(ls, other), 'E_MISSING_PARAM');
  });

  it('a restore’s dry run plans each directory once, and the same directory operations as the real run', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    await exportAccountArchive(ls, 'bob', file);
    const { purgeAccount } = await import('../../src/account/index.js');
    await purgeAccount(ls, 'bob');
    const dirOps = (ops: readonly { op: string; path: string }[]) =>
      ops.filter((o) => ['mkdir', 'chmod', 'chown'].includes(o.op)).map((o) => `${o.op} ${o.path}`);
    const dry = dirOps((await restoreAccountArchive(ls, file, { dryRun: true })).ops);
    expect(dry.length).toBeGreaterThan(0);
    expect(new Set(dry).size).toBe(dry.length);
    expect(dirOps((await restoreAccountArchive(ls, file)).ops)).toEqual(dry);
  });

  it('a restore’s dry run plans exactly the real run’s writes when several links share a LinkDB (each replay sees the earlier ones)', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    await exportAccountArchive(ls, 'bob', file);
    const { purgeAccount } = await import('../../src/account/index.js');
    await purgeAccount(ls, 'bob');
    const writes = (ops: readonly { op: string; path: string; sha256?: string; bytes?: number }[]) =>
      ops.filter((o) => o.op === 'write').map((o) => `${o.path} ${o.bytes} ${o.sha256}`);
    const dry = writes((await restoreAccountArchive(ls, file, { dryRun: true })).ops);
    // bob's and info@bob.example's google links both go into the google LinkDB: planned once per replay.
    const google = hostPath(ctx, '/var/cpanel/authn/links/openid_connect/login/google.db');
    expect(dry.filter((w) => w.startsWith(`${google} `))).toHaveLength(2);
    expect(writes((await restoreAccountArchive(ls, file)).ops)).toEqual(dry);
  });

  const hostile: [string, Parameters<typeof member>[0], string][] = [
    ['a symbolic link', { path: 'cpmove-bob/homedir/www', type: 'SymbolicLink', linkpath: 'public_html' }, 'is a link'],
    ['a hard link', { path: 'cpmove-bob/authnlinks/bob.db', type: 'Link', linkpath: 'cpmove-bob/cp/bob' }, 'is a link'],
    ['a character device', { path: 'cpmove-bob/dev/null', type: 'CharacterDevice' }, 'is a device or FIFO'],
    ['a block device', { path: 'cpmove-bob/dev/sda', type: 'BlockDevice' }, 'is a device or FIFO'],
    ['a FIFO', { path: 'cpmove-bob/fifo', type: 'FIFO' }, 'is a device or FIFO'],
    ['an absolute path', { path: '/etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' }, 'has an absolute path'],
    ['a .. traversal', { path: 'cpmove-bob/../../etc/cron.d/evil', content: '* * * * * root sh\n' }, 'climbs out with “..”'],
  ];
  for (const [what, m, problem] of hostile) {
    it(`refuses a tarball holding ${what} whole, naming the member, before writing anything`, async () => {
      const file = `${out}/cpmove-bob.tar.gz`;
      const bytes = tarball([
        { path: 'cpmove-bob/', type: 'Directory' },
        { path: 'cpmove-bob/integration/links/new.userconfig', content: '{"url":"https://new.example/"}' },
        m,
      ]);
      write(file, bytes);
      const before = trees();
      const e = await rejectsWith(restoreAccountArchive(ls, file), 'E_INVALID_PARAM');
      expect(e.message).toBe(`Refusing the archive “${file}”: its member “${m.path}” ${problem}. Nothing was written.`);
      expect(trees()).toEqual(before);
      // Exporting into it is refused the same way, and the archive stays as it was.
      await rejectsWith(exportAccountArchive(ls, 'bob', file), 'E_INVALID_PARAM');
      expect(read(file).equals(bytes)).toBe(true);
      expect((ctx.fs.readdirSync(out) as string[]).filter((n) => n !== 'cpmove-bob.tar.gz')).toEqual([]);
    });
  }

  it('refuses an extracted directory whose section holds a symlink, and bounds member sizes', async () => {
    const dir = `${out}/cpmove-bob`;
    await exportAccountArchive(ls, 'bob', dir);
    seed(ctx, '/secret', 'precious');
    ctx.fs.symlinkSync(hostPath(ctx, '/secret'), `${dir}/authnlinks/carol.db`);
    const before = trees();
    await rejectsWith(
      restoreAccountArchive(ls, dir),
      'E_INVALID_PARAM',
      `Refusing the archive “${dir}”: its member “authnlinks/carol.db” is a link. Nothing was written.`,
    );
    expect(trees()).toEqual(before);
    ctx.fs.unlinkSync(`${dir}/authnlinks/carol.db`);
    const limits = { maxMemberBytes: 50, maxKeptMembers: 100 };
    await rejectsWith(loadAccountArchive(ctx.disk.fs, dir, limits), 'E_INVALID_PARAM');
    const file = `${out}/cpmove-bob.tar.gz`;
    await exportAccountArchive(ls, 'bob', file);
    const e = await rejectsWith(loadAccountArchive(ctx.disk.fs, file, limits), 'E_INVALID_PARAM');
    expect(e.message).toMatch(/is larger than the limit of 50 bytes/);
  });

  it('bounds the total of the kept members (each within its own limit), in a directory and a tarball', async () => {
    const dir = `${out}/cpmove-bob`;
    await exportAccountArchive(ls, 'bob', dir);
    const file = `${out}/cpmove-bob.tar.gz`;
    await exportAccountArchive(ls, 'bob', file);
    const whole = await loadAccountArchive(ctx.disk.fs, file);
    const total = [...(whole.integration ?? []), ...(whole.authn ?? [])].reduce((n, f) => n + f.content.length, 0);
    expect(total).toBeGreaterThan(100);
    const limits = { ...ARCHIVE_LIMITS, maxKeptBytes: total - 1 };
    for (const source of [dir, file]) {
      const e = await rejectsWith(loadAccountArchive(ctx.disk.fs, source, limits), 'E_INVALID_PARAM');
      expect(e.message).toMatch(new RegExp(`over the limit of ${total - 1} bytes in all\\. Nothing was written\\.$`));
      // Exactly the total is within the bound.
      await loadAccountArchive(ctx.disk.fs, source, { ...limits, maxKeptBytes: total });
    }
    // Limits built before the total existed get its default.
    await loadAccountArchive(ctx.disk.fs, file, { maxMemberBytes: ARCHIVE_LIMITS.maxMemberBytes, maxKeptMembers: 10 });
  });

  it('refuses a target not named for the user (a restore would take the account from the name) and a user that names nothing', async () => {
    await settle();
    const before = snapshotTree(ctx, '/');
    for (const target of ['cpmove-alice', 'cpmove-alice.tar.gz', 'backup', 'cpmove-bob.zip']) {
      const e = await rejectsWith(exportAccountArchive(ls, 'bob', `${out}/${target}`), 'E_INVALID_PARAM');
      expect(e.message).toContain(`must be named cpmove-bob (a directory) or cpmove-bob.tar.gz, not “${target}”`);
    }
    expect((await rejectsWith(exportAccountArchive(ls, 'bob', `${out}/cpmove-alice`), 'E_INVALID_PARAM')).message).toMatch(
      /a restore would put it into the account “alice”/,
    );
    await rejectsWith(exportAccountArchive(ls, 'nosuch', `${out}/cpmove-nosuch`), 'E_NO_SUCH_USER');
    await settle();
    expect(snapshotTree(ctx, '/')).toEqual(before);
    expect(ctx.fs.readdirSync(out)).toEqual([]);
  });

  it('exports with the Disk’s fsync mode: on the thread pool by default (a large tarball’s fsync must not hold the loop), inline when asked', async () => {
    for (const [mode, expected] of [
      ['thread-pool', 'fsync'],
      ['inline', 'fsyncSync'],
    ] as const) {
      const used = new Set<string>();
      const fs = new Proxy(ctx.fs, {
        get(target, prop, recv) {
          const v = Reflect.get(target, prop, recv) as unknown;
          if (typeof v !== 'function') return v;
          if (prop === 'fsync' || prop === 'fsyncSync') used.add(prop);
          return (v as (...a: unknown[]) => unknown).bind(target);
        },
      });
      const quiet = makeLinkstore(ctx.make({ fs: fs as typeof ctx.fs, fsync: mode }));
      for (const target of [`${out}/${mode}/cpmove-bob.tar.gz`, `${out}/${mode}/cpmove-bob`]) {
        ctx.fs.mkdirSync(`${out}/${mode}`, { recursive: true });
        used.clear();
        await exportAccountArchive(quiet, 'bob', target);
        expect([...used], target).toEqual([expected]);
      }
    }
  });

  it('refuses a truncated or non-tar file as corrupt', async () => {
    const file = `${out}/cpmove-bob.tar.gz`;
    await exportAccountArchive(ls, 'bob', file);
    const whole = read(file);
    write(file, whole.subarray(0, Math.floor(whole.length / 2)));
    await rejectsWith(restoreAccountArchive(ls, file), 'E_CORRUPT_FILE');
    write(file, 'not an archive at all');
    await rejectsWith(restoreAccountArchive(ls, file), 'E_CORRUPT_FILE');
  });
});
