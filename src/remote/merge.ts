/**
 * The merges `vfi pull` writes, as core/merge.ts decides them: a lineage merge of two diverged
 * heads (read both VFIs and their merge base's, merge them, write the merged VFI when it is new,
 * and the merge commit), and a union merge of the assertions, trust or policy histories (the union
 * of both trees, written level by level where they differ). Everything written is a function of
 * the two heads' history alone, so another machine merging the same heads writes the same objects.
 */
import { encodeCommit, encodeTree } from '../core/gitObject.js';
import { lineageMergeCommit, lineageMergeMessage, mergeLineage, unionEntries, unionMergeCommit, type LineageMerge, type MergeSide, type UnionConflict } from '../core/merge.js';
import type { Vfi } from '../core/vfi.js';
import { readTree, type CommitReader, type StoredCommit } from '../git/commits.js';
import { mergeBase } from '../git/graph.js';
import { writeVfiTree } from '../store/publish.js';
import type { Store } from '../store/store.js';

export type StoredMergeSide = MergeSide<StoredCommit>;

export interface WrittenLineageMerge extends LineageMerge<StoredCommit> {
  /** the merge commit, written to the store (no ref moved) */
  commit: string;
  sides: [StoredMergeSide, StoredMergeSide];
}

/** Merge the lineage heads `a` and `b` (both in the store) into a new commit; returns it and what it holds. */
export async function writeLineageMerge(store: Store, reader: CommitReader, a: string, b: string): Promise<WrittenLineageMerge> {
  const side = async (id: string): Promise<StoredMergeSide> => {
    const commit = await reader.read(id);
    return { commit, vfi: await store.readVfi(await store.vfiIdOfTree(commit.tree, id)) };
  };
  const [ours, theirs, base] = await Promise.all([side(a), side(b), mergeBase(reader, a, b)]);
  const baseVfi: Vfi = base ? (await store.readVfi(await store.vfiIdOfCommit(base))).vfi : {};
  const merge = mergeLineage({ commit: base, vfi: baseVfi }, ours, theirs);
  let tree = merge.carried?.commit.tree;
  tree ??= writeVfiTree(store, merge.vfi.bytes);
  const message = lineageMergeMessage(merge, ours, theirs);
  const commit = store.objects.write('commit', encodeCommit(lineageMergeCommit(ours.commit, theirs.commit, tree, message)));
  return { ...merge, commit, sides: [ours, theirs] };
}

/** Merge two diverged heads of the union ref `ref` into a new commit whose tree is the union of theirs; conflicts are added to `conflicts`. */
export async function writeUnionMerge(store: Store, reader: CommitReader, ref: string, a: string, b: string, conflicts: UnionConflict[] = []): Promise<string> {
  const [ca, cb] = await Promise.all([reader.read(a), reader.read(b)]);
  const tree = await unionTrees(store, ca.tree, cb.tree, conflicts);
  return store.objects.write('commit', encodeCommit(unionMergeCommit(ref, ca, cb, tree)));
}

/** Write the union of trees `a` and `b` into the store and return its id. */
export async function unionTrees(store: Store, a: string, b: string, conflicts: UnionConflict[] = [], dir = ''): Promise<string> {
  if (a === b) return a;
  const [ea, eb] = await Promise.all([readTree(store.objects, a), readTree(store.objects, b)]);
  const level = unionEntries(ea, eb, dir);
  conflicts.push(...level.conflicts);
  const replaced = new Map<string, string>();
  for (const r of level.recurse) replaced.set(r.name, await unionTrees(store, r.a, r.b, conflicts, `${dir}${r.name}/`));
  const entries = level.entries.map((e) => (replaced.has(e.name) ? { ...e, id: replaced.get(e.name)! } : e));
  return store.objects.write('tree', encodeTree(entries));
}
