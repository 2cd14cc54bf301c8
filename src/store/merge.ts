/**
 * The union of two git trees, for histories whose files are named by their content (the
 * assertions fanout): an entry on one side only is kept, an entry equal on both sides is kept once,
 * two subtrees of the same name are unioned recursively (only where their ids differ, so the cost
 * follows what changed). Two different objects under one name cannot happen by construction; if it
 * does, both are kept, the smaller id under the name and the other under `<name>~<its id>`, and the
 * conflict is reported. The result does not depend on the order of the two trees.
 */
import { decodeTree, encodeTree, type TreeEntry } from '../core/gitObject.js';
import { VfiError } from '../errors.js';
import type { Store } from './store.js';

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

/** Write the union of trees `a` and `b` into the store and return its id. */
export async function unionTrees(store: Store, a: string, b: string, conflicts: UnionConflict[] = [], dir = ''): Promise<string> {
  if (a === b) return a;
  const [ea, eb] = await Promise.all([readTree(store, a), readTree(store, b)]);
  const level = unionEntries(ea, eb, dir);
  conflicts.push(...level.conflicts);
  const replaced = new Map<string, string>();
  for (const r of level.recurse) replaced.set(r.name, await unionTrees(store, r.a, r.b, conflicts, `${dir}${r.name}/`));
  const entries = level.entries.map((e) => (replaced.has(e.name) ? { ...e, id: replaced.get(e.name)! } : e));
  return store.objects.write('tree', encodeTree(entries));
}

async function readTree(store: Store, id: string): Promise<TreeEntry[]> {
  const obj = await store.objects.read(id);
  if (obj.type !== 'tree') throw new VfiError('STORE_DAMAGED', `object ${id} is a ${obj.type}, not a tree`, { id });
  return decodeTree(obj.body);
}
