/**
 * `importRecords`: apply NDJSON export lines as they stream. Every line is parsed and checked
 * against its record kind's schema as it is read (a bad line fails alone, with its line number and
 * reason); the records are applied in slices of `sliceSize` lines, each slice kind by kind in
 * dependency order — provider enables, client and display configurations, integration groups,
 * integration links (through the batch API), authn links (batched per provider, see
 * authn/import-links.ts). Export writes the kinds in that order, so an exported file imports the
 * same whatever its size; only a dependency that comes more than a slice after its dependants
 * (a provider record after its links) is applied too late for them. Each record is reported as
 * created, replaced, unchanged, conflict (with `noReplace`), skipped (a repeated key) or failed,
 * and each slice's results are handed on in line order once the slice is applied, so a big import
 * holds one slice of records at a time. A phase that fails as a whole marks its own records failed
 * and the next phase still runs.
 */
import type { Linkstore } from '../services.js';
import type { PlannedOp } from '../io/plan.js';
import { isLinkstoreError } from '../io/errors.js';
import { pace } from '../io/pace.js';
import { compareCodePoints, isPlainObject, parseJsonText } from '../io/json-codec.js';
import { schemaValidator } from '../io/schema.js';
import { createLinks, type BatchLinkItem } from '../integration/batch.js';
import { createGroup } from '../integration/links.js';
import { integrationContext } from '../integration/store.js';
import { authnContext } from '../authn/store.js';
import { storedClientConfig, storedDisplayConfig } from '../authn/transfer.js';
import { checkHostnameOption } from '../authn/hostname.js';
import { PROTOCOL, type ImportLinkItem, type UserInfoInput } from '../authn/index.js';
import { RECORD_SCHEMAS, RECORD_TYPES, type TransferRecord } from './records.js';
import { OverlongLine } from './lines.js';

export interface ImportOptions {
  /** Validate and plan every line; write nothing. The report says what would happen. */
  dryRun?: boolean;
  /** Leave differing existing records alone and report them as `conflict`. */
  noReplace?: boolean;
  /** OLD → NEW account names: records of OLD (and email users OLD owns) go to NEW. */
  mapUser?: ReadonlyMap<string, string>;
  /** Host name for client configurations' `redirect_uris` (the exported host is replaced). */
  hostname?: string;
  /**
   * Called as lines settle: (settled, read) over the non-blank lines; `read` grows while the input
   * streams and is the total once it has ended.
   */
  onProgress?: (done: number, total: number) => void;
  /** Called with each slice's results, in line order (every non-blank line exactly once). */
  onResults?: (results: readonly LineResult[]) => void;
  /** Keep every line's result in the summary's `results` (default true; false for a caller that streams them through `onResults`). */
  keepResults?: boolean;
  /** Lines applied at a time (bounds memory on big imports). Default 4096. */
  sliceSize?: number;
}

export type LineStatus = 'created' | 'replaced' | 'unchanged' | 'conflict' | 'skipped' | 'failed';
export const LINE_STATUSES: readonly LineStatus[] = ['created', 'replaced', 'unchanged', 'conflict', 'skipped', 'failed'];

export interface LineResult {
  /** 1-based line number in the input. */
  line: number;
  status: LineStatus;
  type?: TransferRecord['type'];
  /** What the line is about, e.g. `bob/wiki` or `bob google g-123`. */
  key?: string;
  /** Why it conflicts, was skipped or failed. */
  reason?: string;
}

export interface ImportSummary {
  dryRun: boolean;
  /** Non-blank lines read. */
  total: number;
  created: number;
  replaced: number;
  unchanged: number;
  conflict: number;
  skipped: number;
  failed: number;
  /**
   * Providers whose LinkDB (the subject → user index) this import rewrote, or would rewrite, sorted.
   * The records' statuses describe their own files: a LinkDB left behind its per-user DBs (a crash
   * between the two saves) is repaired while every record is `unchanged`, and shows here.
   */
  linkDbs: string[];
  /** The OLD names of `mapUser` that no record named, sorted (most often a typo: nothing was renamed for them). */
  unmapped: string[];
  /** Whether anything on disk changed (or would, in a dry run): a record's files or a LinkDB. */
  changed: boolean;
  /** One result per non-blank line, in line order (empty with `keepResults: false`). */
  results: LineResult[];
}

interface Parsed {
  line: number;
  record: TransferRecord;
}

