#!/usr/bin/env node
// Bundles the CLI (the tsc output under dist/src) into dist/cli, for start-up time. Node resolves,
// reads, compiles and links every ES module on its own: a read-only call (`validate_system_user`)
// loaded 43 of them, and `cli.startup` was 1.56–1.61× `node -e 0`. Bundled it loads 5 files, 1.32×.
// - The read-only path (the CLI's own modules, the WHM facade, the users module and the io modules
//   they import) is one chunk: most calls of scripts and of the Ansible module are such calls.
// - Every other lazy import stays lazy: its code is its own chunk, loaded on first use as before.
// - Packages (ajv, tar, yaml) and Node's modules stay imports, resolved by Node as for the library.
// `dist/cli/manifest.json` lists the source modules of every chunk, so the lazy-loading test can
// say which modules a call loaded.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const top = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(top, 'dist/src');
const out = join(top, 'dist/cli');

// A bare specifier (`ajv/...`, `node:fs`) is a package: never copied into the bundle.
const external = (id) => !id.startsWith('.') && !isAbsolute(id);

// Named, not derived: a module left out only costs a chunk of its own (the lazy-loading test
// checks that nothing heavy is loaded, whatever is listed here).
const READ_ONLY_PATH = new RegExp(
  '^(cli/(main|args|output|usage)|whm/[^/]+|users/[^/]+|services|' +
    'io/(dict|errors|fs-port|node-name|pace|sys|read-limits|dir-cache|dir-handle|disk|raw-argv))\\.js$',
);

const bundle = await rolldown({
  input: { main: join(src, 'cli/main.js'), 'raw-argv': join(src, 'io/raw-argv.js') },
  platform: 'node',
  external,
  onLog(level, log, report) {
    // users/index.js is imported lazily by the library's entry points and statically elsewhere;
    // in the bundle it is in the read-only chunk on purpose.
    if (log.code !== 'INEFFECTIVE_DYNAMIC_IMPORT') report(level, log);
  },
});
try {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const { output } = await bundle.write({
    dir: out,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    codeSplitting: { groups: [{ name: 'read-only', test: (id) => id.startsWith(src + '/') && READ_ONLY_PATH.test(relative(src, id)) }] },
  });
  const manifest = Object.create(null);
  for (const chunk of output) {
    if (chunk.type !== 'chunk') continue;
    manifest[chunk.fileName] = chunk.moduleIds.filter((id) => id.startsWith(src + '/')).map((id) => relative(src, id));
  }
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
} finally {
  await bundle.close();
}
