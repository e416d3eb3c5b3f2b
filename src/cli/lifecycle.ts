/**
 * Account commands (thin over src/archive and src/account):
 * - `archive export USER TARGET` / `archive restore SOURCE [--as NEWUSER]`;
 * - `account purge USER`, `account rename OLD NEW`, `account domain-change USER OLD NEW`;
 * - `rebuild-linkdb [--include-root]`.
 * Each accepts `--dry-run` anywhere on the line and prints its result (YAML by default).
 * Exit 0 on success, 1 on an error or (restore) a link that could not be restored, 2 on a usage error.
 */
import { posix as path } from 'node:path';
import type { Linkstore } from '../services.js';
import type { ParsedArgs } from './args.js';
import type { CliIo } from './main.js';
import { format } from './output.js';

type Usage = (message: string) => number;

const SUBCOMMANDS: Record<string, Record<string, number>> = {
  archive: { export: 2, restore: 1 },
  account: { purge: 1, rename: 2, 'domain-change': 3 },
};

/** `archive export` takes USER TARGET; the rest as listed above. */
export function checkLifecycleArgs(name: string, args: ParsedArgs, usage: Usage): [sub: string, rest: string[]] | number {
  if (name === 'rebuild-linkdb') {
    if (args.positional.length) return usage(`“rebuild-linkdb” takes no arguments (got “${args.positional[0]}”).`);
    return ['', []];
  }
  const [sub, ...rest] = args.positional;
  const arity = sub === undefined ? undefined : SUBCOMMANDS[name]?.[sub];
  if (arity === undefined) return usage(`“${name}” needs one of: ${Object.keys(SUBCOMMANDS[name] ?? {}).join(', ')}.`);
  if (rest.length !== arity) return usage(`“${name} ${sub}” needs ${arity} argument${arity === 1 ? '' : 's'}; see “linkstore ${name} --help”.`);
  if (args.flags.as !== undefined && !(name === 'archive' && sub === 'restore')) return usage('the option --as applies only to “archive restore”.');
  if (args.flags.as === '') return usage('the option --as needs a user name.');
  return [sub as string, rest];
}

const hostPath = (p: string) => path.resolve(process.cwd(), p);

export async function runLifecycle(name: string, ls: Linkstore, args: ParsedArgs, io: CliIo, usage: Usage): Promise<number> {
  const checked = checkLifecycleArgs(name, args, usage);
  if (typeof checked === 'number') return checked;
  const [sub, rest] = checked;
  const dryRun = args.dryRun;
  const print = (v: unknown) => io.stdout(format(v, args.output ?? 'yaml'));
  const a = rest as [string, string, string];
  if (name === 'rebuild-linkdb') {
    const { rebuildLinkDbs } = await import('../account/index.js');
    print(await rebuildLinkDbs(ls, { dryRun, includeRoot: args.flags['include-root'] === true }));
    return 0;
  }
  if (name === 'archive') {
    if (sub === 'export') {
      const { exportAccountArchive } = await import('../archive/index.js');
      print(await exportAccountArchive(ls, a[0], hostPath(a[1]), { dryRun }));
      return 0;
    }
    const { restoreAccountArchive } = await import('../archive/index.js');
    const as = typeof args.flags.as === 'string' ? args.flags.as : undefined;
    const r = await restoreAccountArchive(ls, hostPath(a[0]), { dryRun, as });
    // One list of operations; the phases' own lists say the same again.
    print({
      dryRun: r.dryRun,
      user: r.user,
      integration: { restored: r.integration.restored, failed: r.integration.failed },
      authn: { restored: r.authn.restored, failed: r.authn.failed, skipped: r.authn.skipped },
      warnings: r.warnings,
      ops: r.ops,
    });
    return r.integration.failed.length + r.authn.failed.length === 0 ? 0 : 1;
  }
  const acct = await import('../account/index.js');
  if (sub === 'purge') print(await acct.purgeAccount(ls, a[0], { dryRun }));
  else if (sub === 'rename') print(await acct.renameAccount(ls, a[0], a[1], { dryRun }));
  else print(await acct.changeAccountDomain(ls, a[0], a[1], a[2], { dryRun }));
  return 0;
}
