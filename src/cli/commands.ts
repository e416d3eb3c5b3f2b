/**
 * Maintenance commands (thin over src/doctor and src/transfer):
 * - `doctor [--fix [--dry-run]] [--user U] [--output table|json|jsonpretty|yaml]`: exit 0 when
 *   nothing is left unfixed, 1 otherwise; `--fix --dry-run` lists what --fix would repair;
 * - `export [--user U] [--out FILE] [--skip-corrupt]`: NDJSON on stdout or in FILE (created 0600:
 *   it holds secrets); with --skip-corrupt each damaged file is named on stderr, the rest is
 *   exported and the exit code is 1;
 * - `import [--dry-run] [--no-replace] [--map-user OLD=NEW]... [--hostname H] FILE|-`: a progress
 *   bar on stderr when it is a terminal (or with `--progress`; never with `--quiet`), then a
 *   report per record and totals (`--output json` for JSON); exit 0 when no line failed.
 * Usage errors exit 2.
 */
import { setFlagsFromString } from 'node:v8';
import { isLinkstoreError } from '../io/errors.js';
import { nodeFsPort } from '../io/fs-port.js';
import type { Linkstore } from '../services.js';
import type { ImportSummary, LineResult } from '../transfer/index.js';
import type { ParsedArgs } from './args.js';
import { commandFailure, usageFailure, type CliIo } from './usage.js';
import { format } from './output.js';

const ALLOWED_FLAGS: Record<string, readonly string[]> = {
  doctor: ['fix', 'user'],
  export: ['user', 'out', 'skip-corrupt'],
  import: ['quiet', 'progress', 'no-replace', 'map-user', 'hostname'],
  archive: ['as'],
  account: [],
  'rebuild-linkdb': ['include-root'],
  serve: ['listen', 'token-file', 'memfs', 'seed'],
  apply: ['check', 'diff', 'prune'],
};

/** Why `args` do not fit the command `name`, or undefined when they do. */
function commandMisuse(name: string, args: ParsedArgs): string | undefined {
  const allowed = Object.hasOwn(ALLOWED_FLAGS, name) ? ALLOWED_FLAGS[name] : undefined;
  if (allowed === undefined) return `unknown command “${name}”.`;
  for (const f of Object.keys(args.flags)) if (!allowed.includes(f)) return `the option --${f} does not apply to “${name}”.`;
  if (Object.keys(args.params).length > 0) return `“${name}” takes no key=value parameters.`;
  if (args.flags.user === '') return 'the option --user needs a user name.';
  // A dry run is only meaningful where the command writes: refused, never silently ignored.
  if (args.dryRun && name === 'export') return '“export” does not write, so --dry-run does not apply.';
  if (args.dryRun && name === 'doctor' && args.flags.fix !== true) return '“doctor” only writes with --fix; --dry-run applies to “doctor --fix”.';
  if (args.output !== undefined && name === 'export') return '“export” always writes NDJSON; --output does not apply.';
  if (args.output !== undefined && name === 'serve') return '“serve” answers in JSON envelopes; --output does not apply.';
  if (args.output === 'table' && !TABLE_OUTPUT.has(name)) return `the output format “table” does not apply to “${name}”; use yaml, json or jsonpretty.`;
  // Options that would be silently ignored are refused, as a misspelt one is.
  if (args.strict) return `--strict applies to functions (their key=value parameters), not to “${name}”.`;
  if (args.flags.quiet === true && args.flags.progress === true) return '--quiet and --progress contradict each other; give one.';
  return undefined;
}

/** The commands that print a table (their own text report). */
const TABLE_OUTPUT = new Set(['doctor', 'import', 'apply']);

export async function runCommand(name: string, ls: Linkstore, args: ParsedArgs, io: CliIo): Promise<number> {
  const usage = (io: CliIo, message: string): number => usageFailure(io, args.output, name, message);
  const misuse = commandMisuse(name, args);
  if (misuse !== undefined) return usage(io, misuse);
  try {
    if (name === 'serve') return await (await import('./serve.js')).runServe(ls, args, io, usage);
    if (name === 'apply') return await (await import('./apply.js')).runApply(ls, args, io, usage);
    if (name === 'doctor') return await runDoctor(ls, args, io);
    if (name === 'export') return await runExport(ls, args, io);
    if (name === 'archive' || name === 'account' || name === 'rebuild-linkdb') {
      const { runLifecycle } = await import('./lifecycle.js');
      return await runLifecycle(name, ls, args, io, (m) => usage(io, m));
    }
    return await runImport(ls, args, io);
  } catch (e) {
    if (!isLinkstoreError(e)) throw e;
    commandFailure(io, args.output, name, e.message, e.code, e.done);
    return 1;
  }
}

