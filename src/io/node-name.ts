/**
 * cPanel's FilesystemNodeName rules (`Cpanel::Validate::FilesystemNodeName`): the only check that
 * stands between an API parameter and a path component. Every path the library builds from
 * caller input goes through `assertNodeName` first, with cPanel's exact messages.
 */
import { LinkstoreError } from './errors.js';

export const MAX_NODE_NAME_BYTES = 255;

/** The cPanel message for an invalid node name, or `undefined` when the name is acceptable. */
export function nodeNameProblem(name: string): string | undefined {
  if (name === '') return 'This value may not be empty.';
  if (name === '.' || name === '..') return `“${name}” is a reserved value.`;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NODE_NAME_BYTES) {
    const over = bytes - MAX_NODE_NAME_BYTES;
    // cPanel's wording is singular for one (verified-against-cpanel.md §4).
    return `The “${name}” value exceeds the maximum length by ${over} ${over === 1 ? 'byte' : 'bytes'}. The maximum allowed length is ${MAX_NODE_NAME_BYTES} bytes.`;
  }
  if (name.includes('/')) return 'This value may not contain the character “/”.';
  if (name.includes('\0')) return 'This value may not contain a NUL byte.';
  return undefined;
}

/** Throws `E_INVALID_NAME` (naming the parameter) unless `name` is a valid node name. */
export function assertNodeName(name: string, param: string): void {
  if (typeof name !== 'string') {
    throw new LinkstoreError('E_INVALID_PARAM', `The “${param}” parameter must be a string.`, { param });
  }
  const problem = nodeNameProblem(name);
  if (problem !== undefined) throw new LinkstoreError('E_INVALID_NAME', problem, { param });
}
