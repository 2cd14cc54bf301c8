// Bundle the CLI for start-up: Node 20's ES module loader costs ~0.5 ms of resolve/stat/read per
// module and a read command loads ~40 of vfi's modules plus commander's, so `vfi pick` spent more
// in the loader than in its own work. esbuild puts everything a command needs in a few files:
// dist/main.js (the bin) imports dist/chunks/main.js, whose dynamic imports stay lazy as their own
// chunks (ajv, yaml, momoa and dockerode's callers load only with the commands that use them).
// tsc only checks the types (tsconfig.build.json): dist/ holds the bin, the chunks and the creds page.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const CHUNKS = path.join(ROOT, 'dist', 'chunks');

// Code that finds files from its own URL (schemas/, creds/page/, createRequire) keeps the URL its
// module would have as dist/<its path under src/>.js, so those paths mean the same wherever the chunk is.
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
// alone (with net and dgram) cost ~7 ms of every start. Each builtin the bundle reaches becomes an ES
// stand-in: a plain function of a module in LAZY is a function that requires the module when first
// called, anything else is read from the module when the stand-in is evaluated, and only if the
// bundle uses it (the reads are pure, so esbuild drops the unused ones). An ES stand-in, not a
// CommonJS one: esbuild copies every export of a CommonJS module once per module importing it.
// node:process and node:module stay as they are.
const LAZY = new Set(['child_process', 'crypto', 'zlib', 'os', 'http', 'https', 'net', 'tls', 'dns', 'dns/promises', 'readline', 'stream', 'stream/promises', 'fs/promises', 'url', 'string_decoder', 'util', 'v8', 'worker_threads']);
const builtinNames = new Set(builtinModules.filter((n) => !n.startsWith('_')));
const identifier = (n) => {
  if (!/^[A-Za-z_$][\w$]*$/.test(n)) return false;
  try {
    new Function(`let ${n};`);
    return true;
  } catch {
    return false;
  }
};
// A function with nothing of its own (no promisify.custom, no realpathSync.native, no class or
// prototype methods) behaves the same when called through a stand-in that calls it. node:os's
// getters (homedir, hostname) carry only a Symbol.toPrimitive, for `${os.hostname}`, and node's
// withoutStackTrace: called, they are plain (read at start, they loaded node:os in every command).
const plainFunction = (v) => typeof v === 'function'
  && Object.getOwnPropertySymbols(v).every((k) => k === Symbol.toPrimitive)
  && Object.getOwnPropertyNames(v).every((n) => ['length', 'name', 'prototype', 'arguments', 'caller', 'withoutStackTrace'].includes(n))
  && (!v.prototype || Object.getOwnPropertyNames(v.prototype).length <= 1)
  && !/^class[\s{]/.test(Function.prototype.toString.call(v));
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!builtinNames.has(name) || name === 'process' || name === 'module') return undefined;
      if (args.namespace.startsWith('lazy-builtin') || args.kind === 'dynamic-import') return { path: `node:${name}`, external: true };
      // A builtin that node's start has loaded (fs, path, events), required: itself, as a stand-in
      // of a getter for each export (~100 for fs) made ~45 KB of young garbage at every start.
      if (args.kind === 'require-call' && !LAZY.has(name)) return { path: `node:${name}`, external: true };
      // A require (commander's) gets exports that are getters: an ES stand-in required would be
      // read whole.
      return { path: name, namespace: args.kind === 'require-call' ? 'lazy-builtin-required' : 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin-required' }, (args) => ({
      contents: [
        'let real;',
        `const load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));`,
        `for (const name of ${JSON.stringify(Object.keys(requireFromRoot(`node:${args.path}`)))}) Object.defineProperty(module.exports, name, { get: () => load()[name], enumerable: true });`,
      ].join('\n'),
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const real = requireFromRoot(`node:${args.path}`);
      const lines = [
        'let __vfiReal;',
        `const __vfiLoad = () => (__vfiReal ??= require(${JSON.stringify(`node:${args.path}`)}));`,
        'const __vfiRead = (name) => __vfiLoad()[name];',
        'export default /* @__PURE__ */ __vfiLoad();',
      ];
      for (const n of Object.keys(real)) {
        if (n === 'default' || n.startsWith('__vfi') || !identifier(n)) continue;
        if (LAZY.has(args.path) && plainFunction(real[n])) lines.push(`export function ${n}(...args) { return __vfiLoad().${n}.apply(this, args); }`);
        else lines.push(`export const ${n} = /* @__PURE__ */ __vfiRead(${JSON.stringify(n)});`);
      }
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

// The commands a script runs most and that must start fast: each gets a build of the same program
// (src/main.ts) that registers only it, and whose registrations of every other command import a
// stand-in, so it loads 2-6 files instead of the 19-31 the whole program's split gives it (each ES
// module file costs the loader a resolve, an asynchronous read and a compile). The bin chooses the
// build from the command word; anything else (help, --version, other commands, no command) runs main.
// push and pull (the daily sync, measured against git push / git fetch) share one, commands/remote.ts.
const HOT = { show: 'commands/show.ts', pick: 'commands/pick.ts', assertions: 'commands/assertions.ts', remote: 'commands/remote.ts' };
const HOT_WORDS = { show: 'show', pick: 'pick', find: 'pick', assertions: 'assertions', push: 'remote', pull: 'remote' };
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

// All of dist/ is made here (scripts/build-page.mjs adds creds/page/ after): nothing an older build
// left there ships.
rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
await build({ ...common, entryPoints: { main: path.join(ROOT, 'src', 'main.ts') }, plugins: [keepOwnUrl, namedExports, lazyBuiltins] });
// Each hot build is one file, CommonJS, which the bin compiles itself with V8's code cache (below):
// an ES module can use no code cache on Node 20, and its loader alone (with the node:fs/promises,
// readline and watchers it loads) cost ~9 ms of every start; compiling the 170 KB build, and the
// functions it runs, another ~12 ms. What a script holds and never runs (show's table module) costs
// little beside that: test/integration/cli.test.ts checks by V8's coverage what show runs.
const SCRIPTS = {};
for (const [word, keep] of Object.entries(HOT)) {
  const words = Object.keys(HOT_WORDS).filter((w) => HOT_WORDS[w] === word);
  await build({
    ...common,
    splitting: false,
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    // Strict as the ES modules it is made of; its own URL for the paths keepOwnUrl writes, made
    // when first asked for (a URL made at start is ~30 KB of young garbage few commands need).
    banner: { js: "'use strict';var __vfiMeta={get url(){return require('node:url').pathToFileURL(__filename).href}};" },
    entryPoints: { [`hot-${word}`]: path.join(ROOT, 'src', 'main.ts') },
    // src/cli.ts registers only these commands (commander builds ~60 otherwise). A string: an
    // array would become a module of its own, one more chunk to load.
    define: { VFI_ONLY_COMMANDS: JSON.stringify(words.join(',')), 'import.meta.url': '__vfiMeta.url' },
    plugins: [keepOwnUrl, namedExports, lazyBuiltins, onlyCommand(keep)],
  });
  // The bin compiles it as it is on disk: a function of what node's CommonJS wrapper gives a
  // module, opened on the first line, where the #! line becomes a comment (same lines: the map
  // holds). Read as one string, with nothing added, it costs one copy of its bytes, not three.
  const file = path.join(CHUNKS, `hot-${word}.cjs`);
  // A script compiled with a code cache has no dynamic import() on Node 20 (V8 keeps no host
  // options in the cache: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, which the trust check took for
  // an unknown key): a builtin's import() becomes its require, and any other import() is refused.
  const code = readFileSync(file, 'utf8').replace(/^#!/, '(function (exports, require, module, __filename, __dirname) {//')
    .replace(/\bimport\("(node:[a-z_/]+)"\)/g, 'Promise.resolve().then(() => require("$1"))');
  if (/\bimport\(/.test(code)) throw new Error(`${file} has a dynamic import(), which a script run from a code cache cannot make`);
  // The bin reads it as latin1, quicker than utf8: esbuild escapes what is not ASCII.
  if (!/^[\x00-\x7f]*$/.test(code)) throw new Error(`${file} is not ASCII: dist/main.js reads it as latin1`);
  const wrapped = `${code}\n})`;
  writeFileSync(file, wrapped);
  SCRIPTS[`hot-${word}`] = createHash('sha256').update(wrapped).digest('hex').slice(0, 16);
}
// dist/main.js is CommonJS (it starts the hot scripts without the ES loader); the chunks of the
// whole program stay ES modules.
writeFileSync(path.join(ROOT, 'dist', 'package.json'), '{ "type": "commonjs" }\n');
writeFileSync(path.join(CHUNKS, 'package.json'), '{ "type": "module" }\n');
// The bin: source maps are turned on before the bundle loads, so VFI_DEBUG stacks name src/ lines.
// The command word is the first word that is not an option (or --store's value); any other option
// before it (-h, --version, ...), or -v or -V anywhere (the program's version flag is one of them,
// whichever no command takes), leaves the choice to the whole program.
// The hot scripts' code cache is kept beside them, named by the build's hash (V8 checks its own
// version and flags and the source's length, not its bytes) behind a checksum of ours (V8 checks
// none in a release build): a cache that is missing, damaged, from another build or another node is
// not used, and the run that finds it so writes a new one, whole (a rename), when the command has
// succeeded; where dist/ cannot be written (a global install) it is kept in the user's cache
// ($XDG_CACHE_HOME/vfi, else ~/.cache/vfi), and where neither can, each run compiles the script.
// VFI_DEBUG=1 runs the whole program (ES modules), whose stacks name src/ lines through the source maps.
writeFileSync(path.join(ROOT, 'dist', 'main.js'), [
  '#!/usr/bin/env node',
  "'use strict';",
  "if (process.env.VFI_DEBUG === '1') process.setSourceMapsEnabled(true);",
  `const HOT = ${JSON.stringify(Object.fromEntries(Object.entries(HOT_WORDS).map(([w, b]) => [w, `hot-${b}`])))};`,
  `const SCRIPTS = ${JSON.stringify(SCRIPTS)};`,
  'const words = process.argv.slice(2);',
  "let build = 'main';",
  "if (process.env.VFI_DEBUG !== '1' && !words.some((w) => /^-[^-]*[vV]/.test(w))) {",
  '  for (let i = 0; i < words.length; i++) {',
  "    if (words[i] === '--store') i++;",
  "    else if (words[i] !== '--json' && !words[i].startsWith('--store=')) {",
  "      if (!words[i].startsWith('-') && Object.hasOwn(HOT, words[i])) build = HOT[words[i]];",
  '      break;',
  '    }',
  '  }',
  '}',
  'function runScript(file, hash) {',
  "  const fs = require('node:fs');",
  "  const vm = require('node:vm');",
  // zlib's CRC-32 (node >= 20.15; every hot script loads node:zlib anyway) over the ~250 KB cache
  // costs ~0.1 ms; the FNV-1a below, run cold before anything is compiled, ~2 ms.
  "  const sum = require('node:zlib').crc32 ?? ((bytes) => {",
  '    let h = 0x811c9dc5;',
  '    const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);',
  '    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);',
  '    for (let i = words.length << 2; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);',
  '    return h >>> 0;',
  '  });',
  "  const path = require('node:path');",
  // Named for the node too: two nodes that share a dist keep one cache each, not rewrite one.
  '  const name = `${path.basename(file)}.${hash}.${process.versions.v8}.cache`;',
  '  const beside = path.join(path.dirname(file), name);',
  "  const mine = () => path.join(process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache'), 'vfi', name);",
  '  const read = (at) => {',
  '    try {',
  "      const kept = fs.readFileSync(typeof at === 'function' ? at() : at);",
  '      const data = kept.subarray(4);',
  '      if (kept.length > 4 && data.byteOffset % 4 === 0 && kept.readUInt32LE(0) === sum(data)) return data;',
  '    } catch {}',
  '    return undefined;',
  '  };',
  '  const cachedData = read(beside) ?? read(mine);',
  // The script is its own function wrapper (see its build above): read as one string, as it is.
  "  const script = new vm.Script(fs.readFileSync(file, 'latin1'), { filename: file, cachedData });",
  '  const write = (at, bytes) => {',
  '    const temp = `${at}.${process.pid}`;',
  '    try {',
  '      fs.mkdirSync(path.dirname(at), { recursive: true });',
  '      fs.writeFileSync(temp, bytes);',
  '      fs.renameSync(temp, at);',
  // Caches of other builds and nodes are left to age out: one written over a month ago goes when
  // another is written beside it (a cache in use is never written, so it may go, and is made again).
  '      const old = Date.now() - 30 * 24 * 3600 * 1000;',
  '      for (const f of fs.readdirSync(path.dirname(at))) {',
  '        const other = path.join(path.dirname(at), f);',
  "        if (/^hot-.*\\.cache$/.test(f) && other !== at) try { if (fs.statSync(other).mtimeMs < old) fs.rmSync(other); } catch {}",
  '      }',
  '      return true;',
  '    } catch {',
  '      fs.rmSync(temp, { force: true });',
  '      return false;',
  '    }',
  '  };',
  '  if (cachedData === undefined || script.cachedDataRejected) {',
  // Written after a run that succeeded: one that failed early compiled little of what the command runs.
  "    process.once('exit', (code) => {",
  '      if (code !== 0) return;',
  '      try {',
  '        const data = script.createCachedData();',
  '        const head = Buffer.alloc(4);',
  '        head.writeUInt32LE(sum(data));',
  '        const bytes = Buffer.concat([head, data]);',
  '        if (!write(beside, bytes)) write(mine(), bytes);',
  '      } catch {}',
  '    });',
  '  }',
  "  const module = { exports: {}, id: file, filename: file, loaded: false };",
  // The bin's own require: a hot script requires builtins, and packages that resolve from dist/ as
  // they would from dist/chunks/ (node:module's createRequire would load the ES loader's modules, ~3 ms).
  "  script.runInThisContext()(module.exports, require, module, file, path.dirname(file));",
  '}',
  "if (Object.hasOwn(SCRIPTS, build)) runScript(require('node:path').join(__dirname, 'chunks', `${build}.cjs`), SCRIPTS[build]);",
  'else import(`./chunks/${build}.js`);',
  '',
].join('\n'));