const userFlag = (args: ParsedArgs): string | undefined => (typeof args.flags.user === 'string' ? args.flags.user : undefined);

async function runDoctor(ls: Linkstore, args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positional.length) return usageFailure(io, args.output, 'doctor', `“doctor” takes no arguments (got “${args.positional[0]}”).`);
  const { doctor, renderDoctorTable } = await import('../doctor/index.js');
  const report = await doctor(ls, { fix: args.flags.fix === true, dryRun: args.dryRun, user: userFlag(args) });
  const fmt = args.output ?? (io.isTTY ? 'table' : 'json');
  io.stdout(fmt === 'table' ? renderDoctorTable(report) : format(report, fmt));
  return report.ok ? 0 : 1;
}

/** Where export lines go: stdout, or a new 0600 file (client configurations hold secrets). */
async function exportSink(io: CliIo, out: string | undefined): Promise<{ write: (s: string) => Promise<void>; close: () => Promise<void> }> {
  if (out === undefined || out === '-') return { write: async (s) => io.stdout(s), close: async () => undefined };
  const fh = await nodeFsPort.promises.open(out, 'w', 0o600);
  // An existing file keeps its mode through open(); make sure it is 0600 before any secret lands.
  await fh.chmod(0o600);
  return { write: async (s) => void (await fh.write(Buffer.from(s, 'utf8'))), close: () => fh.close() };
}

async function runExport(ls: Linkstore, args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positional.length) return usageFailure(io, args.output, 'export', `“export” takes no arguments (got “${args.positional[0]}”).`);
  if (args.flags.out === '') return usageFailure(io, args.output, 'export', 'the option --out needs a file name.');
  const { exportStream, recordLine } = await import('../transfer/index.js');
  const user = userFlag(args);
  if (user !== undefined) {
    // Before the output file is created: a misspelt user leaves no empty export behind.
    const { requireKnownUser } = await import('../account/known-user.js');
    await requireKnownUser(ls, user);
  }
  let skipped = 0;
  const onCorrupt =
    args.flags['skip-corrupt'] === true
      ? (file: string, e: { message: string }) => {
          skipped++;
          io.stderr(`linkstore export: skipped “${file}”: ${e.message}\n`);
        }
      : undefined;
  const sink = await exportSink(io, typeof args.flags.out === 'string' ? args.flags.out : undefined);
  try {
    // Written in batches of lines: bounded memory, few writes.
    let buf: string[] = [];
    for await (const r of exportStream(ls, { user: userFlag(args), onCorrupt })) {
      buf.push(recordLine(r) + '\n');
      if (buf.length >= 512) {
        await sink.write(buf.join(''));
        buf = [];
      }
    }
    if (buf.length) await sink.write(buf.join(''));
  } finally {
    await sink.close();
  }
  if (skipped > 0) io.stderr(`linkstore export: ${skipped} damaged file${skipped === 1 ? '' : 's'} skipped; every other record was exported.\n`);
  return skipped > 0 ? 1 : 0;
}

/** `--map-user OLD=NEW` values as a map; a malformed one is a usage error (returned as text). */
function userMap(args: ParsedArgs): Map<string, string> | string {
  const map = new Map<string, string>();
  for (const v of args.repeated['map-user'] ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) return `--map-user needs OLD=NEW (got “${v}”).`;
    const old = v.slice(0, eq);
    if (map.has(old)) return `--map-user maps “${old}” twice.`;
    map.set(old, v.slice(eq + 1));
  }
  return map;
}

/**
 * The input as chunks of bytes, read piece by piece (never whole): the file is opened first, so
 * a missing or unreadable one is a usage error before anything is imported.
 */
async function openInput(file: string): Promise<AsyncIterable<Uint8Array>> {
  if (file === '-') return process.stdin as AsyncIterable<Uint8Array>;
  const fh = await nodeFsPort.promises.open(file, 'r');
  if ((await fh.stat()).isDirectory()) {
    await fh.close();
    throw new Error('EISDIR: illegal operation on a directory');
  }
  return (async function* () {
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) return;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  })();
}

