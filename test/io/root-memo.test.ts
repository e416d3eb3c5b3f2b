/**
 * A root behind a symlink whose target is not there yet (a volume mounted after the daemon
 * started): the failure to resolve it is not remembered, so the same Disk works once it appears.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/commit.js';
import { Disk } from '../../src/io/disk.js';

let base: string | undefined;
afterEach(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

it('a root whose symlink target appears later is resolved again, not failed for the Disk’s life', async () => {
  base = mkdtempSync(join(tmpdir(), 'linkstore-root-'));
  const root = join(base, 'server');
  symlinkSync(join(base, 'volume'), root);
  const disk = new Disk({ root, owners: false });
  await expect(writeFileAtomic(disk, '/var/cpanel/authn/x.db', Buffer.from('{}'), { mode: 0o600 })).rejects.toThrow();
  const staged = join(base, 'staged');
  mkdirSync(join(staged, 'var/cpanel/authn'), { recursive: true });
  renameSync(staged, join(base, 'volume'));
  const r = await writeFileAtomic(disk, '/var/cpanel/authn/x.db', Buffer.from('{}'), { mode: 0o600 });
  expect(r.changed).toBe(true);
  expect(readFileSync(join(base, 'volume/var/cpanel/authn/x.db'), 'utf8')).toBe('{}');
});
