/**
 * Names are byte strings in cPanel (spec §11.6): nothing is trimmed, lower-cased or normalized,
 * and a JS string is compared as its UTF-8 bytes. We hold every file as a *latin1* string (one
 * char per byte), so "byte-exact" becomes plain string equality, and we map a caller's name to
 * the same one-char-per-byte form before comparing. For ASCII (the usual case) both mappings are
 * the identity, which keeps the hot path free of allocations.
 */

/** A name from a caller: a JS string (compared as UTF-8) or raw bytes. */
export type NameInput = string | Uint8Array;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The one-char-per-byte form of a caller's name, comparable with file contents. */
export function byteKey(name: NameInput): string {
  if (typeof name === 'string') return isAscii(name) ? name : Buffer.from(name, 'utf8').toString('latin1');
  return Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('latin1');
}

/** File bytes as a one-char-per-byte string. */
export function bytesToKeyText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Back from the byte form to readable text (UTF-8), for values handed to other modules. */
export function keyToText(key: string): string {
  return isAscii(key) ? key : Buffer.from(key, 'latin1').toString('utf8');
}

/** How a caller's name appears inside cPanel's messages: as given, or its bytes read as UTF-8. */
export function displayName(name: NameInput): string {
  return typeof name === 'string' ? name : Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('utf8');
}

/** Perl truthiness of a string: only "" and "0" are false. */
export function perlFalse(s: string | undefined): boolean {
  return s === undefined || s === '' || s === '0';
}
