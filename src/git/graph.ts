/**
 * How two commits of the store relate: equal, one an ancestor of the other, or diverged. Walks
 * both histories at once, newest committer time first, and stops once every commit still queued is
 * reachable from both sides (git's paint-down-to-common in commit.c), so the cost is the history
 * since the two last had a commit in common, not the whole lineage. Give it a lenient CommitReader:
 * a commit git accepts but vfi would not write still has a tree, parents and a committer time.
 */
import type { Relation } from '../core/sharing.js';
import type { CommitReader, StoredCommit } from './commits.js';

export type { Relation };

const FROM_LOCAL = 1;
const FROM_REMOTE = 2;
const STALE = 4;

/**
 * Where `local` stands against `remote`: 'ahead' (remote is an ancestor of local), 'behind'
 * (local is an ancestor of remote), 'equal' or 'diverged'. Both must be in the store.
 */
export async function relate(reader: CommitReader, local: string, remote: string): Promise<Relation> {
  if (local === remote) return 'equal';
  const flags = new Map<string, number>([[local, FROM_LOCAL], [remote, FROM_REMOTE]]);
  const queue = new CommitQueue();
  queue.push(await reader.read(local));
  queue.push(await reader.read(remote));
  while (queue.hasLive(flags)) {
    const c = queue.pop()!;
    let f = flags.get(c.id)!;
    if ((f & (FROM_LOCAL | FROM_REMOTE)) === (FROM_LOCAL | FROM_REMOTE)) f |= STALE;
    for (const p of c.parents) {
      if (p === local && f & FROM_REMOTE) return 'behind';
      if (p === remote && f & FROM_LOCAL) return 'ahead';
      const before = flags.get(p) ?? 0;
      const after = before | f;
      if (after !== before) {
        flags.set(p, after);
        queue.push(await reader.read(p));
      }
    }
  }
  return 'diverged';
}

/**
 * The merge base of two commits, for a three-way merge of what they carry: a best common
 * ancestor (one that is no ancestor of another common ancestor, as `git merge-base` finds them:
 * paint down to the common commits, then drop those below another), or undefined when the two
 * share no history. After a criss-cross (each side merged the other's older head) there are
 * several best ones; this takes the one committed latest, ties to the smaller commit id. git's
 * recursive strategy would merge those bases into a virtual one instead; a fixed choice is
 * simpler, the same on every machine and from either side (it depends on the graph alone), and
 * the latest base is the one closest to both heads, so it sees the fewest changes as concurrent.
 */
export async function mergeBase(reader: CommitReader, a: string, b: string): Promise<string | undefined> {
  if (a === b) return a;
  const flags = new Map<string, number>([[a, FROM_LOCAL], [b, FROM_REMOTE]]);
  const queue = new CommitQueue();
  queue.push(await reader.read(a));
  queue.push(await reader.read(b));
  const common: StoredCommit[] = [];
  while (queue.hasNonStale(flags)) {
    const c = queue.pop()!;
    let f = flags.get(c.id)!;
    if ((f & (FROM_LOCAL | FROM_REMOTE)) === (FROM_LOCAL | FROM_REMOTE) && !(f & STALE)) {
      common.push(c);
      f |= STALE; // everything below a common commit is common too, and no better
      flags.set(c.id, f); // a second copy of it in the queue is then not counted again
    }
    for (const p of c.parents) {
      const before = flags.get(p) ?? 0;
      if ((before & f) === f) continue;
      flags.set(p, before | f);
      queue.push(await reader.read(p));
    }
  }
  // With clocks that disagree, a common commit can be found before one of its descendants.
  const best: StoredCommit[] = [];
  for (const c of common) {
    let below = false;
    for (const other of common) if (other !== c && (await relate(reader, c.id, other.id)) === 'behind') below = true;
    if (!below) best.push(c);
  }
  best.sort((x, y) => (x.time !== y.time ? y.time - x.time : x.id < y.id ? -1 : 1));
  return best[0]?.id;
}

/** A max-heap of commits by committer time, then id (so the walk is the same on every machine). */
export class CommitQueue {
  private readonly heap: StoredCommit[] = [];

  private static before(a: StoredCommit, b: StoredCommit): boolean {
    return a.time > b.time || (a.time === b.time && a.id > b.id);
  }

  get size(): number {
    return this.heap.length;
  }

  push(c: StoredCommit): void {
    const h = this.heap;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!CommitQueue.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): StoredCommit | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && CommitQueue.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && CommitQueue.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Is some queued commit not below a commit already found to be common? */
  hasNonStale(flags: Map<string, number>): boolean {
    return this.heap.some((c) => !((flags.get(c.id) ?? 0) & STALE));
  }

  /** Is some queued commit not yet known to be reachable from both sides? */
  hasLive(flags: Map<string, number>): boolean {
    return this.heap.some((c) => !((flags.get(c.id) ?? 0) & STALE) && ((flags.get(c.id) ?? 0) & 3) !== 3);
  }
}