function describeSchemaError(type: TransferRecord['type'], errors: { instancePath?: string; message?: string }[] | null | undefined): string {
  const e = errors?.[0];
  return `not a valid ${type} record: ${e?.instancePath || 'the record'} ${e?.message ?? 'is not valid'}`;
}

/** Check a decoded line against its kind's schema; returns the record or the reason it is not one. */
export function parseRecord(value: unknown): TransferRecord | string {
  if (!isPlainObject(value)) return 'not a JSON object';
  const t = value.type;
  if (t === undefined) return 'no “type”';
  if (typeof t !== 'string' || !(RECORD_TYPES as readonly string[]).includes(t)) return `unknown type ${JSON.stringify(t)}`;
  const type = t as TransferRecord['type'];
  const check = schemaValidator(RECORD_SCHEMAS[type]);
  if (!check(value)) return describeSchemaError(type, check.errors);
  if (type === 'integration_link') return { ...(value as object), token: (value.token as string | null | undefined) ?? null } as TransferRecord;
  if (type === 'authn_link') {
    return {
      type,
      user: value.user as string,
      sysuser: typeof value.sysuser === 'string' ? value.sysuser : '',
      protocol: (value.protocol as string | undefined) ?? PROTOCOL,
      provider: value.provider as string,
      subject: value.subject as string,
      user_info: (value.user_info ?? {}) as UserInfoInput,
    };
  }
  return value as unknown as TransferRecord;
}

/** What a record is about; two lines with the same key describe the same thing. */
export function keyOf(r: TransferRecord): string {
  switch (r.type) {
    case 'authn_provider':
      return `${r.service} ${r.provider}`;
    case 'authn_client_config':
      return r.provider;
    case 'authn_display_config':
      return `${r.provider} ${r.service}`;
    case 'integration_link':
      return `${r.user}/${r.app}`;
    case 'integration_group':
      return `${r.user}/group_${r.group_id}`;
    case 'authn_link':
      return `${r.user} ${r.provider} ${r.subject}`;
  }
}

/** Rename users on the way in: account names and the owner of email users keep their addresses. */
function mapRecord(r: TransferRecord, map: ReadonlyMap<string, string> | undefined, hostname: string | undefined, mapped: Set<string>): TransferRecord {
  const m = (u: string) => {
    const to = map?.get(u);
    if (to === undefined) return u;
    mapped.add(u);
    return to;
  };
  if (r.type === 'integration_link' || r.type === 'integration_group') return { ...r, user: m(r.user) };
  if (r.type === 'authn_link') return { ...r, user: r.user.includes('@') ? r.user : m(r.user), sysuser: m(r.sysuser) };
  if (r.type === 'authn_client_config' && hostname !== undefined && Array.isArray(r.config.redirect_uris)) {
    const uris = (r.config.redirect_uris as unknown[]).map((u) => (typeof u === 'string' ? u.replace(/^(https?:\/\/)[^/:]+/, `$1${hostname}`) : u));
    return { ...r, config: { ...r.config, redirect_uris: uris } };
  }
  return r;
}

function reasonOf(e: unknown): string {
  if (isLinkstoreError(e)) return `${e.message} (${e.code})`;
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}

