/**
 * Publishing on a lineage: write the VFI blob, a one-file tree and a commit whose parent is the
 * head, then move the ref by compare-and-swap. When another process published first, the commit
 * is remade on the new head (and `build` runs again, so `set` applies to what is there now):
 * concurrent publications are all kept, in some order, none lost.
 */
import { VfiError } from '../errors.js';
import { encodeCommit, encodeTree, type Signature } from '../core/gitObject.js';
import { canonicalVfi, type StoredVfi, type Vfi } from '../core/vfi.js';
import { now, signatures } from './identity.js';
import { lineageRef, VFI_FILE, type Store } from './store.js';
import { advanceAdmitted } from './admitted.js';

type Signed = { author: Signature; committer: Signature };

export interface Publication {
  name: string;
  id: string;
  commit: string;
  /** the head already was this VFI: nothing new was written */
  unchanged: boolean;
}

export interface PublishStep {
  vfi: Vfi;
  message: string;
}

const MAX_ATTEMPTS = 100;

/** Publish the VFI `build` makes from the current head (undefined for a new lineage). */
export async function publish(
  store: Store,
  name: string,
  build: (head: StoredVfi | undefined) => PublishStep | Promise<PublishStep>,
): Promise<Publication> {
  const ref = lineageRef(name);
  const sig = signatures(now(store.env), store.env);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const headCommit = store.refs.read(ref);
    const head = headCommit ? await store.readVfi(await store.vfiIdOfCommit(headCommit)) : undefined;
    const step = await build(head);
    const stored = canonicalVfi(step.vfi);
    if (head && head.id === stored.id) return { name, id: stored.id, commit: headCommit!, unchanged: true };
    const commit = writePublication(store, stored, headCommit, step.message, sig);
    if (store.refs.compareAndSwap(ref, headCommit, commit)) {
      advanceAdmitted(store, ref, headCommit, commit);
      store.lineages.recordPublished(name, headCommit, [entryOf(commit, stored.id, sig, step.message)]);
      return { name, id: stored.id, commit, unchanged: false };
    }
  }
  throw new VfiError('STORE_BUSY', `could not publish on ${name}: the lineage kept moving under ${MAX_ATTEMPTS} attempts`, { name });
}

/** Write a VFI's blob and the one-file tree a lineage commit holds; returns the tree's id. */
export function writeVfiTree(store: Store, bytes: Buffer): string {
  const blob = store.objects.write('blob', bytes);
  return store.objects.write('tree', encodeTree([{ mode: '100644', name: VFI_FILE, id: blob }]));
}

function writePublication(store: Store, stored: StoredVfi, parent: string | undefined, message: string, sig: Signed): string {
  const tree = writeVfiTree(store, stored.bytes);
  const body = encodeCommit({ tree, parents: parent ? [parent] : [], ...sig, message });
  return store.objects.write('commit', body);
}

function entryOf(commit: string, id: string, sig: Signed, message: string) {
  return { commit, id, time: sig.committer.timestamp, author: sig.author.name, subject: message.split('\n', 1)[0]! };
}
