/**
 * The environment and the standard streams reach commands only through their Context (issue 16):
 * src/main.ts, the bin entry, is the one module that reads them from `process`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const ALLOWED = new Set(['main.ts']);
const READ = /\bprocess\s*\.\s*(env|stdin|stdout|stderr)\b/;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|mts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

describe('process.env, stdin, stdout and stderr', () => {
  it('are read in src/main.ts only', () => {
    const files = sources(SRC);
    expect(files.length).toBeGreaterThan(50);
    const reads = files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n')
      .map((line, i) => ({ at: `${path.relative(SRC, f)}:${i + 1}`, line }))
      .filter(({ at, line }) => READ.test(line) && !ALLOWED.has(at.split(':')[0]!)));
    expect(reads.map(({ at, line }) => `${at}: ${line.trim()}`)).toEqual([]);
  });

  it('the check finds a read where there is one', () => {
    expect(fs.readFileSync(path.join(SRC, 'main.ts'), 'utf8')).toMatch(READ);
  });
});
