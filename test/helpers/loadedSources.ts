/**
 * Which of vfi's sources a run loaded, from the module log of test/helpers/moduleLog.mjs: dist/ is
 * an esbuild bundle split into chunks (scripts/bundle.mjs), each of which names the sources it holds
 * in `// src/…` lines; a file tsc emitted stands for its own source.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export function loadedSources(moduleLog: string): string[] {
  const sources = new Set<string>();
  for (const url of fs.readFileSync(moduleLog, 'utf8').split('\n')) {
    const dist = url.match(/\/dist\/(.*)\.js$/);
    if (!dist || !url.startsWith('file:')) continue;
    if (!dist[1].startsWith('chunks/')) sources.add(`src/${dist[1]}.ts`);
    else for (const m of fs.readFileSync(fileURLToPath(url), 'utf8').matchAll(/^\/\/ (src\/\S+\.ts)$/gm)) sources.add(m[1]);
  }
  return [...sources];
}
