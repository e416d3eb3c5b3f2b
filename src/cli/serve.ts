/**
 * `linkstore serve (--root DIR | --memfs [--seed FIXTURE]) --token-file F [--listen [HOST:]PORT]`:
 * thin over src/server. Prints the base URL on stdout, serves until SIGTERM or SIGINT, then
 * finishes the requests in flight and exits 0.
 */
import type { Linkstore } from '../services.js';
import type { ParsedArgs } from './args.js';
import type { CliIo } from './main.js';

type Usage = (io: CliIo, message: string) => number;

export const DEFAULT_PORT = 2087;

/** `[HOST:]PORT`, `[IPv6]:PORT`; the host defaults to 127.0.0.1. */
export function parseListen(value: string): { host: string; port: number } | undefined {
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value);
  if (m === null) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  const host = m[1] === undefined ? '127.0.0.1' : m[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

export async function runServe(ls: Linkstore, args: ParsedArgs, io: CliIo, usage: Usage): Promise<number> {
  if (args.positional.length) return usage(io, `“serve” takes no arguments (got “${args.positional[0]}”).`);
  if (args.dryRun) return usage(io, '“serve” does not take --dry-run.');
  const memfs = args.flags.memfs === true;
  if (memfs === (args.root !== undefined)) return usage(io, '“serve” needs exactly one of --root DIR (a real tree) or --memfs (an in-memory one).');
  if (args.flags.seed !== undefined && !memfs) return usage(io, '--seed applies to --memfs only.');
  const tokenFile = args.flags['token-file'];
  if (typeof tokenFile !== 'string' || tokenFile === '') return usage(io, '“serve” needs --token-file FILE (created with a new token when missing).');
  const listen = parseListen(typeof args.flags.listen === 'string' ? args.flags.listen : String(DEFAULT_PORT));
  if (listen === undefined) return usage(io, `--listen takes [HOST:]PORT (got “${String(args.flags.listen)}”).`);

  const { readOrCreateToken, startServer } = await import('../server/index.js');
  const { token, created } = await readOrCreateToken(tokenFile);
  // Unlike a one-shot command, a server shares its event loop with every request in flight:
  // fsync goes to the thread pool (the library's default), not inline as the CLI's Linkstore has it.
  const { Linkstore } = await import('../services.js');
  const linkstore = memfs
    ? await (await import('../server/seed.js')).memfsLinkstore(args.flags.seed as string | undefined)
    : new Linkstore({ root: ls.disk.root });
  const server = await startServer({ linkstore, token, host: listen.host, port: listen.port });
  io.stdout(`${server.url}\n`);
  io.stderr(
    `linkstore serve: WHM API 1 at ${server.url}/json-api/FUNCTION, UAPI at ${server.url}/execute/ExternalAuthentication/FUNCTION` +
      ` (${memfs ? 'in memory' : `root ${ls.disk.root}`}); token ${created ? 'created in' : 'from'} ${tokenFile}.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await server.close();
  io.stderr('linkstore serve: stopped.\n');
  return 0;
}
