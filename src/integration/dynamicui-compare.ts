/**
 * Whether a DynamicUI file says what the library would write, compared as decoded entries
 * (verified-against-cpanel.md §2): cPanel writes its keys in a random order and its own default
 * image, so bytes differ on every healthy cPanel-written file. Key order does not count, either
 * default image counts as "the default", and `itemorder`/`grouporder` may be a number where we
 * write the string (integration-links.md §3.4). A custom image must match exactly.
 */
import { createHash } from 'node:crypto';
import { decodeStrict, isPlainObject, type JsonValue } from '../io/json-codec.js';
import { DEFAULT_ICON_BASE64 } from './default-icon.js';

/**
 * SHA-256 of the base64 text of cPanel's built-in image (`$DEFAULT_IMAGE` of
 * `Whostmgr::Integration`, integration-links.md §3.6). Only the hash is kept, so the library can
 * recognise cPanel's image in files cPanel wrote without shipping it.
 */
export const CPANEL_DEFAULT_IMAGE_SHA256 = '6e80258d2caf4405613bcb97cca7181f9e8b8f73497efe9313c02bcaeace1522';

/** Either default image: the library's own, or cPanel's (recognised by the hash of its text). */
export function isDefaultImage(value: JsonValue | undefined, cpanelHashes: readonly string[] = [CPANEL_DEFAULT_IMAGE_SHA256]): boolean {
  if (typeof value !== 'string') return false;
  if (value === DEFAULT_ICON_BASE64) return true;
  return cpanelHashes.includes(createHash('sha256').update(value, 'utf8').digest('hex'));
}

const ORDER_KEYS = new Set(['itemorder', 'grouporder']);

function sameValue(key: string, a: JsonValue | undefined, b: JsonValue | undefined, hashes: readonly string[]): boolean {
  if (key === 'base64_png_image' && a !== b && isDefaultImage(a, hashes) && isDefaultImage(b, hashes)) return true;
  if (ORDER_KEYS.has(key) && typeof a === 'number' && typeof b === 'string') return String(a) === b;
  return sameJson(a, b);
}

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (isPlainObject(a) || isPlainObject(b)) return isPlainObject(a) && isPlainObject(b) && sameEntry(a, b, []);
  return a === b;
}

/** Same keys, and the same value for each (with the default-image and order rules above). */
function sameEntry(actual: Record<string, JsonValue>, expected: Record<string, JsonValue>, hashes: readonly string[]): boolean {
  const keys = Object.keys(expected);
  if (Object.keys(actual).length !== keys.length) return false;
  return keys.every((k) => Object.hasOwn(actual, k) && sameValue(k, actual[k], expected[k], hashes));
}

/** Whether the file's bytes `actual` hold the same entries as the bytes `expected` the library would write. */
export function sameDynamicUi(actual: Buffer, expected: Buffer, cpanelHashes: readonly string[] = [CPANEL_DEFAULT_IMAGE_SHA256]): boolean {
  if (actual.equals(expected)) return true;
  let a: JsonValue;
  let e: JsonValue;
  try {
    a = decodeStrict(actual, 'dynamicui');
    e = decodeStrict(expected, 'dynamicui');
  } catch {
    return false; // an unreadable file is stale: a rewrite is what repairs it
  }
  if (!Array.isArray(a) || !Array.isArray(e) || a.length !== e.length) return false;
  return e.every((entry, i) => {
    const got = a[i];
    return isPlainObject(entry) && isPlainObject(got) && sameEntry(got, entry, cpanelHashes);
  });
}
