/** `linkstore doctor` through the real binary: report, --fix, --user, exit codes, output formats. */
import { afterEach, beforeEach, expect, it, describe } from 'vitest';
import { chmodSync, existsSync, rmSync, statSync } from 'node:fs';
import { seed } from '../helpers/disks.js';
import { L, USERS, age } from '../doctor/server.js';
import { linkstore, tempServer } from './commands-helpers.js';
import type { DoctorReport } from '../../src/doctor/index.js';

const DEAD_PID = 99_999_999; // above any pid_max: never a running process

describe('linkstore doctor (binary)', () => {
  let root: string;
  let ctx: Awaited<ReturnType<typeof tempServer>>['ctx'];
  let cleanup = () => {};
  beforeEach(async () => {
    ({ root, ctx, cleanup } = await tempServer(true));
  });
  afterEach(() => cleanup());

  const json = (args: string[]) => {
    const r = linkstore(root, ['doctor', '--output', 'json', ...args]);
    return { ...r, report: JSON.parse(r.stdout) as DoctorReport };
  };

  it('exits 0 with an empty JSON report on a clean server, and prints a table when asked', () => {
    const r = json([]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.report).toMatchObject({ ok: true, fix: false, findings: [], summary: { total: 0 } });
    const t = linkstore(root, ['doctor', '--output', 'table']);
    expect([t.status, t.stdout]).toEqual([0, 'No problems found.\n']);
  });

  it('reports damage (exit 1), --fix repairs the safe part and leaves the rest for a person (exit 1), then exit 0', () => {
    chmodSync(`${root}${L}/bob/wiki.userconfig`, 0o666);
    seed(ctx, `${L}/bob.lock`, `${DEAD_PID}\ncpanel-linkstore\n`, 0o640);
    seed(ctx, `${USERS}/bob/bob.db-1a-2b-3c`, '{}', 0o640);
    age(ctx, `${USERS}/bob/bob.db-1a-2b-3c`);
    seed(ctx, `${L}/alice/old.adminconfig`, '{\n   "token" : null\n}\n', 0o600);

    const r = json([]);
    expect(r.status).toBe(1);
    expect(r.report.findings.map((f) => `${f.user} ${f.kind} ${f.fixable}`)).toEqual([
      'alice orphan_adminconfig false',
      'bob stale_lock true',
      'bob mode true',
      'bob temp_debris true',
    ]);
    const table = linkstore(root, ['doctor', '--output', 'table']);
    expect(table.status).toBe(1);
    expect(table.stdout).toContain('User alice\n');
    expect(table.stdout).toMatch(/orphan_adminconfig\s+left for a person/);
    expect(table.stdout).toContain('4 findings: 0 fixed, 4 not fixed (3 --fix can repair, 1 left for a person).');

    const fixed = json(['--fix']);
    expect(fixed.status).toBe(1);
    expect(r.report.summary).toMatchObject({ total: 4, fixed: 0, unfixed: 4, fixable: 3, leftForPerson: 1 });
    expect(fixed.report.summary).toMatchObject({ total: 4, fixed: 3, unfixed: 1, fixable: 0, leftForPerson: 1 });
    expect(fixed.report.leftForPerson.map((f) => f.kind)).toEqual(['orphan_adminconfig']);
    expect(statSync(`${root}${L}/bob/wiki.userconfig`).mode & 0o7777).toBe(0o644);
    expect(existsSync(`${root}${L}/bob.lock`)).toBe(false);
    expect(existsSync(`${root}${USERS}/bob/bob.db-1a-2b-3c`)).toBe(false);
    expect(existsSync(`${root}${L}/alice/old.adminconfig`)).toBe(true);

    const bobOnly = json(['--user', 'bob']);
    expect([bobOnly.status, bobOnly.report.findings.length]).toEqual([0, 0]);
    const yaml = linkstore(root, ['doctor', '--output', 'yaml', '--user', 'alice']);
    expect(yaml.status).toBe(1);
    expect(yaml.stdout).toMatch(/^---\n/);
    expect(yaml.stdout).toContain('kind: orphan_adminconfig');

    // The person decides: the orphan goes, and doctor is happy.
    rmSync(`${root}${L}/alice/old.adminconfig`);
    expect(json([]).status).toBe(0);
  });

  it('refuses options that do not apply (exit 2)', () => {
    const r = linkstore(root, ['doctor', 'extra']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('takes no arguments');
    expect(linkstore(root, ['doctor', '--quiet']).status).toBe(2);
  });
});
