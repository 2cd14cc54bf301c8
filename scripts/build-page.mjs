// Bundle the live page of `vfi creds serve`: its script (with src/creds/convert.ts and yaml) for
// the browser, and its HTML and CSS copied beside it, into dist/creds/page/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const out = 'dist/creds/page';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['src/creds/page/page.ts'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  outfile: `${out}/page.js`,
  logLevel: 'warning',
});
for (const f of ['index.html', 'page.css']) copyFileSync(`src/creds/page/${f}`, `${out}/${f}`);