/** Split NDJSON bytes into lines at LF, undecoded, so that each line is checked as UTF-8 on its own. */
export function splitLineBytes(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Split NDJSON text into lines (a final line without a newline counts; `\r\n` is accepted). */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The lines' results: settled in any order within a slice, handed on in line order per slice. */
class Report {
  readonly results: LineResult[] = [];
  readonly counts = Object.fromEntries(LINE_STATUSES.map((st) => [st, 0])) as Record<LineStatus, number>;
  changed = false;
  /** Providers whose LinkDB was (or would be) rewritten. */
  readonly linkDbs = new Set<string>();
  /** Non-blank lines read so far. */
  read = 0;
  #pending: LineResult[] = [];
  #done = 0;
  constructor(readonly options: ImportOptions) {}
  settle(p: Parsed | { line: number }, status: LineStatus, reason?: string): void {
    const rec = 'record' in p ? p.record : undefined;
    this.#pending.push({ line: p.line, status, ...(rec ? { type: rec.type, key: keyOf(rec) } : {}), ...(reason !== undefined ? { reason } : {}) });
    if (status === 'created' || status === 'replaced') this.changed = true;
    this.#done++;
    this.options.onProgress?.(this.#done, this.read);
  }
  /** Whether a line has settled in the current slice. */
  settledLines(): Set<number> {
    return new Set(this.#pending.map((r) => r.line));
  }
  /** Hand on the slice's results, in line order. */
  flush(): void {
    const slice = this.#pending.sort((a, b) => a.line - b.line);
    this.#pending = [];
    for (const r of slice) this.counts[r.status]++;
    if (slice.length > 0) this.options.onResults?.(slice);
    if (this.options.keepResults !== false) for (const r of slice) this.results.push(r);
  }
}

/** Input lines: strings, undecoded bytes (see `splitLineBytes`, `lineBytes`), or a line over the length limit. */
export type InputLines = Iterable<string | Uint8Array | OverlongLine> | AsyncIterable<string | Uint8Array | OverlongLine>;

/**
 * One line to a record, or the reason it is not one (a line given as bytes must be UTF-8; a line
 * that is not fails, naming it, and nothing of it is applied). `undefined` for a blank line.
 */
function lineRecord(line: string | Uint8Array | OverlongLine, opts: ImportOptions, mapped: Set<string>): TransferRecord | { failed: string } | undefined {
  if (line instanceof OverlongLine) return { failed: `the line is longer than the limit (${line.bytes} bytes)` };
  let raw: string;
  try {
    raw = typeof line === 'string' ? line : strictUtf8.decode(line);
  } catch {
    return { failed: 'not valid UTF-8' };
  }
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (text.trim() === '') return undefined;
  // Position only: the line may hold a token, which an error message must never quote.
  const json = parseJsonText(text);
  if (!json.ok) return { failed: `not valid JSON: ${json.problem} at column ${json.column}` };
  const r = parseRecord(json.value);
  if (typeof r === 'string') return { failed: r };
  return mapRecord(r, opts.mapUser, opts.hostname, mapped);
}

/**
 * Apply export lines (one NDJSON line per element; line numbers count every element) to `ls`.
 * Lines may be strings or undecoded bytes (see `splitLineBytes` and, for a stream, `lineBytes`).
 * Repeated keys settle as skipped (the first one counts), across the whole input.
 */
export async function importRecords(ls: Linkstore, lines: InputLines, options: ImportOptions = {}): Promise<ImportSummary> {
  if (options.hostname !== undefined) checkHostnameOption(options.hostname, 'The import’s `hostname` option');
  const dryRun = options.dryRun === true;
  // The OLD names of `mapUser` that some record named: one no record names is most often a typo.
  const mapped = new Set<string>();
  const report = new Report(options);
  const size = Math.max(1, options.sliceSize ?? 4096);
  // First line of each key; the keys are flattened so the map holds no string ropes.
  const seen = new Map<string, number>();
  // A dry run has not enabled the providers this import enables: count them as enabled.
  const alsoEnabled = dryRun ? new Set<string>() : undefined;
  let slice: Parsed[] = [];
  const applySlice = async () => {
    const parsed = slice;
    slice = [];
    await applyRecords(ls, parsed, alsoEnabled, options, report);
    report.flush();
  };
  let n = 0;
  for await (const line of lines) {
    n++;
    // Lines given as an array (or any sync iterable) arrive through microtasks only: a slice of
    // 4,096 parsed without a turn held the host's loop for 20–50 ms.
    await pace();
    const r = lineRecord(line, options, mapped);
    if (r === undefined) continue;
    report.read++;
    if ('failed' in r) {
      report.settle({ line: n }, 'failed', r.failed);
      continue;
    }
    const key = flat(`${r.type} ${keyOf(r)}`);
    const first = seen.get(key);
    if (first !== undefined) report.settle({ line: n, record: r }, 'skipped', `the same ${r.type} as line ${first}`);
    else {
      seen.set(key, n);
      slice.push({ line: n, record: r });
      if (r.type === 'authn_provider') alsoEnabled?.add(r.provider.toLowerCase());
    }
    if (slice.length >= size) await applySlice();
  }
  await applySlice();
  options.onProgress?.(report.read, report.read);
  const linkDbs = [...report.linkDbs].sort(compareCodePoints);
  const unmapped = [...(options.mapUser?.keys() ?? [])].filter((u) => !mapped.has(u)).sort(compareCodePoints);
  return { dryRun, total: report.read, ...report.counts, linkDbs, unmapped, changed: report.changed || linkDbs.length > 0, results: report.results };
}

/** A flat copy of a string built by concatenation (a map key kept for the whole import). */
function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** One slice's records, kind by kind in dependency order; a phase that fails fails its own records only. */
async function applyRecords(
  ls: Linkstore,
  parsed: Parsed[],
  alsoEnabled: ReadonlySet<string> | undefined,
  options: ImportOptions,
  report: Report,
): Promise<void> {
  const byType = new Map<TransferRecord['type'], Parsed[]>();
  for (const p of parsed) {
    const list = byType.get(p.record.type) ?? [];
    list.push(p);
    byType.set(p.record.type, list);
  }
  const ofType = <T extends TransferRecord['type']>(t: T) => (byType.get(t) ?? []) as Of<T>[];
  const phases: Array<[TransferRecord['type'], () => Promise<void>]> = [
    ['authn_provider', () => importProviders(ls, ofType('authn_provider'), options, report)],
    ['authn_client_config', () => importClientConfigs(ls, ofType('authn_client_config'), options, report)],
    ['authn_display_config', () => importDisplayConfigs(ls, ofType('authn_display_config'), options, report)],
    ['integration_group', () => importGroups(ls, ofType('integration_group'), options, report)],
    ['integration_link', () => importLinks(ls, ofType('integration_link'), options, report)],
    ['authn_link', () => importAuthnLinks(ls, ofType('authn_link'), alsoEnabled, options, report)],
  ];
  for (const [type, run] of phases) {
    if (!byType.has(type)) continue;
    try {
      await run();
    } catch (e) {
      // The phase failed as a whole: its unsettled records fail with the reason; later phases still run.
      const settled = report.settledLines();
      for (const p of ofType(type)) if (!settled.has(p.line)) report.settle(p, 'failed', reasonOf(e));
    }
    byType.delete(type);
  }
}

type Of<T extends TransferRecord['type']> = Parsed & { record: Extract<TransferRecord, { type: T }> };

/**
 * Whether a mutation changed the record's files. A directory whose mode it repaired on the way
 * is not the record: the first record into a tree repairs it in a real run, while a dry run plans
 * that repair for every record (the disk does not change), so counting it made the two report
 * different statuses.
 */
function filesChanged(r: { changed: boolean; ops?: readonly PlannedOp[] }): boolean {
  return r.ops === undefined ? r.changed : r.ops.some((o) => o.op === 'write' || o.op === 'remove' || o.op === 'rename');
}

/**
 * One record through one mutation: `existed` says whether something is stored under its key.
 * With `noReplace`, an existing record is only compared (a dry run of the mutation).
 */
async function applyOne(
  p: Parsed,
  existed: () => Promise<boolean>,
  run: (dryRun: boolean) => Promise<{ changed: boolean; ops?: readonly PlannedOp[] }>,
  opts: ImportOptions,
  report: Report,
): Promise<void> {
  try {
    const was = await existed();
    if (was && opts.noReplace) {
      const d = filesChanged(await run(true));
      report.settle(p, d ? 'conflict' : 'unchanged', d ? 'differs from what is stored (--no-replace)' : undefined);
      return;
    }
    const r = filesChanged(await run(opts.dryRun === true));
    report.settle(p, !r ? 'unchanged' : was ? 'replaced' : 'created');
  } catch (e) {
    report.settle(p, 'failed', reasonOf(e));
  }
}

async function importProviders(ls: Linkstore, list: Of<'authn_provider'>[], opts: ImportOptions, report: Report): Promise<void> {
  const authn = await ls.authn();
  for (const p of list) {
    const r = p.record;
    await applyOne(
      p,
      async () => (await authn.listEnabledProviders({ service: r.service })).includes(r.provider.toLowerCase()),
      (dryRun) => authn.enableProvider({ service: r.service, provider: r.provider }, { dryRun }),
      opts,
      report,
    );
  }
}

async function importClientConfigs(ls: Linkstore, list: Of<'authn_client_config'>[], opts: ImportOptions, report: Report): Promise<void> {
  const authn = await ls.authn();
  for (const p of list) {
    const { provider, config } = p.record;
    const { redirect_uris, ...fields } = config;
    const uris = Array.isArray(redirect_uris) && redirect_uris.every((u) => typeof u === 'string') ? (redirect_uris as string[]) : undefined;
    await applyOne(
      p,
      async () => (await storedClientConfig(authnContext(authn), provider.toLowerCase())) !== undefined,
      (dryRun) => authn.setClientConfig({ service: 'cpaneld', provider, configurations: fields }, { dryRun, redirectUris: uris }),
      opts,
      report,
    );
  }
}

async function importDisplayConfigs(ls: Linkstore, list: Of<'authn_display_config'>[], opts: ImportOptions, report: Report): Promise<void> {
  const authn = await ls.authn();
  for (const p of list) {
    const { provider, service, config } = p.record;
    await applyOne(
      p,
      async () => (await storedDisplayConfig(authnContext(authn), provider.toLowerCase(), service)) !== undefined,
      (dryRun) => authn.setDisplayConfig({ service, provider, configurations: config }, { dryRun }),
      opts,
      report,
    );
  }
}

/** Names already stored per user (listed once per user, not per record). */
function namesOf(list: (user: string) => Promise<string[]>): (user: string) => Promise<Set<string>> {
  const cache = new Map<string, Promise<Set<string>>>();
  return (user) => {
    let s = cache.get(user);
    if (!s) {
      s = list(user)
        .then((n) => new Set(n))
        .catch(() => new Set<string>());
      cache.set(user, s);
    }
    return s;
  };
}

async function importGroups(ls: Linkstore, list: Of<'integration_group'>[], opts: ImportOptions, report: Report): Promise<void> {
  const ist = await ls.integration();
  const groups = namesOf((u) => ist.listGroups({ user: u }));
  for (const p of list) {
    const r = p.record;
    await applyOne(
      p,
      async () => (await groups(r.user)).has(r.group_id),
      (dryRun) => createGroup(integrationContext(ist), r.user, r.group_id, r.userconfig, { dryRun }),
      opts,
      report,
    );
  }
}

/** Integration links per batch call within a slice. */
const LINKS_PER_BATCH = 512;

async function importLinks(ls: Linkstore, list: Of<'integration_link'>[], opts: ImportOptions, report: Report): Promise<void> {
  const ist = await ls.integration();
  const links = namesOf((u) => ist.listLinks({ user: u }));
  const item = (p: Of<'integration_link'>): BatchLinkItem => {
    const params: Record<string, unknown> = { ...p.record.userconfig };
    if (p.record.token !== null) params.token = p.record.token;
    return { user: p.record.user, app: p.record.app, params };
  };
  // A batch call builds its links' files first: a few hundred at a time keeps them from piling up
  // in the old generation (they live long enough to be promoted), which is what grew the heap.
  for (let at = 0; at < list.length; at += LINKS_PER_BATCH) {
    const part = list.slice(at, at + LINKS_PER_BATCH);
    const existed = await Promise.all(part.map(async (p) => (await links(p.record.user)).has(p.record.app)));
    const compareOnly = opts.noReplace === true;
    const apply = part.filter((_, i) => !(compareOnly && existed[i]));
    const compare = part.filter((_, i) => compareOnly && existed[i]);
    if (compare.length > 0) {
      const res = await createLinks(integrationContext(ist), compare.map(item), { dryRun: true });
      res.results.forEach((r, i) => {
        const p = compare[i] as Of<'integration_link'>;
        if (!r.ok) report.settle(p, 'failed', `${r.error.message} (${r.error.code})`);
        else report.settle(p, r.changed ? 'conflict' : 'unchanged', r.changed ? 'differs from what is stored (--no-replace)' : undefined);
      });
    }
    if (apply.length > 0) {
      const was = new Map(part.map((p, i) => [p, existed[i] as boolean]));
      const res = await createLinks(integrationContext(ist), apply.map(item), { dryRun: opts.dryRun === true });
      res.results.forEach((r, i) => {
        const p = apply[i] as Of<'integration_link'>;
        if (!r.ok) report.settle(p, 'failed', `${r.error.message} (${r.error.code})`);
        else report.settle(p, !r.changed ? 'unchanged' : was.get(p) ? 'replaced' : 'created');
      });
    }
  }
}

async function importAuthnLinks(
  ls: Linkstore,
  list: Of<'authn_link'>[],
  alsoEnabled: ReadonlySet<string> | undefined,
  opts: ImportOptions,
  report: Report,
): Promise<void> {
  if (list.length === 0) return;
  const authn = await ls.authn();
  const items: ImportLinkItem[] = list.map(({ record: r }) => ({
    user: r.user,
    provider: r.provider,
    subject: r.subject,
    userInfo: r.user_info,
    protocol: r.protocol,
  }));
  const results = await authn.importLinks(items, {
    dryRun: opts.dryRun,
    noReplace: opts.noReplace,
    alsoEnabled,
    onLinkDbWrite: (provider) => report.linkDbs.add(provider),
  });
  results.forEach((r, i) => {
    const reason = r.status === 'conflict' ? 'differs from what is stored (--no-replace)' : r.reason;
    report.settle(list[i] as Parsed, r.status, reason);
  });
}
