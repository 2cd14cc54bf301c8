/**
 * Which of vfi's sources a run loaded, from the module log of test/helpers/moduleLog.mjs: dist/ is
 * an esbuild bundle split into chunks (scripts/bundle.mjs), whose source maps name the sources each
 * holds; a file tsc emitted stands for its own source.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export function loadedSources(moduleLog: string): string[] {
  const sources = new Set<string>();
  for (const url of fs.readFileSync(moduleLog, 'utf8').split('\n')) {
    const built = /\/dist\/(.*)\.js$/.exec(url)?.[1];
    if (built === undefined || !url.startsWith('file:')) continue;
    if (!built.startsWith('chunks/')) sources.add(`src/${built}.ts`);
    else {
      const map = JSON.parse(fs.readFileSync(`${fileURLToPath(url)}.map`, 'utf8')) as { sources: string[] };
      for (const s of map.sources) if (s.startsWith('../../src/')) sources.add(s.slice('../../'.length));
    }
  }
  return [...sources];
}
