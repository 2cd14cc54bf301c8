// Bundle the CLI for start-up: Node 20's ES module loader costs ~0.5 ms of resolve/stat/read per
// module and a read command loads ~40 of vfi's modules plus commander's, so `vfi pick` spent more
// in the loader than in its own work. esbuild puts everything a command needs in a few files:
// dist/main.js (the bin) imports dist/chunks/main.js, whose dynamic imports stay lazy as their own
// chunks (ajv, yaml, momoa and dockerode's callers load only with the commands that use them).
// tsc still emits dist/** beside it (the typecheck and the per-module files tests may read).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const CHUNKS = path.join(ROOT, 'dist', 'chunks');

// Code that finds files from its own URL (schemas/, creds/page/, createRequire) keeps the URL its
// module has in tsc's dist/ layout, so those paths mean the same wherever the chunk is.
const keepOwnUrl = {
  name: 'keep-own-url',
  setup(b) {
    b.onLoad({ filter: /[/\\]src[/\\].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const asBuilt = path.relative(path.join(ROOT, 'src'), args.path).replace(/\.ts$/, '.js');
      const url = `new URL(${JSON.stringify(`../${asBuilt.split(path.sep).join('/')}`)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

// A CommonJS package that is dynamically imported becomes a chunk whose only export is `default`,
// where Node's own import gives its named exports too (`(await import('yaml')).stringify`): such a
// package is reached through a module that names them.
const DYNAMIC_COMMONJS = ['yaml'];
const requireFromRoot = createRequire(path.join(ROOT, 'package.json'));
const namedExports = {
  name: 'named-exports',
  setup(b) {
    const filter = new RegExp(`^(${DYNAMIC_COMMONJS.join('|')})$`);
    b.onResolve({ filter }, (args) => (args.pluginData === 'real' ? undefined : { path: args.path, namespace: 'named-exports' }));
    b.onLoad({ filter: /.*/, namespace: 'named-exports' }, (args) => {
      const names = Object.keys(requireFromRoot(args.path)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      return {
        contents: `import m from ${JSON.stringify(args.path)};\nexport const { ${names.join(', ')} } = m;\nexport default m;\n`,
        resolveDir: ROOT,
        pluginData: 'real',
      };
    });
  },
};

rmSync(CHUNKS, { recursive: true, force: true });
await build({
  entryPoints: { main: path.join(ROOT, 'src', 'main.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: CHUNKS,
  chunkNames: '[name]-[hash]',
  // Fewer bytes to read and parse at every start; VFI_DEBUG=1 turns source maps on (src/main.ts).
  minify: true,
  sourcemap: 'linked',
  // Loaded through createRequire at run time (dockerode with stand-ins for its heavy parts).
  external: ['dockerode', 'cpu-features', 'ssh2', 'cli-progress'],
  // CommonJS packages (commander, ajv) bundled into ES modules still call require for node: builtins.
  banner: { js: "import { createRequire as __vfiRequire } from 'node:module'; const require = __vfiRequire(import.meta.url);" },
  plugins: [keepOwnUrl, namedExports],
  logLevel: 'warning',
});
// The bin: source maps are turned on before the bundle loads, so VFI_DEBUG stacks name src/ lines.
writeFileSync(path.join(ROOT, 'dist', 'main.js'), [
  '#!/usr/bin/env node',
  "if (process.env.VFI_DEBUG === '1') process.setSourceMapsEnabled(true);",
  "await import('./chunks/main.js');",
  '',
].join('\n'));
