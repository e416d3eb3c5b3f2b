/**
 * WHM's API-token authentication: `Authorization: whm root:TOKEN` for WHM API 1 and
 * `Authorization: cpanel USER:TOKEN` for UAPI (the call then acts as USER). The server has one
 * token; it is compared in constant time (digests of equal length, `timingSafeEqual`).
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  scheme: 'whm' | 'cpanel';
  user: string;
  token: string;
}

const HEADER = /^(whm|cpanel)\s+([^:\s]+):(\S+)\s*$/i;

export function parseAuthorization(header: string | undefined): Credentials | undefined {
  const m = header === undefined ? null : HEADER.exec(header);
  if (m === null) return undefined;
  return { scheme: (m[1] as string).toLowerCase() as Credentials['scheme'], user: m[2] as string, token: m[3] as string };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time equality whatever the lengths (both sides are hashed first). */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** A new API token: 32 characters of [0-9A-Z], like the tokens WHM issues (randomInt: no modulo bias). */
export function newToken(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from({ length: 32 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

export const MIN_TOKEN_LENGTH = 16;
