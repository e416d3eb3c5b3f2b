/**
 * Output formats: whmapi1's YAML (default), compact JSON and pretty JSON. The YAML writer covers
 * what our envelopes contain (maps, lists, strings, numbers, booleans, null) and quotes any string
 * a YAML reader could mistake for something else.
 */
import type { OutputFormat } from './args.js';

const PLAIN = /^[A-Za-z0-9_./@:+-][A-Za-z0-9_ ./@:+-]*$/;
const AMBIGUOUS = /^(?:~|null|true|false|yes|no|on|off|y|n|[-+]?(?:\d[\d_]*)?\.?\d+(?:e[-+]?\d+)?|0x[0-9a-f]+|0o[0-7]+|\.inf|\.nan)$/i;

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return '~';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  if (s !== '' && PLAIN.test(s) && !AMBIGUOUS.test(s) && !s.endsWith(' ') && !s.includes(': ') && !s.startsWith('- ')) return s;
  return JSON.stringify(s);
}

function yamlKey(k: string): string {
  return k !== '' && PLAIN.test(k) && !AMBIGUOUS.test(k) && !k.includes(': ') ? k : JSON.stringify(k);
}

function yamlNode(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const e of v) {
      if (e !== null && typeof e === 'object' && Object.keys(e).length > 0) {
        out.push(`${indent}-`);
        yamlNode(e, indent + '  ', out);
      } else out.push(`${indent}- ${emptyOrScalar(e)}`);
    }
    return;
  }
  for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
    if (e === undefined) continue;
    if (e !== null && typeof e === 'object' && Object.keys(e).length > 0) {
      out.push(`${indent}${yamlKey(k)}:`);
      yamlNode(e, indent + '  ', out);
    } else out.push(`${indent}${yamlKey(k)}: ${emptyOrScalar(e)}`);
  }
}

function emptyOrScalar(e: unknown): string {
  if (Array.isArray(e)) return '[]';
  if (e !== null && typeof e === 'object') return '{}';
  return yamlScalar(e);
}

export function toYaml(v: unknown): string {
  const out = ['---'];
  if (v !== null && typeof v === 'object' && Object.keys(v).length > 0) yamlNode(v, '', out);
  else out[0] = `--- ${emptyOrScalar(v)}`;
  return out.join('\n') + '\n';
}

export function format(v: unknown, fmt: OutputFormat): string {
  switch (fmt) {
    case 'json':
      return JSON.stringify(v) + '\n';
    case 'jsonpretty':
      return JSON.stringify(v, null, 2) + '\n';
    default:
      return toYaml(v);
  }
}
