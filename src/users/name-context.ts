/**
 * What `validate_system_user` reads — /etc/passwd, the alias files, cpanel.config and
 * /etc/allowstupidstuff — combined into one `NameContext` that is rebuilt only when one of them
 * changed, plus a memo of the answers per name for that context. This is the daemon's warm path:
 * one clock read and one Map look-up per question.
 */
import type { ColonFile } from './colon-file.js';
import type { CpanelConfigFlags } from './cpanel-config.js';
import { DEFAULT_CPANEL_CONFIG } from './cpanel-config.js';
import { valueOr, type CacheClock, type FileRead, type Watched, type WatchedExistence, type WatchedFile } from './file-cache.js';
import { reservedNameSet } from './reserved.js';
import { systemUserFlags, type NameContext, type SystemUserFlags } from './validate-system-user.js';

/** Memo bounds: longer names are never valid and rare; past the size the memo starts over. */
const MEMO_MAX_NAME = 64;
const MEMO_MAX_SIZE = 100_000;

export interface NameSources {
  passwd: WatchedFile<ColonFile>;
  aliases: WatchedFile<string[]>;
  localAliases: WatchedFile<string[]>;
  config: WatchedFile<CpanelConfigFlags>;
  allowStupidStuff: WatchedExistence;
}

export class NameContextCache {
  private readonly watched: Watched<unknown>[];
  private ctx: NameContext | undefined;
  private generations = '';
  private freshUntil = -Infinity;
  private loading: Promise<NameContext> | undefined;
  private readonly memo = new Map<string, Readonly<SystemUserFlags>>();
  private memoCtx: NameContext | undefined;

  constructor(
    private readonly clock: CacheClock,
    private readonly sources: NameSources,
  ) {
    const s = sources;
    this.watched = [s.passwd, s.aliases, s.localAliases, s.config, s.allowStupidStuff];
  }

  /** The context without I/O while it is fresh, else `undefined`. */
  fresh(): NameContext | undefined {
    return this.clock.now() < this.freshUntil ? this.ctx : undefined;
  }

  /** The fresh context, or one after a check of the sources. */
  current(): NameContext | Promise<NameContext> {
    return this.fresh() ?? this.load();
  }

  /**
   * The last context built, stale or not, starting a background check when it is due (for the
   * synchronous path). `undefined` before the first load.
   */
  lastRevalidating(): NameContext | undefined {
    if (this.ctx !== undefined && this.fresh() === undefined) this.load().catch(() => undefined); // errors resurface on the async path
    return this.ctx;
  }

  /** Check the sources (each stats only when its own interval has passed); concurrent callers share one check. */
  load(): Promise<NameContext> {
    if (this.loading === undefined) {
      const loading = this.reload().finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  /** Make the next question check the sources (they were invalidated by the caller). */
  invalidate(): void {
    this.freshUntil = -Infinity;
    this.loading = undefined;
  }

  /** The flags for a byte-form name, from the memo when this context already answered it. */
  flags(ctx: NameContext, key: string): Readonly<SystemUserFlags> {
    if (ctx !== this.memoCtx) {
      this.memo.clear();
      this.memoCtx = ctx;
    }
    let flags = this.memo.get(key);
    if (flags === undefined) {
      flags = Object.freeze(systemUserFlags(ctx, key)); // frozen: the memo shares it between callers
      if (key.length <= MEMO_MAX_NAME) {
        if (this.memo.size >= MEMO_MAX_SIZE) this.memo.clear();
        this.memo.set(key, flags);
      }
    }
    return flags;
  }

  /** Rebuild the context only when a source's generation moved. */
  private async reload(): Promise<NameContext> {
    const s = this.sources;
    const [passwd, aliases, localAliases, config, allowStupidStuff] = (await Promise.all(this.watched.map((w) => w.current()))) as [
      FileRead<ColonFile>,
      FileRead<string[]>,
      FileRead<string[]>,
      FileRead<CpanelConfigFlags>,
      boolean,
    ];
    const generations = this.watched.map((w) => w.generation).join(',');
    if (this.ctx === undefined || generations !== this.generations) {
      this.ctx = {
        passwd: valueOr(passwd, undefined),
        reservedNames: reservedNameSet([...valueOr(aliases, []), ...valueOr(localAliases, [])]),
        allowStupidStuff,
        databasePrefix: valueOr(config, DEFAULT_CPANEL_CONFIG).databasePrefix,
      };
      this.generations = generations;
    }
    this.freshUntil = Math.min(s.passwd.freshUntil, s.aliases.freshUntil, s.localAliases.freshUntil, s.config.freshUntil, s.allowStupidStuff.freshUntil);
    return this.ctx;
  }
}
