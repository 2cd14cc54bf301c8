/**
 * The merges a pull makes, decided from values alone (remote/merge.ts reads and writes them).
 *
 * Merge commits are deterministic, so two machines merging the same two heads make the same commit
 * and their refs converge after the next push and pull: parents in sorted order, author and
 * committer a fixed "vfi merge" identity dated at the later parent's committer time, a message
 * that names sides by their ids (never "local" or "remote"), a tree that does not depend on which
 * side is which. A lineage merge keeps both publications reachable (both parents) and carries the
 * three-way merge of the two VFIs against their merge base's (remote/graph.ts mergeBase), component
 * by component, so that concurrent `vfi set`s on two machines both take effect, as they do on one
 * (store/publish.ts re-applies an edit on the new head). A merge of the assertions, the trust list or
 * the release policies carries the union of both trees (unionEntries, one level at a time).
 */
import { canonicalText, sameJson, type JsonValue } from './canonical.js';
import type { Commit, Signature, TreeEntry } from './gitObject.js';
import { canonicalVfi, ownComponent, type Component, type StoredVfi, type Vfi } from './vfi.js';

/** What a merge needs of each head: its commit id, tree and committer time (seconds). */
export interface MergeHead {
  id: string;
  tree: string;
  time: number;
}

export const MERGE_NAME = 'vfi merge';
export const MERGE_EMAIL = 'merge@vfi.invalid';
export const LINEAGE_MERGE_SUBJECT = 'merge concurrent publications';
/** What a union merge merges, by ref, in its commit message (the assertions' one is what vfi always wrote). */
const UNION_MERGES: Record<string, { subject: string; files: string }> = {
  'refs/vfi-assertions/main': { subject: 'merge assertions', files: 'records' },
  'refs/vfi-trust/main': { subject: 'merge the trust list', files: 'trust events' },
  'refs/vfi-policy/main': { subject: 'merge the release policies', files: 'policy events' },
};

/** The message of a union merge of `ref`: what it merges and how. */
export function unionMergeMessage(ref: string): string {
  const what = UNION_MERGES[ref] ?? { subject: `merge ${ref}`, files: 'files' };
  return `${what.subject}\n\nThe tree is the union of both parents' ${what.files}.\n`;
}

function mergeSignature(a: MergeHead, b: MergeHead): Signature {
  return { name: MERGE_NAME, email: MERGE_EMAIL, timestamp: Math.max(a.time, b.time), tzOffset: 0 };
}

const sortedParents = (a: MergeHead, b: MergeHead) => [a.id, b.id].sort();

/** The side whose version wins a conflict: committed later, ties to the smaller commit id. */
export function laterParent(a: MergeHead, b: MergeHead): MergeHead {
  if (a.time !== b.time) return a.time > b.time ? a : b;
  return a.id < b.id ? a : b;
}

/** One head of a lineage merge and the VFI it carries. */
export interface MergeSide<H extends MergeHead = MergeHead> {
  commit: H;
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

export interface LineageMerge<H extends MergeHead = MergeHead> {
  /** the merge base commit, undefined when the heads share no history (the base is then the empty VFI) */
  base: string | undefined;
  /** the merged VFI */
  vfi: StoredVfi;
  /** the side whose VFI the merge is, whole (its tree is re-carried); undefined when the VFI is new */
  carried: MergeSide<H> | undefined;
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
export function mergeLineage<H extends MergeHead>(base: { commit: string | undefined; vfi: Vfi }, a: MergeSide<H>, b: MergeSide<H>): LineageMerge<H> {
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
export function lineageMergeCommit(a: MergeHead, b: MergeHead, tree: string, message: string): Commit {
  const sig = mergeSignature(a, b);
  return { tree, parents: sortedParents(a, b), author: sig, committer: sig, message };
}

/** The merge commit of two diverged histories of the union ref `ref` (assertions, trust, policy), whose tree is the union `tree`. */
export function unionMergeCommit(ref: string, a: MergeHead, b: MergeHead, tree: string): Commit {
  const sig = mergeSignature(a, b);
  return { tree, parents: sortedParents(a, b), author: sig, committer: sig, message: unionMergeMessage(ref) };
}

/*
 * The union of two git trees, for histories whose files are named by their content (the
 * assertions fanout, the trust and policy logs): an entry on one side only is kept, an entry equal
 * on both sides is kept once, two subtrees of the same name are unioned recursively (only where
 * their ids differ, so the cost follows what changed). Two different objects under one name cannot
 * happen by construction; if it does, both are kept, the smaller id under the name and the other
 * under `<name>~<its id>`, and the conflict is reported. The result does not depend on the order
 * of the two trees.
 */

export interface UnionConflict {
  path: string;
  ids: [string, string];
}

export interface EntryUnion {
  entries: TreeEntry[];
  /** subtrees present on both sides with different ids: union them and replace the entry */
  recurse: { name: string; a: string; b: string }[];
  conflicts: UnionConflict[];
}

/** One level of the union, pure. */
export function unionEntries(a: readonly TreeEntry[], b: readonly TreeEntry[], dir = ''): EntryUnion {
  const byName = new Map<string, TreeEntry>(a.map((e) => [e.name, e]));
  const taken = new Set(byName.keys());
  for (const e of b) taken.add(e.name);
  const out: EntryUnion = { entries: [], recurse: [], conflicts: [] };
  const extra: TreeEntry[] = [];
  for (const e of b) {
    const mine = byName.get(e.name);
    if (!mine) {
      byName.set(e.name, e);
    } else if (mine.id === e.id && mine.mode === e.mode) {
      continue;
    } else if (mine.mode === '40000' && e.mode === '40000') {
      out.recurse.push({ name: e.name, a: mine.id, b: e.id });
    } else {
      const [keep, other] = mine.id < e.id || (mine.id === e.id && mine.mode < e.mode) ? [mine, e] : [e, mine];
      byName.set(e.name, keep);
      let alt = `${other.name}~${other.id}`;
      for (let i = 2; taken.has(alt); i++) alt = `${other.name}~${other.id}~${i}`;
      taken.add(alt);
      extra.push({ ...other, name: alt });
      out.conflicts.push({ path: `${dir}${e.name}`, ids: [keep.id, other.id] });
    }
  }
  out.entries = [...byName.values(), ...extra];
  return out;
}
