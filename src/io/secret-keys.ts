/**
 * Which keys hold secrets (integration tokens, OIDC client secrets, passwords), so that the
 * messages and diffs that show a key's value show a mask for them instead.
 */
const SECRET_KEY = /secret|token|password|passwd/i;

export const MASK = '********';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `value` as a message may show it for `key`: masked when the key holds a secret and the value is not empty. */
export function shownValue(key: string, value: string): string {
  return value !== '' && isSecretKey(key) ? MASK : value;
}
