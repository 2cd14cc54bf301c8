// Bundle the CLI for start-up: Node 20's ES module loader costs ~0.5 ms of resolve/stat/read per
// module and a read command loads ~40 of vfi's modules plus commander's, so `vfi pick` spent more
// in the loader than in its own work. esbuild puts everything a command needs in a few files:
// dist/main.js (the bin) imports dist/chunks/main.js, whose dynamic imports stay lazy as their own
// chunks (ajv, yaml, momoa and dockerode's callers load only with the commands that use them).
// tsc still emits dist/** beside it (the typecheck and the per-module files tests may read).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
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

// Node's builtins load on first use, not when a chunk is evaluated. An ES import of a builtin builds
// its ES facade, which reads every export (node:fs's getters load its streams, fs/promises and the
// watchers), and commander requires child_process at load; `vfi pick` used neither, yet child_process
// alone (with net and dgram) cost ~7 ms of every start. Each builtin the bundle reaches becomes a
// CommonJS stand-in whose exports are getters that require the real module when first read.
// node:process stays as it is: its methods need the real process as `this`.
const builtinNames = new Set(builtinModules.filter((n) => !n.startsWith('_')));
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!builtinNames.has(name) || name === 'process' || name === 'module') return undefined;
      if (args.namespace === 'lazy-builtin' || args.kind === 'dynamic-import') return { path: `node:${name}`, external: true };
      return { path: name, namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const names = Object.keys(requireFromRoot(`node:${args.path}`)).filter((n) => n !== 'default' && n !== '__esModule');
      return {
        contents: [
          'let real;',
          `const load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));`,
          `for (const name of ${JSON.stringify(names)}) Object.defineProperty(module.exports, name, { get: () => load()[name], enumerable: true });`,
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

// The commands a script runs most and that must start fast: each gets a build of the same program
// (src/main.ts) whose registrations of every other command import a stand-in, so esbuild splits it
// into a handful of chunks instead of the ~20-30 files the whole program's split gives it (each ES
// module file costs the loader a resolve, an asynchronous read and a compile). The bin chooses the
// build from the command word; anything else (help, --version, other commands, no command) runs main.
const HOT = { show: 'commands/show.ts', pick: 'commands/pick.ts', assertions: 'commands/assertions.ts' };
const HOT_WORDS = { show: 'show', pick: 'pick', find: 'pick', assertions: 'assertions' };
const onlyCommand = (keep) => ({
  name: 'only-command',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import' || !/[/\\]src[/\\]cli(\.ts|[/\\])/.test(args.importer)) return undefined;
      const target = path.relative(path.join(ROOT, 'src'), path.resolve(path.dirname(args.importer), args.path)).split(path.sep).join('/').replace(/\.js$/, '.ts');
      return target === keep ? undefined : { path: target, namespace: 'other-command' };
    });
    b.onLoad({ filter: /.*/, namespace: 'other-command' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`the ${keep} build of vfi reached ${args.path}: dist/main.js chose the wrong build`)});`,
      loader: 'js',
    }));
  },
});

const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: CHUNKS,
  // Content-hashed: a chunk two builds share has one name and the same bytes.
  chunkNames: '[name]-[hash]',
  // Fewer bytes to read and parse at every start; VFI_DEBUG=1 turns source maps on (src/main.ts).
  minify: true,
  sourcemap: 'linked',
  // Loaded through createRequire at run time (dockerode with stand-ins for its heavy parts).
  external: ['dockerode', 'cpu-features', 'ssh2', 'cli-progress'],
  // CommonJS packages (commander, ajv) bundled into ES modules still call require for node: builtins.
  banner: { js: "import { createRequire as __vfiRequire } from 'node:module'; const require = __vfiRequire(import.meta.url);" },
  logLevel: 'warning',
};

rmSync(CHUNKS, { recursive: true, force: true });
await build({ ...common, entryPoints: { main: path.join(ROOT, 'src', 'main.ts') }, plugins: [keepOwnUrl, namedExports, lazyBuiltins] });
for (const [word, keep] of Object.entries(HOT)) {
  await build({ ...common, entryPoints: { [`hot-${word}`]: path.join(ROOT, 'src', 'main.ts') }, plugins: [keepOwnUrl, namedExports, lazyBuiltins, onlyCommand(keep)] });
}
// The bin: source maps are turned on before the bundle loads, so VFI_DEBUG stacks name src/ lines.
// The command word is the first word that is not an option (or --store's value); an option it does
// not know before that word, -h, -v and the rest, leaves the choice to the whole program.
writeFileSync(path.join(ROOT, 'dist', 'main.js'), [
  '#!/usr/bin/env node',
  "if (process.env.VFI_DEBUG === '1') process.setSourceMapsEnabled(true);",
  `const HOT = ${JSON.stringify(Object.fromEntries(Object.entries(HOT_WORDS).map(([w, b]) => [w, `hot-${b}`])))};`,
  'let build = "main";',
  'for (let i = 2; i < process.argv.length; i++) {',
  '  const a = process.argv[i];',
  "  if (a === '--store') i++;",
  "  else if (a === '--json' || a.startsWith('--store=')) continue;",
  '  else {',
  "    if (!a.startsWith('-') && Object.hasOwn(HOT, a)) build = HOT[a];",
  '    break;',
  '  }',
  '}',
  'await import(`./chunks/${build}.js`);',
  '',
].join('\n'));
