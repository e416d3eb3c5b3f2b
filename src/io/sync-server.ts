/**
 * A long-lived `sh` that runs `sync -f DIR` on request, so a filesystem flush costs one line on a
 * pipe instead of a child process of this one. Spawning is a synchronous fork of the whole
 * process: with a daemon's heap it held the event loop for 2–7 ms per flush, and overlapping
 * commits flush several times a second.
 *
 * The shell is started on the first flush and reused; it never keeps the host alive (it and its
 * pipes are unref'd while no request waits), ends when our end of its stdin closes (at exit), and
 * is replaced when it dies. A request that times out kills it, and every failure answers false,
 * so the caller falls back to fsync: a flush through this server is never less durable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** `$0` is the sync binary; one exit status per line read. */
const SCRIPT = 'while IFS= read -r d; do "$0" -f "$d" </dev/null >/dev/null 2>&1; echo $?; done';

interface Waiter {
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

interface Server {
  child: ChildProcess;
  stdin: Writable & { unref?: () => void };
  stdout: Readable & { ref?: () => void; unref?: () => void };
  waiting: Waiter[];
  buffered: string;
}

let server: Server | undefined;
/** Set when the shell cannot be started at all: callers then spawn `sync` themselves. */
let unusable = false;

function finish(s: Server, ok: boolean): void {
  const w = s.waiting.shift();
  if (w === undefined) return;
  clearTimeout(w.timer);
  w.resolve(ok);
  if (s.waiting.length === 0) idle(s);
}

function idle(s: Server): void {
  s.child.unref();
  s.stdout.unref?.();
}

function busy(s: Server): void {
  s.child.ref();
  s.stdout.ref?.();
}

/** The shell died or misbehaved: answer false to everyone waiting and start afresh next time. */
function discard(s: Server): void {
  if (server === s) server = undefined;
  for (const w of s.waiting.splice(0)) {
    clearTimeout(w.timer);
    w.resolve(false);
  }
  s.stdin.destroy();
  s.stdout.destroy();
  s.child.kill('SIGKILL');
  s.child.unref();
}

function start(binary: string): Server | undefined {
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', SCRIPT, binary], { stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    unusable = true;
    return undefined;
  }
  const s: Server = { child, stdin: child.stdin as Writable, stdout: child.stdout as Server['stdout'], waiting: [], buffered: '' };
  // Our writes are never waited on by the loop: the reply on stdout (ref'd while waited for) is.
  s.stdin.unref?.();
  s.stdout.setEncoding('utf8');
  s.stdout.on('data', (chunk: string) => {
    s.buffered += chunk;
    for (let nl = s.buffered.indexOf('\n'); nl !== -1; nl = s.buffered.indexOf('\n')) {
      const line = s.buffered.slice(0, nl);
      s.buffered = s.buffered.slice(nl + 1);
      finish(s, line.trim() === '0');
    }
  });
  child.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') unusable = true;
    discard(s);
  });
  child.on('exit', () => discard(s));
  s.stdin.on('error', () => discard(s));
  idle(s);
  return s;
}

/**
 * Flush the filesystem of each directory, one after another; resolves true when all succeeded,
 * false when any failed or the server is unavailable (undefined: not usable here, spawn instead).
 */
export function syncThroughServer(binary: string, dirs: readonly string[], timeoutMs: number): Promise<boolean> | undefined {
  if (unusable || dirs.some((d) => d.includes('\n'))) return undefined;
  const s = server ?? (server = start(binary));
  if (s === undefined) return undefined;
  busy(s);
  const one = (dir: string) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => discard(s), timeoutMs);
      s.waiting.push({ resolve, timer });
      s.stdin.write(`${dir}\n`);
    });
  return Promise.all(dirs.map(one)).then((all) => all.every(Boolean));
}

/** Whether a flush server is running (for tests). */
export function syncServerRunning(): boolean {
  return server !== undefined;
}
