/**
 * Which objects a push sends: those reachable from the new tips and not from the tips the server
 * advertised (the ones the store has), as `git rev-list --objects new... ^old...` would list them,
 * at a cost that follows the change, not the store:
 *
 * - commits: walked newest first from both sides at once; a commit reachable from a server tip is
 *   "uninteresting" and so are its ancestors, and the walk stops once only uninteresting commits
 *   are left (git's revision.c limit_list / everybody_uninteresting). A commit whose time is out
 *   of order may be sent although the server has it: harmless, never the other way round.
 * - trees and blobs: each commit sent is compared with its parents, whose objects the server has
 *   or gets in the same pack; an entry equal to the parent's entry of that name is skipped, a
 *   subtree that differs is compared in turn, so appending one record to the assertions costs the
 *   path down to it.
 */
import { decodeTree, type ObjectType, type TreeEntry } from '../core/gitObject.js';
import { VfiError } from '../errors.js';
import type { ObjectStore } from '../store/objects.js';
import { CommitQueue, CommitReader, type CommitFacts } from './graph.js';

export interface OutgoingObject {
  id: string;
  /** known once read during the walk (commits and trees); blobs are read when packed */
  type?: ObjectType;
  body?: Buffer;
}

/** The objects to pack, commits first, each once. `known` may name commits the store lacks: they are ignored. */
export async function objectsToSend(objects: ObjectStore, tips: readonly string[], known: readonly string[]): Promise<OutgoingObject[]> {
  const bodies = new Map<string, Buffer>();
  const reader = new CommitReader(objects, bodies);
  const readCommit = (id: string) => reader.read(id);

  // 1. Commits.
  const uninteresting = new Set<string>();
  const queued = new Set<string>();
  const live = new Set<string>(); // queued and not (yet) known to the server
  const queue = new CommitQueue();
  const enqueue = (c: CommitFacts) => {
    if (queued.has(c.id)) return;
    queued.add(c.id);
    if (!uninteresting.has(c.id)) live.add(c.id);
    queue.push(c);
  };
  for (const id of known) {
    if (uninteresting.has(id)) continue;
    try {
      const c = await readCommit(id);
      uninteresting.add(id);
      enqueue(c);
    } catch (e) {
      if (!(e instanceof VfiError) || e.code !== 'NOT_FOUND') throw e;
    }
  }
  const seen = new Set<string>(uninteresting);
  for (const id of tips) {
    if (seen.has(id)) continue;
    seen.add(id);
    enqueue(await readCommit(id));
  }
  const picked: CommitFacts[] = [];
  while (live.size > 0) {
    const c = queue.pop()!;
    queued.delete(c.id);
    live.delete(c.id);
    if (uninteresting.has(c.id)) {
      for (const p of c.parents) {
        if (uninteresting.has(p)) continue;
        uninteresting.add(p);
        seen.add(p);
        live.delete(p);
        enqueue(await readCommit(p));
      }
    } else {
      picked.push(c);
      for (const p of c.parents) {
        if (seen.has(p)) continue;
        seen.add(p);
        enqueue(await readCommit(p));
      }
    }
  }
  const sending = picked.filter((c) => !uninteresting.has(c.id));

  // 2. Trees and blobs, each commit against its parents.
  const out: OutgoingObject[] = sending.map((c) => ({ id: c.id, type: 'commit', body: bodies.get(c.id)! }));
  const sent = new Set(out.map((o) => o.id));
  const trees = new Map<string, TreeEntry[]>();
  const readTree = async (id: string): Promise<TreeEntry[]> => {
    let entries = trees.get(id);
    if (!entries) {
      const obj = await objects.read(id);
      if (obj.type !== 'tree') throw new VfiError('STORE_DAMAGED', `object ${id} is a ${obj.type}, not a tree`, { id });
      entries = decodeTree(obj.body);
      trees.set(id, entries);
      bodies.set(id, Buffer.from(obj.body)); // a copy: the read one is a view into zlib's 16 KiB output
    }
    return entries;
  };
  const diffTree = async (tree: string, bases: string[]): Promise<void> => {
    if (sent.has(tree) || bases.includes(tree)) return;
    sent.add(tree);
    const entries = await readTree(tree);
    out.push({ id: tree, type: 'tree', body: bodies.get(tree)! });
    const baseEntries = await Promise.all(bases.map(async (b) => new Map((await readTree(b)).map((e) => [e.name, e]))));
    for (const e of entries) {
      const same = baseEntries.map((m) => m.get(e.name));
      if (same.some((b) => b?.id === e.id)) continue;
      if (e.mode === '40000') await diffTree(e.id, same.filter((b) => b?.mode === '40000').map((b) => b!.id));
      else if (e.mode !== '160000' && !sent.has(e.id)) {
        sent.add(e.id);
        out.push({ id: e.id });
      }
    }
  };
  for (const c of sending) {
    const parentTrees = await Promise.all(c.parents.map(async (p) => (await readCommit(p)).tree));
    await diffTree(c.tree, parentTrees);
  }
  return out;
}
