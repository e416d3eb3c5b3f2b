/**
 * Which keys hold secrets (integration tokens, OIDC client secrets, passwords), so that the
 * messages and diffs that show a key's value show a mask for them instead.
 */
const SECRET_KEY = /secret|token|password|passwd/i;

export const MASK = '********';

/** The secret parameters of the WHM and UAPI functions: a near miss of one masks its value on any call. */
const SECRET_PARAM_NAMES = ['token', 'client_secret', 'password', 'secret'];

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * The value of a key a call does not take, as its warning may show it. A misspelt secret key
 * (`tokn=…`, `configuration={"client_secret":…}`) does not look like a secret's key, so the value
 * is also masked when the key is a near miss (two edits or fewer) of a secret parameter the call
 * takes (`secretParams`) or of any function's (`client_secert`), and when the value names a
 * secret. Other values are shown, as cPanel shows them: `lable=Foo` is most often why a call did
 * not do what was meant.
 */
export function shownIgnoredValue(key: string, value: string, secretParams: readonly string[] = []): string {
  if (value === '') return value;
  const k = key.toLowerCase();
  const nearSecret = [...secretParams, ...SECRET_PARAM_NAMES].some((p) => withinTwoEdits(k, p.toLowerCase()));
  return isSecretKey(key) || nearSecret || SECRET_KEY.test(value) ? MASK : value;
}

/** Whether `a` becomes `b` in at most two insertions, deletions, substitutions or swaps of neighbours. */
function withinTwoEdits(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  // Optimal string alignment distance; names are short, so the table is tiny.
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] as number) + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return (prev[b.length] as number) <= 2;
}
