/**
 * What a long-lived map keeps of a stat: its fields, not the port's Stats object. Node 20 builds
 * four Date objects with every `fs.Stats`; a doctor scan of 20,000 accounts kept about 75,000 of
 * them alive until its checks took the bytes they came with (some 55 MB of the scan's live heap,
 * mostly Dates and boxed numbers), and the garbage collector's pauses grew with that heap past the
 * 50 ms the event loop may be held.
 */
import type { PortStats } from './fs-port.js';

/** The file type, asked of the port's object once: memfs and Node agree on these, not on every mode bit. */
const OTHER = 0;
const FILE = 1;
const DIRECTORY = 2;
const SYMLINK = 3;

class KeptStat implements PortStats {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly ino: number;
  readonly dev: number;
  readonly nlink: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  private readonly kind: number;

  constructor(st: PortStats) {
    this.mode = st.mode;
    this.uid = st.uid;
    this.gid = st.gid;
    this.size = st.size;
    this.ino = st.ino;
    this.dev = st.dev;
    this.nlink = st.nlink;
    this.mtimeMs = st.mtimeMs;
    this.ctimeMs = st.ctimeMs;
    this.kind = st.isFile() ? FILE : st.isDirectory() ? DIRECTORY : st.isSymbolicLink() ? SYMLINK : OTHER;
  }

  isFile(): boolean {
    return this.kind === FILE;
  }

  isDirectory(): boolean {
    return this.kind === DIRECTORY;
  }

  isSymbolicLink(): boolean {
    return this.kind === SYMLINK;
  }
}

/** The fields of `st` in a small object of their own (see the file comment). */
export function keptStat(st: PortStats): PortStats {
  return st instanceof KeptStat ? st : new KeptStat(st);
}
