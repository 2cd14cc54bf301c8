/**
 * What a pull does with each ref, decided from values alone, and the merge commits it makes.
 *
 * Merge commits are deterministic, so two machines merging the same two heads make the same commit
 * and their refs converge after the next push and pull: parents in sorted order, author and
 * committer a fixed "vfi merge" identity dated at the later parent's committer time, a fixed message.
 * A lineage merge keeps both publications reachable (both parents) and carries the VFI of the
 * parent committed later (ties: the smaller commit id); an assertions merge carries the union of
 * both trees.
 */
import type { Commit, Signature } from '../core/gitObject.js';
import type { CommitFacts, Relation } from './graph.js';

export type RefAction =
  /** nothing to do */
  | { kind: 'up-to-date' }
  /** the local ref has commits the remote lacks: the next push sends them */
  | { kind: 'local-ahead' }
  /** a ref the store does not have yet */
  | { kind: 'create'; next: string }
  | { kind: 'fast-forward'; next: string }
  /** both sides moved: merge the two heads */
  | { kind: 'merge' };

/** What pull does with one ref, given the local head (if any), the remote head and how they relate. */
export function pullAction(local: string | undefined, remote: string, relation: Relation | undefined): RefAction {
  if (local === undefined) return { kind: 'create', next: remote };
  switch (relation) {
    case 'equal':
      return { kind: 'up-to-date' };
    case 'ahead':
      return { kind: 'local-ahead' };
    case 'behind':
      return { kind: 'fast-forward', next: remote };
    default:
      return { kind: 'merge' };
  }
}

export type PushAction =
  | { kind: 'up-to-date' }
  | { kind: 'create' }
  | { kind: 'fast-forward' }
  /** the remote has commits the store lacks: pull first */
  | { kind: 'rejected'; reason: 'fetch-first' | 'diverged' };

/** What push does with one local ref; `relation` is undefined when the remote head is not in the store. */
export function pushAction(local: string, remote: string | undefined, relation: Relation | undefined): PushAction {
  if (remote === undefined) return { kind: 'create' };
  if (remote === local) return { kind: 'up-to-date' };
  if (relation === undefined) return { kind: 'rejected', reason: 'fetch-first' };
  if (relation === 'ahead') return { kind: 'fast-forward' };
  if (relation === 'equal') return { kind: 'up-to-date' };
  return { kind: 'rejected', reason: relation === 'behind' ? 'fetch-first' : 'diverged' };
}

export const MERGE_NAME = 'vfi merge';
export const MERGE_EMAIL = 'merge@vfi.invalid';
export const LINEAGE_MERGE_MESSAGE = 'merge concurrent publications\n\nBoth heads are parents, so both publications stay in the lineage; the tree is the\nVFI of the parent committed later.\n';
export const ASSERTIONS_MERGE_MESSAGE = 'merge assertions\n\nThe tree is the union of both parents\' records.\n';

function mergeSignature(a: CommitFacts, b: CommitFacts): Signature {
  return { name: MERGE_NAME, email: MERGE_EMAIL, timestamp: Math.max(a.time, b.time), tzOffset: 0 };
}

const sortedParents = (a: CommitFacts, b: CommitFacts) => [a.id, b.id].sort();

/** The parent whose VFI a lineage merge carries: committed later, ties to the smaller commit id. */
export function laterParent(a: CommitFacts, b: CommitFacts): CommitFacts {
  if (a.time !== b.time) return a.time > b.time ? a : b;
  return a.id < b.id ? a : b;
}

/** The merge commit of two diverged lineage heads; the same whichever side is "local". */
export function lineageMergeCommit(a: CommitFacts, b: CommitFacts): Commit {
  const sig = mergeSignature(a, b);
  return { tree: laterParent(a, b).tree, parents: sortedParents(a, b), author: sig, committer: sig, message: LINEAGE_MERGE_MESSAGE };
}

/** The merge commit of two diverged assertion histories, whose tree is the union `tree`. */
export function assertionsMergeCommit(a: CommitFacts, b: CommitFacts, tree: string): Commit {
  const sig = mergeSignature(a, b);
  return { tree, parents: sortedParents(a, b), author: sig, committer: sig, message: ASSERTIONS_MERGE_MESSAGE };
}
