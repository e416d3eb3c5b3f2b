#!/usr/bin/env node
// Thin launcher: the CLI is src/cli, bundled into dist/cli by `npm run build` (scripts/bundle-cli.mjs).
// The raw argument bytes (from /proc/self/cmdline) let the CLI refuse arguments that are not UTF-8.
Promise.all([import('../dist/cli/main.js'), import('../dist/cli/raw-argv.js')])
  .then(([m, raw]) => {
    const argv = process.argv.slice(2);
    return m.main(argv, undefined, raw.rawArgvTail(argv.length));
  })
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e) => {
    process.stderr.write(`linkstore: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
