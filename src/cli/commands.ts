/** Maintenance commands (doctor, export, import). */
import type { Linkstore } from '../services.js';
import type { ParsedArgs } from './args.js';
import type { CliIo } from './main.js';

export async function runCommand(name: string, _ls: Linkstore, _args: ParsedArgs, io: CliIo): Promise<number> {
  io.stderr(`linkstore: the “${name}” command is not available yet.\n`);
  return 2;
}
