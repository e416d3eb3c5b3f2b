/**
 * What the two symlink-race suites share: the C racer that exchanges a managed directory with a
 * symlink to an outside copy of it (`renameat2(RENAME_EXCHANGE)` in a loop), and the fingerprint
 * of the outside tree compared before and after.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Every entry below `dir`: type, mode, size, inode, mtime and a hash of the content. */
export function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const n of nodeFs.readdirSync(d).sort()) {
      const p = join(d, n);
      const st = nodeFs.lstatSync(p);
      const content = st.isFile() ? createHash('sha256').update(nodeFs.readFileSync(p)).digest('hex') : st.isSymbolicLink() ? nodeFs.readlinkSync(p) : '';
      out.set(`${rel}/${n}`, `${st.mode.toString(8)} ${st.size} ${st.ino} ${st.mtimeMs} ${content}`);
      if (st.isDirectory()) walk(p, `${rel}/${n}`);
    }
  };
  walk(dir, '');
  return out;
}

/** Compile exchange-racer.c into `work`; returns the binary's path. */
export function compileRacer(work: string): string {
  const racer = join(work, 'exchange-racer');
  const cc = spawnSync('cc', ['-O2', '-o', racer, join(here, 'exchange-racer.c')], { encoding: 'utf8' });
  expect(cc.status, `the C compiler is needed for this suite: ${cc.stderr}`).toBe(0);
  return racer;
}

export interface Exchange {
  /** The symlink to the outside copy that the racer swaps with the directory. */
  swap: string;
  /** Whether the racer is still exchanging. */
  running(): boolean;
  /** Wait for the racer; its exchange count and the entries changed outside since the start. */
  finish(): Promise<{ swaps: number; changedOutside: number; before: Map<string, string>; after: Map<string, string> }>;
}

/**
 * Copy the directory `host` into `outside`, then exchange it with a symlink to that copy for `ms`
 * milliseconds: a write that followed the symlink would succeed there and show in the fingerprint.
 */
/**
 * Every `SECRET` in the copy's files becomes `OUTSID` (same length, so sizes and JSON stay valid):
 * a read that answers with `OUTSID` read the copy outside the root.
 */
function markOutside(dir: string): void {
  for (const e of nodeFs.readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) markOutside(p);
    else if (e.isFile()) {
      const text = nodeFs.readFileSync(p, 'latin1');
      if (text.includes('SECRET')) nodeFs.writeFileSync(p, text.replaceAll('SECRET', 'OUTSID'), 'latin1');
    }
  }
}

export function startExchange(racer: string, host: string, outside: string, ms: number): Exchange {
  const copy = join(outside, 'copy');
  expect(spawnSync('cp', ['-a', host, copy]).status).toBe(0);
  markOutside(copy);
  const swap = `${host}.swap`;
  nodeFs.symlinkSync(copy, swap);
  const before = fingerprint(outside);
  const child = spawn(racer, [host, swap, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  let running = true;
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  void exited.then(() => (running = false));
  return {
    swap,
    running: () => running,
    async finish() {
      expect(await exited).toBe(0);
      const after = fingerprint(outside);
      const changedOutside = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).length;
      return { swaps: Number(out.trim()), changedOutside, before, after };
    },
  };
}
