/**
 * Per-file before/after for `apply --diff`, with secrets masked: JSON files are shown
 * pretty-printed with every value under a key that names a secret (token, client_secret,
 * password…) replaced, so a diff can go into a CI log.
 */
import { MASK, isSecretKey } from '../io/secret-keys.js';

export interface FileDiff {
  /** cPanel path of the file or directory. */
  path: string;
  op: 'write' | 'remove' | 'mkdir' | 'chmod' | 'chown' | 'rmdir' | 'rename';
  /** Content before (masked), null when the file does not exist; absent for directory operations. */
  before?: string | null;
  /** Content after (masked), null when the file is removed. */
  after?: string | null;
  mode?: string;
}

export { MASK };

function maskValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskValue);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, e] of Object.entries(v)) out[k] = isSecretKey(k) && typeof e === 'string' && e !== '' ? MASK : maskValue(e);
  return out;
}

/** Masked display text of a file's bytes (`secretFile`: mode 0600, hidden when it is not JSON). */
export function maskedText(content: Uint8Array | undefined, secretFile: boolean): string | null {
  if (content === undefined) return null;
  const text = Buffer.from(content).toString('utf8');
  try {
    return JSON.stringify(maskValue(JSON.parse(text)), null, 2) + '\n';
  } catch {
    return secretFile ? `(${content.length} bytes of a private file, not shown)\n` : text;
  }
}

function lines(text: string | null | undefined): string[] {
  if (text === null || text === undefined || text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** A unified-style listing: the unchanged head and tail are trimmed to one line of context. */
export function renderFileDiff(d: FileDiff): string {
  if (d.before === undefined && d.after === undefined) return `${d.op} ${d.path}${d.mode ? ` (${d.mode})` : ''}\n`;
  const a = lines(d.before);
  const b = lines(d.after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out = [`--- ${d.before === null ? '/dev/null' : d.path}`, `+++ ${d.after === null ? '/dev/null' : d.path}${d.mode ? ` (${d.mode})` : ''}`];
  if (head > 0) out.push(`  ${a[head - 1] as string}`);
  for (const l of a.slice(head, a.length - tail)) out.push(`- ${l}`);
  for (const l of b.slice(head, b.length - tail)) out.push(`+ ${l}`);
  if (tail > 0) out.push(`  ${a[a.length - tail] as string}`);
  return out.join('\n') + '\n';
}
