/**
 * The house rules of issue 16 that a reviewer would otherwise check by hand: the environment and
 * the standard streams reach code only through its Context (src/main.ts, the bin entry, is the one
 * module that reads them from `process`), and command modules stay thin.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const READ = /\bprocess\s*\.\s*(env|stdin|stdout|stderr)\b/;
/** lines a command module may have at most */
const THIN = 79;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|mts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

const lines = (file: string) => fs.readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');

describe('process.env, stdin, stdout and stderr', () => {
  it('are read in src/main.ts only', () => {
    const files = sources(SRC).filter((f) => path.relative(SRC, f) !== 'main.ts');
    expect(files.length).toBeGreaterThan(50);
    const reads = files.flatMap((f) => lines(f)
      .map((line, i) => `${path.relative(SRC, f)}:${i + 1}: ${line.trim()}`)
      .filter((line) => READ.test(line)));
    expect(reads).toEqual([]);
  });

  it('the check finds a read where there is one', () => {
    expect(lines(path.join(SRC, 'main.ts')).some((l) => READ.test(l))).toBe(true);
  });
});

describe('command modules', () => {
  it(`are at most ${THIN} lines each`, () => {
    const modules = sources(path.join(SRC, 'commands'));
    expect(modules.length).toBeGreaterThan(10);
    const long = modules.map((f) => `${path.basename(f)}: ${lines(f).length} lines`).filter((s) => Number(/(\d+) lines/.exec(s)![1]) > THIN);
    expect(long).toEqual([]);
  });
});