function progressBar(io: CliIo): { update: (done: number, total: number) => void; clear: () => void; end: () => void } {
  let last = '';
  let shown = false;
  return {
    update(done, total) {
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      const line = `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
      if (line !== last) io.stderr(line);
      last = line;
      shown = true;
    },
    /** Blank the bar's line (before other output on the same terminal); the next update redraws it. */
    clear() {
      if (shown) io.stderr(`\r${' '.repeat(last.length)}\r`);
      last = '';
    },
    end() {
      if (shown) io.stderr('\n');
    },
  };
}

async function runImport(ls: Linkstore, args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positional.length !== 1) return usageFailure(io, args.output, 'import', '“import” needs exactly one FILE (or - for standard input).');
  const file = args.positional[0] as string;
  let input: AsyncIterable<Uint8Array>;
  try {
    input = await openInput(file);
  } catch (e) {
    return usageFailure(io, args.output, 'import', `cannot read “${file}”: ${e instanceof Error ? e.message : String(e)}`);
  }
  const map = userMap(args);
  if (typeof map === 'string') return usageFailure(io, args.output, 'import', map);
  if (args.flags.hostname === '') return usageFailure(io, args.output, 'import', 'the option --hostname needs a host name.');
  const { importRecords, lineBytes } = await import('../transfer/index.js');
  const { checkHostnameOption } = await import('../authn/hostname.js');
  try {
    if (typeof args.flags.hostname === 'string') checkHostnameOption(args.flags.hostname, 'The option --hostname');
  } catch (e) {
    return usageFailure(io, args.output, 'import', e instanceof Error ? e.message : String(e));
  }
  sizeHeapToLiveData();
  const showProgress = (io.isTTY || args.flags.progress === true) && args.flags.quiet !== true;
  const bar = showProgress ? progressBar(io) : undefined;
  const fmt = args.output ?? 'table';
  // The table is written slice by slice as records settle; the other formats are one document.
  const table = fmt === 'table';
  const summary = await importRecords(ls, lineBytes(input), {
    dryRun: args.dryRun,
    onProgress: bar?.update,
    onResults: table
      ? (results) => {
          if (io.isTTY) bar?.clear();
          io.stdout(results.map(resultLine).join(''));
        }
      : undefined,
    keepResults: !table,
    noReplace: args.flags['no-replace'] === true,
    mapUser: map,
    hostname: typeof args.flags.hostname === 'string' ? args.flags.hostname : undefined,
  });
  bar?.end();
  if (!table) io.stdout(format(summary, fmt));
  else io.stdout(importTotals(file, summary));
  // A --map-user whose OLD no record names is most often a typo: those records kept their names.
  for (const u of summary.unmapped) io.stderr(`linkstore import: --map-user ${u}=${map?.get(u) ?? ''} matched no record; nothing was renamed for it.\n`);
  return summary.failed === 0 && summary.unmapped.length === 0 ? 0 : 1;
}

/**
 * An import's live data is small and flat (one slice of records, the users' caches, one key per
 * line), but it allocates fast, and V8 then lets its heap grow to about four times the live data
 * before collecting: 300+ MB for 100,000 lines. Asking V8 to favour size (as a one-shot process may)
 * keeps the heap near its live data (measured: peak RSS 218 → 135 MB at 50,000 lines, same time).
 */
function sizeHeapToLiveData(): void {
  setFlagsFromString('--optimize-for-size');
}

/** One line of the table: line, status, key, reason. */
function resultLine(r: LineResult): string {
  return `line ${r.line}: ${r.status}${r.key ? ` ${r.type} ${r.key}` : ''}${r.reason ? `: ${r.reason}` : ''}\n`;
}

/** The LinkDBs an import rewrote (a repair shows only here when every record is unchanged). */
function linkDbsText(s: ImportSummary): string {
  if (s.linkDbs.length === 0) return '';
  return `; ${s.dryRun ? 'would rewrite' : 'rewrote'} the LinkDB of ${s.linkDbs.join(', ')}`;
}

/** The table's last line: the totals. */
function importTotals(file: string, s: ImportSummary): string {
  return (
    `${file === '-' ? 'standard input' : file}: ${s.created} created, ${s.replaced} replaced, ${s.unchanged} unchanged, ${s.conflict} conflict, ` +
    `${s.skipped} skipped, ${s.failed} failed (${s.total} line${s.total === 1 ? '' : 's'})${linkDbsText(s)}${s.dryRun ? ' — dry run, nothing was written' : ''}.\n`
  );
}
