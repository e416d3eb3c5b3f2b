/**
 * `importRecords`: apply NDJSON export lines. Every line is parsed and checked first (a bad line
 * fails alone, with its line number and reason); then groups are created (links may name them),
 * then all integration links go through the batch API (one lock per user, directory fsyncs
 * amortised), then the authn links. A record whose data is already stored is skipped.
 */
import type { Linkstore } from '../services.js';
import { isLinkstoreError } from '../io/errors.js';
import { encodeCompact, isPlainObject, parseJsonText } from '../io/json-codec.js';
import type { BatchLinkItem } from '../integration/index.js';
import { PROTOCOL } from '../authn/index.js';
import type { UserInfoInput } from '../authn/index.js';
import { authnRecords } from './export.js';
import type { AuthnLinkRecord, IntegrationGroupRecord, IntegrationLinkRecord, TransferRecord } from './records.js';

export interface ImportOptions {
  /** Validate and plan every line; write nothing. */
  dryRun?: boolean;
  /** Called as lines settle: (settled, total) over the non-blank lines. */
  onProgress?: (done: number, total: number) => void;
}

export type LineStatus = 'applied' | 'skipped' | 'failed';

export interface LineResult {
  /** 1-based line number in the input. */
  line: number;
  status: LineStatus;
  type?: TransferRecord['type'];
  /** What the line is about, e.g. `bob/wiki` or `bob google g-123`. */
  key?: string;
  /** Why it was skipped or failed. */
  reason?: string;
}

export interface ImportSummary {
  dryRun: boolean;
  /** Non-blank lines read. */
  total: number;
  applied: number;
  skipped: number;
  failed: number;
  /** Lines that were skipped or failed, in line order (applied lines are only counted). */
  problems: LineResult[];
}

