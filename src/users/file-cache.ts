/**
 * Change-detecting caches for the files the users module reads, so a daemon can ask millions of
 * questions without re-reading /etc/passwd each time.
 *
 * A cached value is trusted until `clock.now()` passes `freshUntil` (last check + the interval);
 * then one cheap `stat` decides: same size + mtime + inode (+ device) → keep the parsed value,
 * anything else → read and parse again. The stat is taken *before* the read, so a change racing
 * with the read can only cause one extra re-read later, never a stale value under a new signature.
 * Concurrent callers share one check (single flight).
 */
// Direct module imports, not the io barrel: a username check must not load the writers (start-up).
import type { Disk } from '../io/disk.js';
import { LinkstoreError, errnoCode, ioError, isLinkstoreError } from '../io/errors.js';
import type { PortStats } from '../io/fs-port.js';
import { bytesToKeyText } from './bytes.js';

/** Time source and check interval shared by every cache of one `Users`. */
export interface CacheClock {
  now(): number;
  /** Minimum time between two stats of the same file; 0 = stat on every question. */
  intervalMs: number;
}

/** What reading a file gave. Callers decide what missing/unreadable mean (the spec differs per caller). */
export type FileRead<T> = { status: 'ok'; value: T } | { status: 'missing' } | { status: 'unreadable'; error: LinkstoreError };

/** The value of a successful read, else `fallback` (for callers to whom missing and unreadable mean the same). */
export function valueOr<T, F>(r: FileRead<T>, fallback: F): T | F {
  // A file over its read limit is not "unreadable" in cPanel's sense (cPanel would read it line by
  // line and find a name at its top): answering from the fallback would be a wrong answer, so it
  // is an error (E_CORRUPT_FILE, too large) whatever the question.
  if (r.status === 'unreadable' && r.error.code === 'E_CORRUPT_FILE') throw r.error;
  return r.status === 'ok' ? r.value : fallback;
}

function signature(st: PortStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.isFile() ? 'f' : st.isDirectory() ? 'd' : 'o'}`;
}

/** Whether a Disk error means "nothing there" (including a symlink that points to nothing). */
export function isAbsence(e: unknown): boolean {
  const c = errnoCode(e);
  return c === 'ENOENT' || c === 'ENOTDIR' || (isLinkstoreError(e, 'E_SYMLINK') && /points to nothing/.test(e.message));
}

function asLinkstoreError(e: unknown, path: string): LinkstoreError {
  return e instanceof LinkstoreError ? e : ioError(e, 'read', path);
}

/**
 * The freshness machinery shared by every cache: interval, single flight, generation counter.
 * Subclasses say how to fingerprint the source (`sign`) and how to load it (`load`).
 */
export abstract class Watched<T> {
  /** Bumped whenever the value is replaced, so derived caches know when to rebuild. */
  generation = 0;
  /** `clock.now()` before which the current value is served without any I/O. */
  freshUntil = -Infinity;
  private value: T | undefined;
  private sig: string | undefined;
  private inflight: Promise<T> | undefined;
  /** Bumped by `invalidate`, so a check that started before it cannot store what it saw. */
  private epoch = 0;

  constructor(protected readonly clock: CacheClock) {}

  /** The fingerprint of the source now, or `undefined` when it cannot be trusted (always reload). */
  protected abstract sign(): Promise<string | undefined>;
  /** Load the value (`sig` is what `sign` just saw); `cacheable` false means "try again at the next check". */
  protected abstract load(sig: string | undefined): Promise<{ value: T; cacheable: boolean }>;

  /** The value without I/O when it is still fresh, else `undefined`. */
  peek(): T | undefined {
    return this.clock.now() < this.freshUntil ? this.value : undefined;
  }

  /** The value, after a stat when the interval has passed (and a re-read when the file changed). */
  current(): Promise<T> {
    const fresh = this.peek();
    if (fresh !== undefined) return Promise.resolve(fresh);
    if (this.inflight === undefined) {
      const flight = this.check().finally(() => {
        if (this.inflight === flight) this.inflight = undefined;
      });
      this.inflight = flight;
    }
    return this.inflight;
  }

  /** Forget the value: the next question stats and reads again. */
  invalidate(): void {
    this.epoch++;
    this.value = undefined;
    this.sig = undefined;
    this.freshUntil = -Infinity;
    this.inflight = undefined;
  }

  private async check(): Promise<T> {
    const epoch = this.epoch;
    const started = this.clock.now();
    const sig = await this.sign();
    const changed = sig === undefined || sig !== this.sig || this.value === undefined;
    const loaded = changed ? await this.load(sig) : undefined;
    if (epoch !== this.epoch) return this.current(); // invalidated meanwhile: what we saw may be old
    if (loaded !== undefined) {
      this.value = loaded.value;
      this.sig = loaded.cacheable ? sig : undefined;
      this.generation++;
    }
    // A load that may not be kept (the file could not be read) is not fresh either: the next
    // question tries again instead of being served the failure for an interval.
    this.freshUntil = loaded?.cacheable === false ? -Infinity : started + this.clock.intervalMs;
    return this.value as T;
  }
}

/** A file read whole and parsed from its one-char-per-byte text (see bytes.ts). */
export class WatchedFile<T> extends Watched<FileRead<T>> {
  constructor(
    clock: CacheClock,
    private readonly disk: Disk,
    readonly path: string,
    private readonly parse: (text: string) => T,
  ) {
    super(clock);
  }

  protected async sign(): Promise<string | undefined> {
    try {
      const st = await this.disk.statPath(this.path);
      return st === undefined ? 'missing' : signature(st);
    } catch (e) {
      return isAbsence(e) ? 'missing' : undefined;
    }
  }

  protected async load(sig: string | undefined): Promise<{ value: FileRead<T>; cacheable: boolean }> {
    if (sig === 'missing') return { value: { status: 'missing' }, cacheable: true }; // no second look
    try {
      const bytes = await this.disk.readFile(this.path);
      if (bytes === undefined) return { value: { status: 'missing' }, cacheable: true };
      return { value: { status: 'ok', value: this.parse(bytesToKeyText(bytes)) }, cacheable: true };
    } catch (e) {
      if (isAbsence(e)) return { value: { status: 'missing' }, cacheable: true };
      return { value: { status: 'unreadable', error: asLinkstoreError(e, this.path) }, cacheable: false };
    }
  }
}

/**
 * Whether a path exists, any file type, following symlinks (a dangling one counts as absent):
 * Perl's `-e`, as cPanel uses it for /etc/allowstupidstuff. Any error also counts as absent.
 */
export class WatchedExistence extends Watched<boolean> {
  constructor(
    clock: CacheClock,
    private readonly disk: Disk,
    readonly path: string,
  ) {
    super(clock);
  }

  private last = false;

  /** The stat is the whole answer, so `load` reuses what `sign` just saw. */
  protected async sign(): Promise<string> {
    try {
      this.last = (await this.disk.statPath(this.path)) !== undefined;
    } catch {
      this.last = false;
    }
    return String(this.last);
  }

  protected async load(): Promise<{ value: boolean; cacheable: boolean }> {
    return { value: this.last, cacheable: true };
  }
}
