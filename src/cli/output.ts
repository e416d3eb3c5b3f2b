/**
 * Output formats: whmapi1's YAML (default), compact JSON and pretty JSON. The YAML writer covers
 * what our envelopes contain (maps, lists, strings, numbers, booleans, null) and quotes any string
 * a YAML reader could mistake for something else.
 */
import type { OutputFormat } from './args.js';

/**
 * Strings written without quotes: they start with a letter, `_` or `/` (never with an indicator
 * such as `@`, `-`, `:` or with a digit, `+` or `.`, which YAML 1.1 readers take for numbers,
 * sexagesimals like `1:20`, binaries like `0b101` or dates), hold only safe characters, and do
 * not end with `:`. Everything else is quoted (JSON strings are valid YAML).
 */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_ ./@:+-]*$/;
// Words YAML 1.1 reads as booleans or null, and an exponent alone (`E0`), which some readers take for a float.
const AMBIGUOUS = /^(?:null|true|false|yes|no|on|off|y|n|e[-+]?[0-9_]+)$/i;

function plain(s: string): boolean {
  return PLAIN.test(s) && !AMBIGUOUS.test(s) && !s.endsWith(' ') && !s.endsWith(':') && !s.includes(': ') && !s.includes(' #');
}

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return '~';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  return plain(s) ? s : JSON.stringify(s);
}

function yamlKey(k: string): string {
  return plain(k) ? k : JSON.stringify(k);
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
