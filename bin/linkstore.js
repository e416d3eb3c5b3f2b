#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/src/cli (built by `npm run build`).
import('../dist/src/cli/main.js')
  .then((m) => m.main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e) => {
    process.stderr.write(`linkstore: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
