/** relate(): how two commits of a store stand, on small histories built in a temp store. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCommit, encodeTree } from '../../src/core/gitObject.js';
import { CommitReader, relate } from '../../src/remote/graph.js';
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
  const reader = new CommitReader(store.objects);

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
    const counting = new CommitReader(store.objects);
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
