/**
 * Which of vfi's sources a run evaluated, from V8's coverage of it (NODE_V8_COVERAGE=dir): a hot
 * command is one script (scripts/bundle.mjs) that holds code it may never run, so what it loaded
 * says nothing of what it cost. A source counts when a function that ran begins with code its
 * source map gives to that source: any function of it that was called, and the body of a module
 * the bundle initialises on first use. Code a script runs at its top level is left out: there the
 * bundle sets up every module's exports, run or not.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from '@jridgewell/sourcemap-codec';

interface Range { startOffset: number; endOffset: number; count: number }
interface ScriptCoverage { url: string; functions: { ranges: Range[] }[] }

const ROOT = path.resolve(import.meta.dirname, '../..');

export function evaluatedSources(coverageDir: string): string[] {
  const sources = new Set<string>();
  for (const name of fs.readdirSync(coverageDir)) {
    const { result } = JSON.parse(fs.readFileSync(path.join(coverageDir, name), 'utf8')) as { result: ScriptCoverage[] };
    for (const script of result) {
      if (!script.url.startsWith('file:')) continue;
      const file = fileURLToPath(script.url);
      if (!fs.existsSync(`${file}.map`)) {
        if (script.functions.some((f) => f.ranges[0]!.count > 0)) sources.add(path.relative(ROOT, file));
        continue;
      }
      for (const s of ranFunctionSources(script)) sources.add(path.relative(ROOT, path.resolve(path.dirname(file), s)));
    }
  }
  return [...sources];
}

function ranFunctionSources(script: ScriptCoverage): Set<string> {
  const file = fileURLToPath(script.url);
  const code = fs.readFileSync(file, 'utf8');
  const map = JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')) as { sources: string[]; mappings: string };
  const whole = script.functions.find((f) => f.ranges[0]!.startOffset === 0)!.ranges[0]!;
  // dist/main.js compiles a hot script inside a one-line function head and "\n})": V8's offsets
  // count from the start of that head.
  const extra = whole.endOffset - code.length;
  const head = extra === 0 ? 0 : extra - '\n})'.length;
  const lineStarts = [0];
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const offsets: number[] = [];
  const sourceAt: number[] = [];
  decode(map.mappings).forEach((segments, line) => {
    for (const [column, source] of segments) {
      if (source === undefined) continue;
      offsets.push(head + lineStarts[line]! + column);
      sourceAt.push(source);
    }
  });
  const ran = new Set<string>();
  for (const { ranges: [fn] } of script.functions) {
    if (fn!.count === 0 || fn === whole) continue;
    let lo = 0;
    let hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offsets[mid]! < fn!.startOffset) lo = mid + 1;
      else hi = mid;
    }
    if (lo < offsets.length && offsets[lo]! < fn!.endOffset) ran.add(map.sources[sourceAt[lo]!]!);
  }
  return ran;
}
