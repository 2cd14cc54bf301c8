/** The three-way lineage merge and the deterministic merge commits (src/core/merge.ts), and the tree union. */
import { describe, expect, it } from 'vitest';
import { encodeCommit, objectId, type TreeEntry } from '../../src/core/gitObject.js';
import { canonicalVfi, type Component, type Vfi } from '../../src/core/vfi.js';
import {
  laterParent,
  LINEAGE_MERGE_SUBJECT,
  lineageMergeCommit,
  lineageMergeMessage,
  MERGE_NAME,
  mergeLineage,
  unionEntries,
  unionMergeCommit,
  unionMergeMessage,
  type MergeHead,
  type MergeSide,
} from '../../src/core/merge.js';

const L = '1111111111111111111111111111111111111111';
const R = '2222222222222222222222222222222222222222';
const T = (c: string) => c.repeat(40);

const image = (address: string): Component => ({ type: 'dockerImage', address });
const BASE: Vfi = { nsq: image('nsqio/nsq:v1.2.0'), router: image('polyverse/router:2.1.0'), api: image('polyverse/api:v3') };
const side = (id: string, time: number, vfi: Vfi): MergeSide => ({ commit: { id, tree: T(id[0]!), time }, vfi: canonicalVfi(vfi) });
type Edits = Record<string, Component | undefined>;
const edited = (changes: Edits): Vfi => {
  const out: Vfi = { ...BASE };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
};

describe('mergeLineage: three-way, component by component', () => {
  // `early` published at t, `late` at t+100: a conflict goes to `late`.
  it.each<{ name: string; early: Edits; late: Edits; merged: Edits; changes: unknown[][]; carried: string | undefined }>([
    {
      name: 'disjoint edits: both taken, a new VFI',
      early: { router: image('polyverse/router:3.0') },
      late: { nsq: image('nsqio/nsq:v1.3.0') },
      merged: { router: image('polyverse/router:3.0'), nsq: image('nsqio/nsq:v1.3.0') },
      changes: [['nsq', 'one-side', R], ['router', 'one-side', L]],
      carried: undefined,
    },
    {
      name: 'the same change on both sides: taken once, the VFI of either',
      early: { router: image('polyverse/router:3.0') },
      late: { router: image('polyverse/router:3.0') },
      merged: { router: image('polyverse/router:3.0') },
      changes: [['router', 'same', undefined]],
      carried: R, // equal VFIs: the later side's tree
    },
    {
      name: 'different changes to one component: the later side wins',
      early: { router: image('polyverse/router:3.0'), api: image('polyverse/api:v4') },
      late: { router: image('polyverse/router:3.1') },
      merged: { router: image('polyverse/router:3.1'), api: image('polyverse/api:v4') },
      changes: [['api', 'one-side', L], ['router', 'conflict', R]],
      carried: undefined,
    },
    {
      name: 'a removal on one side, nothing on the other: removed',
      early: { nsq: undefined },
      late: { api: image('polyverse/api:v4') },
      merged: { nsq: undefined, api: image('polyverse/api:v4') },
      changes: [['api', 'one-side', R], ['nsq', 'one-side', L]],
      carried: undefined,
    },
    {
      name: 'an addition on one side and a removal on the other, of different components',
      early: { etcd: image('quay.io/coreos/etcd:v3.5.9') },
      late: { router: undefined },
      merged: { etcd: image('quay.io/coreos/etcd:v3.5.9'), router: undefined },
      changes: [['etcd', 'one-side', L], ['router', 'one-side', R]],
      carried: undefined,
    },
    {
      name: 'a removal against a change: a conflict the later side wins, even when it removed',
      early: { router: image('polyverse/router:3.0') },
      late: { router: undefined },
      merged: { router: undefined },
      changes: [['router', 'conflict', R]],
      carried: R,
    },
    {
      name: 'a change of another field (an x- key, a type) counts as a change',
      early: { router: { ...image('polyverse/router:2.1.0'), 'x-note': 'hotfix' } },
      late: { api: { type: 'git', address: 'https://example.com/api.git@1111111111111111111111111111111111111111' } },
      merged: { router: { ...image('polyverse/router:2.1.0'), 'x-note': 'hotfix' }, api: { type: 'git', address: 'https://example.com/api.git@1111111111111111111111111111111111111111' } },
      changes: [['api', 'one-side', R], ['router', 'one-side', L]],
      carried: undefined,
    },
    {
      name: 'one side changed nothing against the base: the other side\'s VFI, whole, even published earlier',
      early: { router: image('polyverse/router:3.0') },
      late: {},
      merged: { router: image('polyverse/router:3.0') },
      changes: [['router', 'one-side', L]],
      carried: L,
    },
  ])('$name', ({ early, late, merged, changes, carried }) => {
    const a = side(L, 1_800_000_000, edited(early));
    const b = side(R, 1_800_000_100, edited(late));
    const m = mergeLineage({ commit: T('0'), vfi: BASE }, a, b);
    expect(m.vfi.vfi).toEqual(edited(merged));
    expect(m.vfi.id).toBe(canonicalVfi(edited(merged)).id);
    expect(m.components.map((c) => [c.component, c.kind, 'from' in c ? c.from : undefined])).toEqual(changes);
    expect(m.carried?.commit.id).toBe(carried);
    // the same from the other side, down to the bytes of the commit
    const m2 = mergeLineage({ commit: T('0'), vfi: BASE }, b, a);
    expect(m2).toEqual(m);
    const tree = m.carried?.commit.tree ?? T('f');
    const ab = encodeCommit(lineageMergeCommit(a.commit, b.commit, tree, lineageMergeMessage(m, a, b)));
    const ba = encodeCommit(lineageMergeCommit(b.commit, a.commit, tree, lineageMergeMessage(m2, b, a)));
    expect(ab.equals(ba)).toBe(true);
  });

  it('names both values of a conflict, and every side by its VFI id, in the commit message', () => {
    const a = side(L, 1_800_000_000, edited({ router: image('polyverse/router:3.0'), nsq: undefined }));
    const b = side(R, 1_800_000_100, edited({ router: image('polyverse/router:3.1'), api: image('polyverse/api:v4') }));
    const message = lineageMergeMessage(mergeLineage({ commit: T('0'), vfi: BASE }, a, b), a, b);
    expect(message.split('\n')[0]).toBe(LINEAGE_MERGE_SUBJECT);
    expect(message).toContain(`against the VFI of their merge base ${T('0')}`);
    expect(message).toContain(`router: polyverse/router:3.1, from ${b.vfi.id} (published later), over polyverse/router:3.0 from ${a.vfi.id}`);
    expect(message).toContain(`nsq: (removed), from ${a.vfi.id}`);
    expect(message).toContain(`api: polyverse/api:v4, from ${b.vfi.id}`);
    expect(message).not.toMatch(/local|remote/);
  });

  it('breaks a tie in time with the smaller commit id, from either side', () => {
    const a = side(R, 1_800_000_000, edited({ router: image('polyverse/router:3.0') }));
    const b = side(L, 1_800_000_000, edited({ router: image('polyverse/router:3.1') }));
    expect(laterParent(a.commit, b.commit)).toBe(b.commit);
    expect(laterParent(b.commit, a.commit)).toBe(b.commit);
    for (const [x, y] of [[a, b], [b, a]] as const) {
      expect(mergeLineage({ commit: T('0'), vfi: BASE }, x, y).vfi.vfi.router).toEqual(image('polyverse/router:3.1'));
    }
  });

  it('without a common ancestor merges against the empty VFI: what both have alike is kept, what differs conflicts', () => {
    const a = side(L, 1_800_000_000, { nsq: image('nsqio/nsq:v1'), router: image('polyverse/router:1') });
    const b = side(R, 1_800_000_100, { nsq: image('nsqio/nsq:v1'), router: image('polyverse/router:2'), api: image('polyverse/api:v1') });
    const m = mergeLineage({ commit: undefined, vfi: {} }, a, b);
    expect(m.vfi.vfi).toEqual({ nsq: image('nsqio/nsq:v1'), router: image('polyverse/router:2'), api: image('polyverse/api:v1') });
    expect(m.components.map((c) => `${c.component}:${c.kind}`)).toEqual(['api:one-side', 'nsq:same', 'router:conflict']);
    expect(lineageMergeMessage(m, a, b)).toContain('against an empty VFI');
  });
});

