/**
 * Maps keyed by data (subjects, user names, provider ids, JSON keys read from a file) as
 * null-prototype objects. A key such as `__proto__`, `constructor` or `toString` is then an
 * ordinary key: reading a missing one gives `undefined` instead of an `Object.prototype` member,
 * and writing one creates an own property instead of changing a prototype. Lookups go through
 * `own`, which also stays right for ordinary objects a caller passes in.
 */

/** A string-keyed map without a prototype. */
export type Dict<T> = Record<string, T>;

/** An empty null-prototype map. */
export function dict<T>(): Dict<T> {
  return Object.create(null) as Dict<T>;
}

/** A null-prototype shallow copy of `source` (own enumerable keys only; `undefined` gives an empty map). */
export function dictFrom<T>(source: Readonly<Record<string, T>> | undefined): Dict<T> {
  // Object.assign sets each key on a target without a prototype, so `__proto__` becomes an own key.
  return source === undefined ? dict<T>() : Object.assign(dict<T>(), source);
}

/** A null-prototype map of `entries`, a later entry winning. */
export function dictOf<T>(entries: Iterable<readonly [string, T]>): Dict<T> {
  const out = dict<T>();
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** The value of `key` when it is `source`'s own property, else `undefined`. */
export function own<T>(source: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return source !== undefined && Object.hasOwn(source, key) ? source[key] : undefined;
}

/**
 * A deep copy of a JSON value whose objects are all null-prototype maps. Iterative, so a deeply
 * nested value cannot overflow the call stack.
 */
export function cloneJson<T>(value: T): T {
  const copy = (v: unknown): unknown => (Array.isArray(v) ? new Array<unknown>(v.length) : v !== null && typeof v === 'object' ? dict<unknown>() : v);
  const root = copy(value);
  const stack: Array<[unknown, unknown]> = [[value, root]];
  while (stack.length > 0) {
    const [from, to] = stack.pop() as [unknown, unknown];
    if (from === null || typeof from !== 'object') continue;
    const target = to as Record<string, unknown>;
    for (const k of Object.keys(from)) {
      const child = (from as Record<string, unknown>)[k];
      const c = copy(child);
      target[k] = c;
      if (c !== child) stack.push([child, c]);
    }
  }
  return root as T;
}
