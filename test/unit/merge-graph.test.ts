/** relate() and mergeBase(): how two commits of a store stand, on small histories built in a temp store. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCommit, encodeTree } from '../../src/core/gitObject.js';
import { CommitReader } from '../../src/git/commits.js';
import { mergeBase, relate } from '../../src/git/graph.js';
import { Store } from '../../src/store/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-graph-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const store = Store.open(path.join(tmp, 'store'), { create: true });
const emptyTree = store.objects.write('tree', encodeTree([]));
let clock = 1_800_000_000;
function commit(parents: string[], message: string, time = clock++): string {
  const sig = { name: 'T', email: 't@x', timestamp: time, tzOffset: 0 };
  return store.objects.write('commit', encodeCommit({ tree: emptyTree, parents, author: sig, committer: sig, message }));
}
function chain(from: string | undefined, n: number, label: string): string {
  let head = from;
  for (let i = 0; i < n; i++) head = commit(head ? [head] : [], `${label}${i}`);
  return head!;
}

describe('relate', () => {
  const base = chain(undefined, 5, 'base');
  const local = chain(base, 3, 'local');
  const remote = chain(base, 4, 'remote');
  const merged = commit([local, remote].sort(), 'merge');
  const after = chain(merged, 2, 'after');
  const reader = new CommitReader(store.objects, { lenient: true });

  it.each([
    ['the same commit', base, base, 'equal'],
    ['local ahead', local, base, 'ahead'],
    ['local behind', base, local, 'behind'],
    ['both moved', local, remote, 'diverged'],
    ['a merge of both, ahead of either', merged, remote, 'ahead'],
    ['behind a merge that contains it', local, after, 'behind'],
    ['two roots', chain(undefined, 2, 'x'), chain(undefined, 2, 'y'), 'diverged'],
  ])('%s', async (_name, l, r, expected) => {
    expect(await relate(reader, l, r)).toBe(expected);
  });

  it('finds an ancestor even when clocks disagree (a parent dated after its child)', async () => {
    const skewed = commit([commit([local], 'future', clock + 100_000)], 'past', clock - 100_000);
    expect(await relate(reader, skewed, local)).toBe('ahead');
    expect(await relate(reader, local, skewed)).toBe('behind');
    expect(await relate(reader, skewed, remote)).toBe('diverged');
  });

  it('walks only the history since the two last met', async () => {
    const long = chain(undefined, 2000, 'long');
    const a = chain(long, 2, 'a');
    const b = chain(long, 3, 'b');
    const counting = new CommitReader(store.objects, { lenient: true });
    let reads = 0;
    const read = counting.read.bind(counting);
    counting.read = (id: string) => {
      reads++;
      return read(id);
    };
    expect(await relate(counting, a, b)).toBe('diverged');
    expect(reads).toBeLessThan(50);
  });
});

describe('mergeBase', () => {
  const reader = new CommitReader(store.objects, { lenient: true });
  const base = chain(undefined, 3, 'mb-base');
  const left = chain(base, 2, 'mb-left');
  const right = chain(base, 3, 'mb-right');

  it.each([
    ['a simple fork: where the two sides left each other', left, right, base],
    ['one side below the other: that side', base, right, base],
    ['the same commit', left, left, left],
    ['two roots: none', chain(undefined, 2, 'mb-x'), chain(undefined, 2, 'mb-y'), undefined],
  ])('%s', async (_name, a, b, expected) => {
    expect(await mergeBase(reader, a, b)).toBe(expected);
    expect(await mergeBase(reader, b, a)).toBe(expected);
  });

  it('after a merge, the merged head of the side that merged', async () => {
    const merged = commit([left, right].sort(), 'mb-merge');
    const afterMerge = chain(merged, 1, 'mb-after');
    const moreRight = chain(right, 1, 'mb-more');
    expect(await mergeBase(reader, afterMerge, moreRight)).toBe(right);
  });

  it('after a criss-cross, the later of the two best common ancestors, from either side', async () => {
    // Each side merged the other's older head: both l1 and r1 are common, neither below the other.
    const l1 = chain(base, 1, 'cc-l');
    const r1 = chain(base, 1, 'cc-r');
    const l2 = commit([l1, r1].sort(), 'cc-lm');
    const r2 = commit([r1, l1].sort(), 'cc-rm', clock + 5); // another merge of the same two: a different commit
    const times = new Map([[l1, (await reader.read(l1)).time], [r1, (await reader.read(r1)).time]]);
    const expected = times.get(l1)! > times.get(r1)! ? l1 : r1;
    expect(await mergeBase(reader, chain(l2, 1, 'cc-l3'), chain(r2, 1, 'cc-r3'))).toBe(expected);
    expect(await mergeBase(reader, chain(r2, 1, 'cc-r4'), chain(l2, 1, 'cc-l4'))).toBe(expected);
  });

  it('ties in time go to the smaller commit id', async () => {
    const t = clock + 1000;
    clock += 2000;
    const x = commit([base], 'tie-x', t);
    const y = commit([base], 'tie-y', t);
    const mx = commit([x, y].sort(), 'tie-mx', t + 1);
    const my = commit([y, x].sort(), 'tie-my', t + 2);
    expect(await mergeBase(reader, mx, my)).toBe([x, y].sort()[0]);
  });

  it('finds the best common ancestor even when clocks disagree (a common commit dated after its descendant)', async () => {
    const future = commit([base], 'skew-future', clock + 100_000); // popped first, though below `common`
    const common = commit([future], 'skew-common');
    const a = commit([common, future], 'skew-a');
    const b = commit([common, future], 'skew-b');
    expect(await mergeBase(reader, a, b)).toBe(common);
    expect(await mergeBase(reader, b, a)).toBe(common);
  });
});