describe('lineage merge commits', () => {
  const a: MergeHead = { id: R, tree: T('a'), time: 1_800_000_100 };
  const b: MergeHead = { id: L, tree: T('b'), time: 1_800_000_000 };

  it('keep both heads as parents, sorted, with the fixed identity dated at the later one', () => {
    const c = lineageMergeCommit(a, b, T('c'), 'm\n');
    expect(c.parents).toEqual([L, R]);
    expect(c.tree).toBe(T('c'));
    expect(c.author).toEqual({ name: MERGE_NAME, email: expect.any(String), timestamp: a.time, tzOffset: 0 });
    expect(c.committer).toEqual(c.author);
    expect(objectId('commit', encodeCommit(c))).toBe(objectId('commit', encodeCommit(lineageMergeCommit(b, a, T('c'), 'm\n'))));
  });

  it('union merges take the given union tree and the later time', () => {
    const c = unionMergeCommit('refs/vfi-assertions/main', b, a, T('c'));
    expect(c).toMatchObject({ tree: T('c'), parents: [L, R], author: { timestamp: a.time } });
    expect(encodeCommit(c).equals(encodeCommit(unionMergeCommit('refs/vfi-assertions/main', a, b, T('c'))))).toBe(true);
  });

  it.each([
    // the assertions' message is what every vfi wrote: a new one would make two versions' merges differ
    ['refs/vfi-assertions/main', 'merge assertions\n\nThe tree is the union of both parents\' records.\n'],
    ['refs/vfi-trust/main', 'merge the trust list\n\nThe tree is the union of both parents\' trust events.\n'],
    ['refs/vfi-policy/main', 'merge the release policies\n\nThe tree is the union of both parents\' policy events.\n'],
  ])('a union merge of %s says what it merges', (ref, message) => {
    expect(unionMergeMessage(ref)).toBe(message);
    expect(unionMergeCommit(ref, a, b, T('c')).message).toBe(message);
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
