/**
 * After `vfi assert` and `assert --batch` the pick caches are advanced by the appender (store/
 * rankedCache.ts advance), so the next pick reads a few lines: it must answer as a store whose
 * caches were deleted, and a cache the append was not made on (a rewound ref, a concurrent
 * writer) must never be used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { at, cliWith, finished, git, PICK_ANY, useRuntimes, vfiAsync } from '../helpers/cli.js';

const { vfi, ok } = cliWith(PICK_ANY);
const REF = 'refs/vfi-assertions/main';
const FIND = ['find', 'Runtime', '--has', 'tests-passed,reviewed'];

describe('pick caches advanced by the appender', () => {
  const { dir, store, ids } = useRuntimes(['1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5']);
  const head = (s: string) => git(s, ['rev-parse', REF]).stdout.trim();
  /** The first line of the ranked cache: the refs it reflects. */
  const rankedKey = (s: string) => fs.readFileSync(path.join(s, 'vfi-cache', 'ranked', 'best', 'Runtime'), 'utf8').split('\n')[0]!;
  const answers = (s: string) => [['pick', 'Runtime'], FIND].map((args) => {
    const r = vfi(s, args);
    return `${r.code} ${r.stdout}`;
  });
  const picked = (i: number) => `0 Runtime@${ids[i]}\n`;
  /** What a copy of `s` without its caches answers. */
  const fromGit = (s: string, name: string) => {
    const cold = path.join(dir, name);
    fs.cpSync(s, cold, { recursive: true });
    fs.rmSync(path.join(cold, 'vfi-cache'), { recursive: true, force: true });
    return answers(cold);
  };
  const batch = (s: string, records: [number, string, 'pass' | 'fail'][], time: string) =>
    ok(s, ['assert', '--batch', '-'], { input: records.map(([i, claim, result]) => JSON.stringify({ vfi: `Runtime@${ids[i]}`, claim, result })).join('\n'), ...at(time) });

  it('a pick right after a batch and after an assert reads the advanced cache and answers as git does', () => {
    expect(answers(store)).toEqual([picked(5), '3 ']); // ranked before anything was asserted
    batch(store, [[0, 'tests-passed', 'pass'], [0, 'reviewed', 'pass'], [2, 'tests-passed', 'pass'], [2, 'reviewed', 'pass']], '2026-11-01T12:00:00Z');
    expect(rankedKey(store)).toContain(`assertions=${head(store)}`);
    expect(answers(store)).toEqual([picked(2), picked(2)]);
    // ids[2] fails, ids[1] rises above ids[0]: the pick moves
    batch(store, [[2, 'reviewed', 'fail'], [1, 'tests-passed', 'pass'], [1, 'reviewed', 'pass'], [1, 'perf-ok', 'pass']], '2026-11-01T13:00:00Z');
    expect(rankedKey(store)).toContain(`assertions=${head(store)}`);
    expect(answers(store)).toEqual([picked(1), picked(1)]);
    expect(answers(store)).toEqual(fromGit(store, 'cold-1'));
    ok(store, ['assert', `Runtime@${ids[1]}`, 'perf-ok', '--fail'], at('2026-11-01T14:00:00Z'));
    ok(store, ['assert', `Runtime@${ids[4]}`, 'tests-passed', 'reviewed', 'smoke-verified'], at('2026-11-01T14:00:00Z'));
    expect(rankedKey(store)).toContain(`assertions=${head(store)}`);
    expect(answers(store)).toEqual([picked(4), picked(4)]);
    expect(answers(store)).toEqual(fromGit(store, 'cold-2'));
  });

  it('a cache the append was not made on is left alone (a rewound ref)', () => {
    const s = path.join(dir, 'rewound');
    fs.cpSync(store, s, { recursive: true });
    answers(s);
    const base = head(s);
    ok(s, ['assert', `Runtime@${ids[3]}`, 'tests-passed', 'reviewed', 'smoke-verified', 'perf-ok'], at('2026-11-01T15:00:00Z'));
    expect(answers(s)[0]).toBe(picked(3));
    // Someone else's doing (a reset, a forced pull): the caches now reflect a commit that is not the parent of the next append.
    expect(git(s, ['update-ref', REF, base]).code).toBe(0);
    ok(s, ['assert', `Runtime@${ids[0]}`, 'docs-checked'], at('2026-11-01T16:00:00Z'));
    expect(rankedKey(s)).not.toContain(`assertions=${head(s)}`);
    expect(answers(s)).toEqual(fromGit(s, 'cold-3'));
    expect(answers(s)[0]).toBe(picked(4));
  });

  it('concurrent batches: whatever each one advances, the pick after them answers as git does', async () => {
    const s = path.join(dir, 'concurrent');
    fs.cpSync(store, s, { recursive: true });
    answers(s);
    const lines = (claim: string, results: [number, 'pass' | 'fail'][]) => results.map(([v, result]) => JSON.stringify({ vfi: `Runtime@${ids[v]}`, claim, result })).join('\n');
    const runs = [
      lines('lint-clean', [[4, 'fail'], [0, 'pass'], [3, 'pass']]),
      lines('security-scanned', [[0, 'pass'], [3, 'pass']]),
      lines('static-verified', [[0, 'fail'], [3, 'pass']]),
    ].map((input, i) => {
      const file = path.join(dir, `batch-${i}.jsonl`);
      fs.writeFileSync(file, input);
      return finished(vfiAsync(s, ['assert', '--batch', file]));
    });
    for (const r of await Promise.all(runs)) expect(r.code, r.stderr).toBe(0);
    expect(answers(s)[0]).toBe(picked(3));
    expect(answers(s)).toEqual(fromGit(s, 'cold-4'));
  });

  it('past the 2,000 VFIs a ranking keeps: a VFI from outside moves in, the kept ones fall out, and an emptied ranking is rebuilt', () => {
    const s = path.join(dir, 'long');
    const n = 2100;
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ api: { type: 'dockerImage', address: `polyverse/api:v${i}` } }));
    const all = ok(s, ['import', 'Runtime', '-'], { input: lines.join('\n') }).trim().split('\n').map((l) => l.split('@')[1]!);
    const records = (claim: string, result: 'pass' | 'fail', which: number[]) => which.map((i) => JSON.stringify({ vfi: `Runtime@${all[i]}`, claim, result }));
    const step = (input: string[], time: string) => ok(s, ['assert', '--batch', '-'], { input: input.join('\n'), ...at(time) });
    const at2 = (i: number) => `0 Runtime@${all[i]}\n`;
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
    step(records('tests-passed', 'pass', range(0, n)), '2026-11-02T00:00:00Z');
    expect(answers(s)).toEqual([at2(n - 1), '3 ']); // the 2,000 most recent are kept; the 100 oldest are not
    step([...records('reviewed', 'pass', [5]), ...records('reviewed', 'fail', [n - 1])], '2026-11-02T00:01:00Z');
    expect(rankedKey(s)).toContain(`assertions=${head(s)}`);
    expect(answers(s)).toEqual([at2(5), at2(5)]);
    // every kept VFI changes, none falls out
    step(records('perf-ok', 'pass', range(100, n)), '2026-11-02T00:01:30Z');
    expect(rankedKey(s)).toContain(`assertions=${head(s)}`);
    expect(answers(s)).toEqual([at2(n - 2), at2(5)]);
    expect(answers(s)).toEqual(fromGit(s, 'long-cold-3'));
    // every kept VFI fails: nothing kept vouches for the rest, so the next pick ranks in full
    step(records('tests-passed', 'fail', [5, ...range(100, n)]), '2026-11-02T00:02:00Z');
    expect(rankedKey(s)).not.toContain(`assertions=${head(s)}`);
    expect(answers(s)).toEqual([at2(99), '3 ']);
    expect(answers(s)).toEqual(fromGit(s, 'long-cold-2'));
  }, 120_000);
});
