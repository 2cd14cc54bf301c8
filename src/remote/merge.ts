/**
 * What a pull or a push does with each ref, decided from values alone, and the merges a pull makes.
 *
 * Merge commits are deterministic, so two machines merging the same two heads make the same commit
 * and their refs converge after the next push and pull: parents in sorted order, author and
 * committer a fixed "vfi merge" identity dated at the later parent's committer time, a message
 * that names sides by their ids (never "local" or "remote"), a tree that does not depend on which
 * side is which. A lineage merge keeps both publications reachable (both parents) and carries the
 * three-way merge of the two VFIs against their merge base's (remote/graph.ts mergeBase), component
 * by component, so that concurrent `vfi set`s on two machines both take effect, as they do on one
 * (store/publish.ts re-applies an edit on the new head). An assertions merge carries the union of
 * both trees.
 */
import { canonicalText, sameJson, type JsonValue } from '../core/canonical.js';
import type { Commit, Signature } from '../core/gitObject.js';
import { canonicalVfi, ownComponent, type Component, type StoredVfi, type Vfi } from '../core/vfi.js';
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
  /** the remote moved on and the store has nothing it lacks: nothing to send (pull fetches it) */
  | { kind: 'behind' }
  /** the store has commits the remote lacks, and the remote moved on: pull first */
  | { kind: 'rejected'; reason: 'fetch-first' | 'diverged' };

/**
 * What push does with one local ref. `relation` is how the local head stands against the remote
 * head, undefined when the remote head is not in the store; `tracking` how it stands against what
 * the store last saw of the remote (its tracking ref), undefined when there is none. A local head
 * at or below either has nothing to send; only one with commits beyond both is held back.
 */
export function pushAction(local: string, remote: string | undefined, relation: Relation | undefined, tracking?: Relation): PushAction {
  if (remote === undefined) return { kind: 'create' };
  if (remote === local || relation === 'equal') return { kind: 'up-to-date' };
  if (relation === 'ahead') return { kind: 'fast-forward' };
  if (relation === 'behind' || tracking === 'equal' || tracking === 'behind') return { kind: 'behind' };
  return { kind: 'rejected', reason: relation === 'diverged' ? 'diverged' : 'fetch-first' };
}

export const MERGE_NAME = 'vfi merge';
export const MERGE_EMAIL = 'merge@vfi.invalid';
export const LINEAGE_MERGE_SUBJECT = 'merge concurrent publications';
export const ASSERTIONS_MERGE_MESSAGE = 'merge assertions\n\nThe tree is the union of both parents\' records.\n';

function mergeSignature(a: CommitFacts, b: CommitFacts): Signature {
  return { name: MERGE_NAME, email: MERGE_EMAIL, timestamp: Math.max(a.time, b.time), tzOffset: 0 };
}

const sortedParents = (a: CommitFacts, b: CommitFacts) => [a.id, b.id].sort();

/** The side whose version wins a conflict: committed later, ties to the smaller commit id. */
export function laterParent(a: CommitFacts, b: CommitFacts): CommitFacts {
  if (a.time !== b.time) return a.time > b.time ? a : b;
  return a.id < b.id ? a : b;
}

/** One head of a lineage merge and the VFI it carries. */
export interface MergeSide {
  commit: CommitFacts;
  vfi: StoredVfi;
}

/** A component that differs from the merge base on at least one side, and what the merge keeps. */
export type ComponentMerge =
  /** changed on one side only (`from`, a commit id): that side's version; undefined if it removed it */
  | { component: string; kind: 'one-side'; from: string; value: Component | undefined }
  /** changed the same way on both sides */
  | { component: string; kind: 'same'; value: Component | undefined }
  /** changed differently on both: `from`, published later, wins over `other` */
  | { component: string; kind: 'conflict'; from: string; value: Component | undefined; other: string; otherValue: Component | undefined };

export interface LineageMerge {
  /** the merge base commit, undefined when the heads share no history (the base is then the empty VFI) */
  base: string | undefined;
  /** the merged VFI */
  vfi: StoredVfi;
  /** the side whose VFI the merge is, whole (its tree is re-carried); undefined when the VFI is new */
  carried: MergeSide | undefined;
  /** every component that differs from the base on some side, sorted by name */
  components: ComponentMerge[];
}

const same = (x: Component | undefined, y: Component | undefined) => sameJson(x as JsonValue | undefined, y as JsonValue | undefined);

