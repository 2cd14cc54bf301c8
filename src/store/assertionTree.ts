/**
 * The shape of the assertions ref that both the writer (assertions.ts, batch.ts) and the derived
 * index (assertionIndex.ts) read: the ref, the components fanout and its tree reader.
 * Apart so that neither of those imports the other.
 */
import { readCommit, TreeReader as GitTreeReader } from '../git/commits.js';
import type { Store } from './store.js';

export const ASSERTIONS_REF = 'refs/vfi-assertions/main';
/** The fanout of records about components (images, git commits), keyed by their digest, beside the VFIs' at the root. */
export const COMPONENTS_DIR = 'components';

/** The tree reader of git/commits.ts, its messages naming the assertions ref. */
export class TreeReader extends GitTreeReader {
  private rootTree: Promise<string | undefined> | undefined;

  constructor(private readonly store: Store) {
    super(store, ASSERTIONS_REF);
  }

  /** The root tree of the assertions ref when this reader first asked: one reader, one view of the ref. */
  root(): Promise<string | undefined> {
    return (this.rootTree ??= assertionsRoot(this.store));
  }
}

/** The root tree of the assertions ref, or undefined when nothing was ever asserted. */
export async function assertionsRoot(store: Store, head = store.refs.read(ASSERTIONS_REF)): Promise<string | undefined> {
  return head && (await readCommit(store.objects, head, { where: ASSERTIONS_REF })).tree;
}
