/**
 * Child processes for multi-process tests: start one (exit listened for from the start, stderr
 * kept for failure messages), wait for a line on its stdout, await its exit, kill what is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Children {
  start(cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Resolves when `text` appears on the child's stdout; rejects if it exits first. */
  waitLine(c: ChildProcess, text: string): Promise<void>;
  /** The child's exit code (listened for since it started, so an early exit is not missed). */
  exited(c: ChildProcess): Promise<number | null>;
  stderrOf(c: ChildProcess): string;
  /** SIGKILL every child still running; call from afterEach. */
  killAll(): void;
}

export function children(): Children {
  const all: ChildProcess[] = [];
  const exits = new WeakMap<ChildProcess, Promise<number | null>>();
  const errs = new WeakMap<ChildProcess, string[]>();
  return {
    start(cmd, args, env) {
      const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
      all.push(c);
      const err: string[] = [];
      errs.set(c, err);
      c.stderr!.on('data', (d: Buffer) => err.push(d.toString()));
      exits.set(c, new Promise((r) => c.on('exit', (code) => r(code))));
      return c;
    },
    waitLine(c, text) {
      return new Promise<void>((resolve, reject) => {
        let buf = '';
        c.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes(text)) resolve();
        });
        c.on('exit', (code) => reject(new Error(`child exited ${code} before "${text}": ${(errs.get(c) ?? []).join('')}`)));
      });
    },
    exited: (c) => exits.get(c) as Promise<number | null>,
    stderrOf: (c) => (errs.get(c) ?? []).join(''),
    killAll() {
      for (const c of all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      all.length = 0;
    },
  };
}
