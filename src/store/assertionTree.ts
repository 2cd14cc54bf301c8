/**
 * The shape of the assertions ref that both the writer (assertions.ts, batch.ts) and the derived
 * index (assertionIndex.ts) read: the ref, the components fanout and a memoizing tree reader.
 * Apart so that neither of those imports the other.
 */
import { VfiError } from '../errors.js';
import { decodeCommit, decodeTree, type TreeEntry } from '../core/gitObject.js';
import type { Store } from './store.js';

export const ASSERTIONS_REF = 'refs/vfi-assertions/main';
/** The fanout of records about components (images, git commits), keyed by their digest, beside the VFIs' at the root. */
export const COMPONENTS_DIR = 'components';

/** Reads trees once per process: trees are immutable, and a retry re-reads mostly the same ones. */
export class TreeReader {
  private readonly memo = new Map<string, TreeEntry[]>();

  constructor(private readonly store: Store) {}

  async read(id: string, where: string): Promise<TreeEntry[]> {
    let entries = this.memo.get(id);
    if (!entries) {
      const obj = await this.store.objects.read(id);
      if (obj.type !== 'tree') {
        throw new VfiError('STORE_DAMAGED', `${ASSERTIONS_REF}: ${where} (${id}) is a ${obj.type}, not a tree`, { id }, 'run `vfi fsck`');
      }
      entries = decodeTree(obj.body);
      this.memo.set(id, entries);
    }
    return entries;
  }
}

/** The root tree of the assertions ref, or undefined when nothing was ever asserted. */
export async function assertionsRoot(store: Store, head = store.refs.read(ASSERTIONS_REF)): Promise<string | undefined> {
  if (!head) return undefined;
  const obj = await store.objects.read(head);
  if (obj.type !== 'commit') throw new VfiError('STORE_DAMAGED', `${ASSERTIONS_REF} points at a ${obj.type}, not a commit`, { head });
  return decodeCommit(obj.body).tree;
}