/**
 * The three-way merge of two heads' VFIs against the base's, component by component: a component
 * changed (added, removed, re-addressed or any other field) on one side only takes that side's
 * version, one changed the same way on both takes it, one changed differently on both is a
 * conflict that the side published later wins (laterParent). The same whichever side is `a`.
 */
export function mergeLineage(base: { commit: string | undefined; vfi: Vfi }, a: MergeSide, b: MergeSide): LineageMerge {
  const later = laterParent(a.commit, b.commit) === a.commit ? a : b;
  const earlier = later === a ? b : a;
  const names = [...new Set([...Object.keys(base.vfi), ...Object.keys(a.vfi.vfi), ...Object.keys(b.vfi.vfi)])].sort();
  const merged: Vfi = {};
  const components: ComponentMerge[] = [];
  for (const component of names) {
    const o = ownComponent(base.vfi, component);
    const [x, y] = [ownComponent(later.vfi.vfi, component), ownComponent(earlier.vfi.vfi, component)];
    let value: Component | undefined;
    if (same(x, y)) {
      value = x;
      if (!same(x, o)) components.push({ component, kind: 'same', value });
    } else if (same(y, o)) {
      value = x;
      components.push({ component, kind: 'one-side', from: later.commit.id, value });
    } else if (same(x, o)) {
      value = y;
      components.push({ component, kind: 'one-side', from: earlier.commit.id, value });
    } else {
      value = x;
      components.push({ component, kind: 'conflict', from: later.commit.id, value, other: earlier.commit.id, otherValue: y });
    }
    if (value !== undefined) merged[component] = value;
  }
  const vfi = canonicalVfi(merged);
  const carried = vfi.id === later.vfi.id ? later : vfi.id === earlier.vfi.id ? earlier : undefined;
  return { base: base.commit, vfi: carried?.vfi ?? vfi, carried, components };
}

/** A component's value in a message: its address, or the whole component when it has more than type and address. */
export function shownComponent(c: Component | undefined): string {
  if (c === undefined) return '(removed)';
  const keys = Object.keys(c);
  // canonical text on one line: JSON strings hold no raw newline, so only layout is removed
  return keys.length === 2 && keys.includes('type') ? c.address : canonicalText(c as unknown as JsonValue).replace(/\n */g, '');
}

/** The message of a lineage merge commit: what the VFI holds and why, naming the sides by their VFI ids. */
export function lineageMergeMessage(merge: LineageMerge, a: MergeSide, b: MergeSide): string {
  const vfiOf = (commit: string) => (commit === a.commit.id ? a : b).vfi.id;
  const against = merge.base ? `the VFI of their merge base ${merge.base}` : 'an empty VFI, as they share no history';
  const result = merge.carried ? `The result is the VFI ${merge.carried.vfi.id}, which the parent ${merge.carried.commit.id} carries.` : `The result is a new VFI, ${merge.vfi.id}.`;
  const lines = merge.components.map((c) => {
    const value = shownComponent(c.value);
    if (c.kind === 'same') return `${c.component}: ${value}, the same change on both sides`;
    if (c.kind === 'one-side') return `${c.component}: ${value}, from ${vfiOf(c.from)}`;
    return `${c.component}: ${value}, from ${vfiOf(c.from)} (published later), over ${shownComponent(c.otherValue)} from ${vfiOf(c.other)}`;
  });
  return `${LINEAGE_MERGE_SUBJECT}\n\nBoth heads are parents, so both publications stay in the lineage. The VFI is the\nthree-way merge of the parents' VFIs, component by component, against ${against}.\n${result}\n${lines.length ? `\n${lines.join('\n')}\n` : ''}`;
}

/** The merge commit of two diverged lineage heads carrying `tree`; the same whichever side is "local". */
export function lineageMergeCommit(a: CommitFacts, b: CommitFacts, tree: string, message: string): Commit {
  const sig = mergeSignature(a, b);
  return { tree, parents: sortedParents(a, b), author: sig, committer: sig, message };
}

/** The merge commit of two diverged assertion histories, whose tree is the union `tree`. */
export function assertionsMergeCommit(a: CommitFacts, b: CommitFacts, tree: string): Commit {
  const sig = mergeSignature(a, b);
  return { tree, parents: sortedParents(a, b), author: sig, committer: sig, message: ASSERTIONS_MERGE_MESSAGE };
}
