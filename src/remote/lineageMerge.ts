/**
 * The merge `vfi pull` makes of two diverged lineage heads: read both VFIs and their merge base's,
 * merge them (remote/merge.ts mergeLineage, pure), write the merged VFI when it is new, and the
 * merge commit. Everything written is a function of the two heads' history alone, so another
 * machine merging the same heads writes the same objects.
 */
import { encodeCommit } from '../core/gitObject.js';
import type { Vfi } from '../core/vfi.js';
import { writeVfiTree } from '../store/publish.js';
import type { Store } from '../store/store.js';
import { mergeBase, type CommitReader } from './graph.js';
import { lineageMergeCommit, lineageMergeMessage, mergeLineage, type LineageMerge, type MergeSide } from './merge.js';

export interface WrittenLineageMerge extends LineageMerge {
  /** the merge commit, written to the store (no ref moved) */
  commit: string;
  sides: [MergeSide, MergeSide];
}

/** Merge the lineage heads `a` and `b` (both in the store) into a new commit; returns it and what it holds. */
export async function writeLineageMerge(store: Store, reader: CommitReader, a: string, b: string): Promise<WrittenLineageMerge> {
  const side = async (id: string): Promise<MergeSide> => {
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
