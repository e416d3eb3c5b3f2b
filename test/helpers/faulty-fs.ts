/**
 * A wrapping fs that fails chosen calls, in the spirit of write-file-atomic's tests: each rule
 * names an operation, a path predicate and the errno to throw, optionally only on the Nth match.
 * File-handle methods (write, sync) are wrapped too, matched against the path they were opened at.
 */
import type * as nodeFs from 'node:fs';
import { capabilitiesOf, type FsPort } from '../../src/io/fs-port.js';

export interface Fault {
  op: 'open' | 'write' | 'sync' | 'rename' | 'link' | 'unlink' | 'mkdir' | 'chmod' | 'chown' | 'lstat' | 'readFile';
  /** Substring or predicate of the path (for rename: the source path). */
  path?: string | ((p: string) => boolean);
  code: string;
  /** Fail only the nth matching call (1-based); default every call. */
  nth?: number;
}

function errnoError(code: string, op: string, p: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected failure, ${op} '${p}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = p;
  return e;
}

export function faultyFs(base: typeof nodeFs, faults: Fault[]): { fs: typeof nodeFs; calls: string[] } {
  const counts = new Map<Fault, number>();
  const calls: string[] = [];
  // The wrapper declares its base's capabilities, so that a fault test on a real disk runs the
  // production paths (descriptor paths, kept directory handles, filesystem flushes), not memfs's.
  const capabilities = capabilitiesOf(base as unknown as FsPort);
  // Calls name entries through a directory descriptor there (`/proc/self/fd/N/name`): rules and
  // the call log see the path the descriptor stands for.
  const named = (p: string): string => {
    const m = /^\/proc\/self\/fd\/(\d+)(\/.*)?$/.exec(p);
    if (m === null || !capabilities.procFdPaths) return p;
    try {
      return base.readlinkSync(`/proc/self/fd/${m[1]}`) + (m[2] ?? '');
    } catch {
      return p;
    }
  };
  const check = (op: Fault['op'], raw: string) => {
    const p = named(raw);
    calls.push(`${op} ${p}`);
    for (const f of faults) {
      if (f.op !== op) continue;
      const match = f.path === undefined || (typeof f.path === 'string' ? p.includes(f.path) : f.path(p));
      if (!match) continue;
      const n = (counts.get(f) ?? 0) + 1;
      counts.set(f, n);
      if (f.nth === undefined || f.nth === n) throw errnoError(f.code, op, p);
    }
  };
  const bp = base.promises;
  const wrapHandle = (fh: nodeFs.promises.FileHandle, p: string) =>
    new Proxy(fh, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (prop === 'write') return async (...a: unknown[]) => (check('write', p), (v as (...x: unknown[]) => unknown).apply(target, a));
        if (prop === 'sync') return async () => (check('sync', p), (v as () => unknown).apply(target));
        if (prop === 'chmod') return async (m: number) => (check('chmod', p), (v as (m: number) => unknown).call(target, m));
        if (prop === 'chown') return async (u: number, g: number) => (check('chown', p), (v as (u: number, g: number) => unknown).call(target, u, g));
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const promises = new Proxy(bp, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as (...a: unknown[]) => Promise<unknown>;
      if (typeof v !== 'function') return v;
      const name = String(prop);
      return async (...a: unknown[]) => {
        const p = String(a[0]);
        if (['rename', 'link', 'unlink', 'mkdir', 'chmod', 'chown', 'lstat', 'readFile'].includes(name)) check(name as Fault['op'], p);
        else if (name === 'lchown') check('chown', p);
        if (name === 'open') {
          check('open', p);
          const fh = (await v.apply(target, a)) as nodeFs.promises.FileHandle;
          return wrapHandle(fh, p);
        }
        return v.apply(target, a);
      };
    },
  });
  // The synchronous calls of the hot path (and fsync, the callback one), matched by the path
  // they act on; descriptor calls use the path the descriptor was opened at.
  const fdPaths = new Map<number, string>();
  const byPath: Record<string, Fault['op']> = {
    renameSync: 'rename',
    linkSync: 'link',
    unlinkSync: 'unlink',
    mkdirSync: 'mkdir',
    chmodSync: 'chmod',
    lchownSync: 'chown',
    lstatSync: 'lstat',
    readFileSync: 'readFile',
  };
  const byFd: Record<string, Fault['op']> = { writeSync: 'write', fsyncSync: 'sync', fchmodSync: 'chmod', fchownSync: 'chown', readSync: 'readFile' };
  const fs = new Proxy(base, {
    get(target, prop, recv) {
      if (prop === 'promises') return promises;
      if (prop === 'linkstoreCapabilities') return capabilities;
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function') return v;
      const fn = v as (...a: unknown[]) => unknown;
      const name = String(prop);
      if (name === 'openSync') {
        return (...a: unknown[]) => {
          check('open', String(a[0]));
          const fd = fn.apply(target, a) as number;
          fdPaths.set(fd, String(a[0]));
          return fd;
        };
      }
      if (name === 'open') {
        // The thread-pool create of overlapping commits (FsPort.open).
        return (path: string, flags: number, mode: number, cb: (err: Error | null, fd?: number) => void) => {
          calls.push(`pool-open ${path}`);
          try {
            check('open', String(path));
          } catch (e) {
            setImmediate(() => cb(e as Error));
            return;
          }
          fn.call(target, path, flags, mode, (err: Error | null, fd?: number) => {
            if (!err && fd !== undefined) fdPaths.set(fd, String(path));
            cb(err, fd);
          });
        };
      }
      if (name === 'closeSync') {
        return (fd: number) => {
          fdPaths.delete(fd);
          return fn.call(target, fd);
        };
      }
      if (name === 'fsync') {
        return (fd: number, cb: (err: Error | null) => void) => {
          try {
            check('sync', fdPaths.get(fd) ?? `fd:${fd}`);
          } catch (e) {
            setImmediate(() => cb(e as Error));
            return;
          }
          fn.call(target, fd, cb);
        };
      }
      if (name in byPath) return (...a: unknown[]) => (check(byPath[name] as Fault['op'], String(a[0])), fn.apply(target, a));
      if (name in byFd)
        return (...a: unknown[]) => (check(byFd[name] as Fault['op'], fdPaths.get(a[0] as number) ?? `fd:${String(a[0])}`), fn.apply(target, a));
      return fn.bind(target);
    },
  });
  return { fs, calls };
}
