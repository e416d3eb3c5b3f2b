/**
 * The two backends every behaviour suite runs on: memfs and a real temporary directory used as
 * the root prefix. Use `describeOnDisks('thing', (ctx) => { ... })` and build the tree through
 * `ctx.disk` (cPanel paths) so the same test code works on both.
 */
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect } from 'vitest';
import { Disk, type DiskOptions } from '../../src/io/disk.js';
import { idleLockTempCount } from '../../src/io/lock-temps.js';
import { createMemfs } from '../../src/testing/index.js';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export interface DiskCtx {
  kind: 'memfs' | 'tmpdir';
  disk: Disk;
  /** The raw fs object behind the disk (memfs or node:fs). */
  fs: typeof nodeFs;
  /** Host root directory. */
  root: string;
  /** Make another Disk on the same backend and root (e.g. with a wrapped fs). */
  make(options?: Omit<DiskOptions, 'root'>): Disk;
}

export interface Backend {
  kind: DiskCtx['kind'];
  setup(): { fs: typeof nodeFs; root: string; owners: boolean; cleanup(): void };
}

export const backends: Backend[] = [
  {
    kind: 'memfs',
    setup() {
      // memfs enforces permissions against the real uid, so owners are set only when root.
      const mem = createMemfs();
      const fs = mem.fs as typeof nodeFs;
      fs.mkdirSync('/srv/root', { recursive: true });
      return { fs, root: '/srv/root', owners: mem.canChown, cleanup() {} };
    },
  },
  {
    kind: 'tmpdir',
    setup() {
      const root = mkdtempSync(join(tmpdir(), 'linkstore-test-'));
      return { fs: nodeFs, root, owners: isRoot, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    },
  },
];

/** Run `body` once per backend, with a fresh disk for every test. */
export function describeOnDisks(name: string, body: (ctx: DiskCtx) => void, diskOptions: Omit<DiskOptions, 'root' | 'fs'> = {}): void {
  for (const backend of backends) {
    describe(`${name} [${backend.kind}]`, () => {
      const ctx = { kind: backend.kind } as DiskCtx;
      let cleanup = () => {};
      beforeEach(() => {
        const s = backend.setup();
        cleanup = s.cleanup;
        ctx.fs = s.fs;
        ctx.root = s.root;
        ctx.make = (o = {}) => new Disk({ fs: s.fs, root: s.root, owners: s.owners, ...diskOptions, ...o });
        ctx.disk = ctx.make();
      });
      afterEach(() => cleanup());
      body(ctx);
    });
  }
}

/** Host path for a cPanel path under ctx's root. */
export function hostPath(ctx: DiskCtx, cpanelPath: string): string {
  return join(ctx.root, cpanelPath);
}

/** Write a file (creating parents) directly on the backend, for seeding fixtures. */
export function seed(ctx: DiskCtx, cpanelPath: string, content: string | Uint8Array, mode = 0o644): void {
  const h = hostPath(ctx, cpanelPath);
  ctx.fs.mkdirSync(join(h, '..'), { recursive: true });
  ctx.fs.writeFileSync(h, content, { mode });
  ctx.fs.chmodSync(h, mode);
}

/** Read a file directly from the backend, or undefined. */
export function peek(ctx: DiskCtx, cpanelPath: string): string | undefined {
  try {
    return ctx.fs.readFileSync(hostPath(ctx, cpanelPath), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Let the event loop turn, as it does after every call in a real program. With Node's fs the
 * dot-lock keeps a released lock's temp file for reuse by a back-to-back call and sweeps it at the
 * next turn the host gets back (src/io/lock-temps.ts); tests that inspect a tree right after a call
 * settle first. A turn taken by a call's own pacing yield does not count for that sweep, so on a
 * loaded machine one turn may not be enough: turn until no idle temp is kept (bounded).
 */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 100; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (idleLockTempCount() === 0) return;
  }
}

/** Every path (relative to root) and its content or `<dir>`/`-> target`, for before/after comparisons. */
export function snapshotTree(ctx: DiskCtx, cpanelDir = '/'): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (h: string, rel: string) => {
    let names: string[];
    try {
      names = ctx.fs.readdirSync(h) as string[];
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const hp = join(h, n);
      const r = rel + '/' + n;
      const st = ctx.fs.lstatSync(hp);
      if (st.isSymbolicLink()) out[r] = '-> ' + ctx.fs.readlinkSync(hp);
      else if (st.isDirectory()) {
        out[r] = `<dir ${(st.mode & 0o7777).toString(8)}>`;
        walk(hp, r);
      } else out[r] = `${(st.mode & 0o7777).toString(8)} ${ctx.fs.readFileSync(hp).toString('base64')}`;
    }
  };
  walk(hostPath(ctx, cpanelDir), cpanelDir === '/' ? '' : cpanelDir);
  return out;
}

/** A real temporary directory as a DiskCtx outside `describeOnDisks` (multi-process suites). */
export function tmpdirCtx(diskOptions: Omit<DiskOptions, 'root' | 'fs'> = {}): DiskCtx & { cleanup(): void } {
  const s = (backends.find((b) => b.kind === 'tmpdir') as Backend).setup();
  const ctx = { kind: 'tmpdir', fs: s.fs, root: s.root, cleanup: s.cleanup } as DiskCtx & { cleanup(): void };
  ctx.make = (o = {}) => new Disk({ fs: s.fs, root: s.root, owners: s.owners, ...diskOptions, ...o });
  ctx.disk = ctx.make();
  return ctx;
}

/**
 * Owner assertions need a disk that manages owners (root). As a normal user they cannot run; the
 * skip is made visible (a line on stderr naming the test and the check) instead of vanishing.
 */
export function expectOwners(ctx: DiskCtx, what: string, check: () => void): void {
  if (ctx.disk.owners) {
    check();
    return;
  }
  process.stderr.write(`owner check skipped (the disk does not manage owners; run as root): ${what} [${expect.getState().currentTestName ?? ''}]\n`);
}
