/** Pull and push decisions and the deterministic merge commits (src/remote/merge.ts), and the tree union. */
import { describe, expect, it } from 'vitest';
import { encodeCommit, objectId, type TreeEntry } from '../../src/core/gitObject.js';
import type { CommitFacts } from '../../src/remote/graph.js';
import {
  assertionsMergeCommit,
  laterParent,
  lineageMergeCommit,
  MERGE_NAME,
  pullAction,
  pushAction,
} from '../../src/remote/merge.js';
import { unionEntries } from '../../src/store/merge.js';

const L = '1111111111111111111111111111111111111111';
const R = '2222222222222222222222222222222222222222';
const T = (c: string) => c.repeat(40);

describe('pullAction', () => {
  it.each([
    [undefined, R, undefined, { kind: 'create', next: R }],
    [L, R, 'equal', { kind: 'up-to-date' }],
    [L, R, 'ahead', { kind: 'local-ahead' }],
    [L, R, 'behind', { kind: 'fast-forward', next: R }],
    [L, R, 'diverged', { kind: 'merge' }],
  ] as const)('local %s, remote %s, %s', (local, remote, relation, expected) => {
    expect(pullAction(local, remote, relation)).toEqual(expected);
  });
});

describe('pushAction', () => {
  it.each([
    [L, undefined, undefined, { kind: 'create' }],
    [L, L, undefined, { kind: 'up-to-date' }],
    [L, R, 'ahead', { kind: 'fast-forward' }],
    [L, R, undefined, { kind: 'rejected', reason: 'fetch-first' }], // the remote head is not in the store
    [L, R, 'behind', { kind: 'rejected', reason: 'fetch-first' }],
    [L, R, 'diverged', { kind: 'rejected', reason: 'diverged' }],
  ] as const)('local %s, remote %s, %s', (local, remote, relation, expected) => {
    expect(pushAction(local, remote, relation)).toEqual(expected);
  });
});

describe('lineage merge commits', () => {
  const a: CommitFacts = { id: R, tree: T('a'), parents: [], time: 1_800_000_100 };
  const b: CommitFacts = { id: L, tree: T('b'), parents: [], time: 1_800_000_000 };

  it('are the same whichever side is local', () => {
    const ab = encodeCommit(lineageMergeCommit(a, b));
    const ba = encodeCommit(lineageMergeCommit(b, a));
    expect(ab.equals(ba)).toBe(true);
    expect(objectId('commit', ab)).toBe(objectId('commit', ba));
  });

  it('keep both heads as parents, sorted, and carry the VFI of the later one', () => {
    const c = lineageMergeCommit(a, b);
    expect(c.parents).toEqual([L, R]);
    expect(c.tree).toBe(a.tree);
    expect(c.author).toEqual({ name: MERGE_NAME, email: expect.any(String), timestamp: a.time, tzOffset: 0 });
    expect(c.committer).toEqual(c.author);
  });

  it('break a tie in time with the smaller commit id', () => {
    const tied = { ...b, time: a.time };
    expect(laterParent(a, tied)).toBe(tied);
    expect(laterParent(tied, a)).toBe(tied);
    expect(lineageMergeCommit(a, tied).tree).toBe(tied.tree);
  });

  it('assertions merges take the given union tree and the later time', () => {
    const c = assertionsMergeCommit(b, a, T('c'));
    expect(c).toMatchObject({ tree: T('c'), parents: [L, R], author: { timestamp: a.time } });
    expect(encodeCommit(c).equals(encodeCommit(assertionsMergeCommit(a, b, T('c'))))).toBe(true);
  });
});

describe('unionEntries', () => {
  const blob = (name: string, c: string): TreeEntry => ({ mode: '100644', name, id: T(c) });
  const dir = (name: string, c: string): TreeEntry => ({ mode: '40000', name, id: T(c) });
  const names = (u: ReturnType<typeof unionEntries>) => u.entries.map((e) => `${e.name}:${e.id[0]}`).sort();

  it('keeps entries of either side, and equal entries once', () => {
    const u = unionEntries([blob('x.json', '1'), blob('y.json', '2')], [blob('y.json', '2'), blob('z.json', '3')]);
    expect(names(u)).toEqual(['x.json:1', 'y.json:2', 'z.json:3']);
    expect(u.recurse).toEqual([]);
    expect(u.conflicts).toEqual([]);
  });

  it('asks to union subtrees of the same name that differ', () => {
    const u = unionEntries([dir('ab', '1'), dir('cd', '5')], [dir('ab', '2'), dir('cd', '5')], 'root/');
    expect(u.recurse).toEqual([{ name: 'ab', a: T('1'), b: T('2') }]);
    expect(names(u)).toEqual(['ab:1', 'cd:5']);
  });

  it('keeps both of two different files under one name, and reports it, the same way in either order', () => {
    const one = unionEntries([blob('r.json', '9')], [blob('r.json', '4')], 'ab/cd/');
    const two = unionEntries([blob('r.json', '4')], [blob('r.json', '9')], 'ab/cd/');
    expect(names(one)).toEqual([`r.json:4`, `r.json~${T('9')}:9`]);
    expect(names(two)).toEqual(names(one));
    expect(one.conflicts).toEqual([{ path: 'ab/cd/r.json', ids: [T('4'), T('9')] }]);
  });
});
