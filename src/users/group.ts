/**
 * /etc/group: `group_exists` for the username checks (spec §7) and gids for other modules.
 */
import { lineAt, parseId, splitFields, type ColonFile } from './colon-file.js';

export const GROUP_PATH = '/etc/group';

/** gid of the first line for `key`, when that line has a decimal third field. */
export function groupGidOf(group: ColonFile, key: string): number | undefined {
  const start = group.firstLine(key);
  if (start === undefined) return undefined;
  return parseId(splitFields(lineAt(group, start))[2]);
}