interface Parsed {
  line: number;
  record: TransferRecord;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** Check a decoded line's shape; returns the record or the reason it is not one. */
export function parseRecord(value: unknown): TransferRecord | string {
  if (!isPlainObject(value)) return 'not a JSON object';
  const t = value.type;
  if (t === 'integration_link') {
    if (!isString(value.user) || !isString(value.app)) return 'an integration_link needs “user” and “app” strings';
    if (!isPlainObject(value.userconfig)) return 'an integration_link needs a “userconfig” object';
    if (value.token !== undefined && value.token !== null && typeof value.token !== 'string') return '“token” must be a string or null';
    return {
      type: t,
      user: value.user,
      app: value.app,
      userconfig: value.userconfig as IntegrationLinkRecord['userconfig'],
      token: (value.token as string | null | undefined) ?? null,
    };
  }
  if (t === 'integration_group') {
    if (!isString(value.user) || !isString(value.group_id)) return 'an integration_group needs “user” and “group_id” strings';
    if (!isPlainObject(value.userconfig)) return 'an integration_group needs a “userconfig” object';
    return { type: t, user: value.user, group_id: value.group_id, userconfig: value.userconfig as IntegrationGroupRecord['userconfig'] };
  }
  if (t === 'authn_link') {
    for (const k of ['user', 'provider', 'subject'] as const) if (!isString(value[k])) return `an authn_link needs a “${k}” string`;
    if (value.protocol !== undefined && typeof value.protocol !== 'string') return '“protocol” must be a string';
    if (value.user_info !== undefined && !isPlainObject(value.user_info)) return '“user_info” must be an object';
    return {
      type: t,
      user: value.user as string,
      sysuser: typeof value.sysuser === 'string' ? value.sysuser : '',
      protocol: (value.protocol as string | undefined) ?? PROTOCOL,
      provider: value.provider as string,
      subject: value.subject as string,
      user_info: (value.user_info ?? {}) as UserInfoInput,
    };
  }
  return t === undefined ? 'no “type”' : `unknown type ${JSON.stringify(t)}`;
}

function keyOf(r: TransferRecord): string {
  if (r.type === 'integration_link') return `${r.user}/${r.app}`;
  if (r.type === 'integration_group') return `${r.user}/group_${r.group_id}`;
  return `${r.user} ${r.provider} ${r.subject}`;
}

function reasonOf(e: unknown): string {
  if (isLinkstoreError(e)) return `${e.message} (${e.code})`;
  throw e;
}

const same = (a: unknown, b: unknown): boolean => encodeCompact(a) === encodeCompact(b);

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

/**
 * Apply export lines (one NDJSON line per element; line numbers count every element) to `ls`.
 * A line given as bytes must be UTF-8 (a line that is not fails, naming it; nothing of it is applied).
 */
export async function importRecords(
  ls: Linkstore,
  lines: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const dryRun = options.dryRun === true;
  const results: LineResult[] = [];
  const parsed: Parsed[] = [];
  let n = 0;
  for await (const line of lines) {
    n++;
    let raw: string;
    try {
      raw = typeof line === 'string' ? line : strictUtf8.decode(line);
    } catch {
      results.push({ line: n, status: 'failed', reason: 'not valid UTF-8' });
      continue;
    }
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') continue;
    // Position only: the line may hold a token, which an error message must never quote.
    const json = parseJsonText(text);
    if (!json.ok) {
      results.push({ line: n, status: 'failed', reason: `not valid JSON: ${json.problem} at column ${json.column}` });
      continue;
    }
    const r = parseRecord(json.value);
    if (typeof r === 'string') results.push({ line: n, status: 'failed', reason: r });
    else parsed.push({ line: n, record: r });
  }
  const total = results.length + parsed.length;
  let done = results.length;
  const settle = (res: LineResult) => {
    results.push(res);
    done++;
    options.onProgress?.(done, total);
  };
  options.onProgress?.(done, total);

  const ist = await ls.integration();
  const authn = await ls.authn();
  const base = (p: Parsed): LineResult => ({ line: p.line, status: 'applied', type: p.record.type, key: keyOf(p.record) });

  // 1. Groups, one at a time (few, and links may name them).
  for (const p of parsed.filter((x) => x.record.type === 'integration_group')) {
    const r = p.record as IntegrationGroupRecord;
    try {
      const current = await ist.getGroupUserConfig(r.user, r.group_id).catch(() => undefined);
      if (current !== undefined && same(current, r.userconfig)) settle({ ...base(p), status: 'skipped', reason: 'already present with the same content' });
      else {
        await ist.createGroup(r.user, r.group_id, r.userconfig, { dryRun });
        settle(base(p));
      }
    } catch (e) {
      settle({ ...base(p), status: 'failed', reason: reasonOf(e) });
    }
  }

  // 2. Links through the batch API.
  const batch: { p: Parsed; item: BatchLinkItem }[] = [];
  for (const p of parsed.filter((x) => x.record.type === 'integration_link')) {
    const r = p.record as IntegrationLinkRecord;
    const current = await ist
      .getLinkUserConfig(r.user, r.app)
      .then(async (u) => ({ u, t: await ist.readToken(r.user, r.app) }))
      .catch(() => undefined);
    if (current !== undefined && same(current.u, r.userconfig) && current.t === r.token) {
      settle({ ...base(p), status: 'skipped', reason: 'already present with the same content' });
      continue;
    }
    const params: Record<string, unknown> = { ...r.userconfig };
    if (r.token !== null) params.token = r.token;
    batch.push({ p, item: { user: r.user, app: r.app, params } });
  }
  if (batch.length > 0) {
    const startDone = done;
    const res = await ist.createLinks(
      batch.map((b) => b.item),
      { dryRun, onProgress: (d) => options.onProgress?.(startDone + d, total) },
    );
    res.results.forEach((r, i) => {
      const p = (batch[i] as { p: Parsed }).p;
      results.push(r.ok ? base(p) : { ...base(p), status: 'failed', reason: `${r.error.message} (${r.error.code})` });
    });
    done = startDone + batch.length;
    options.onProgress?.(done, total);
  }

  // 3. Authn links, each a cPanel Transaction on the per-user DB and the LinkDB.
  for (const p of parsed.filter((x) => x.record.type === 'authn_link')) {
    const r = p.record as AuthnLinkRecord;
    try {
      const links = await authn.getAuthnLinks(r.user).catch(() => []);
      const exists = links.some((l) => l.provider_protocol === r.protocol && l.provider_id === r.provider && l.subject_unique_identifier === r.subject);
      if (exists && (await storedInfoEquals(ls, r))) {
        settle({ ...base(p), status: 'skipped', reason: 'already present with the same content' });
        continue;
      }
      await authn.linkUserAuthnProvider({ user: r.user, provider: r.provider, subject: r.subject, userInfo: r.user_info, protocol: r.protocol }, { dryRun });
      settle(base(p));
    } catch (e) {
      settle({ ...base(p), status: 'failed', reason: reasonOf(e) });
    }
  }

  results.sort((a, b) => a.line - b.line);
  const count = (s: LineStatus) => results.filter((r) => r.status === s).length;
  return {
    dryRun,
    total,
    applied: count('applied'),
    skipped: count('skipped'),
    failed: count('failed'),
    problems: results.filter((r) => r.status !== 'applied'),
  };
}

/** Whether the stored user_info of an existing authn link equals the record's. */
async function storedInfoEquals(ls: Linkstore, r: AuthnLinkRecord): Promise<boolean> {
  const sysuser = r.sysuser !== '' ? r.sysuser : r.user;
  const stored = (await authnRecords(ls, sysuser)).find(
    (x): x is AuthnLinkRecord =>
      x.type === 'authn_link' && x.user === r.user && x.protocol === r.protocol && x.provider === r.provider && x.subject === r.subject,
  );
  return stored !== undefined && same(stored.user_info, r.user_info);
}
