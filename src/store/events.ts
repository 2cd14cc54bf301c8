/**
 * Event logs in the store: the trust list (`refs/vfi-trust/main`) and the release policies
 * (`refs/vfi-policy/main`). Each is a chain of commits, one per change, whose tree holds every
 * event ever recorded as a flat directory of content-named files (core/trust.ts makeEvent), so
 * `git log REF` tells the story and two stores' trees merge as a union (store/merge.ts), as the
 * assertions do.
 */
import { VfiError } from '../errors.js';
import { encodeCommit, encodeTree } from '../core/gitObject.js';
import { readCommit, readTree } from '../git/commits.js';
import { parseEventFileName, type EventFile } from '../core/trust.js';
import { currentPerson, now, signature } from './identity.js';
import type { Store } from './store.js';
import { advanceAdmitted } from './admitted.js';

export const TRUST_REF = 'refs/vfi-trust/main';
export const POLICY_REF = 'refs/vfi-policy/main';

const MAX_ATTEMPTS = 100;

async function rootOf(store: Store, ref: string, head: string | undefined): Promise<string | undefined> {
  return head && (await readCommit(store.objects, head, { where: ref })).tree;
}

/** Every event of the log at `ref` (empty when it does not exist), with files that are not events reported. */
export async function readEvents(store: Store, ref: string): Promise<{ head: string | undefined; events: EventFile[]; problems: string[] }> {
  const head = store.refs.read(ref);
  const root = await rootOf(store, ref, head);
  const events: EventFile[] = [];
  const problems: string[] = [];
  if (!root) return { head, events, problems };
  for (const e of await readTree(store.objects, root, ref)) {
    const n = parseEventFileName(e.name);
    if (!n || e.mode !== '100644') {
      problems.push(`${e.name}: not an event file (<time>-<event>-<id>.json)`);
      continue;
    }
    if (n.id !== e.id) {
      problems.push(`${e.name}: the name says ${n.id}, the entry holds ${e.id}`);
      continue;
    }
    const obj = await store.objects.read(e.id);
    events.push({ file: e.name, event: n.event, at: n.at, id: e.id, bytes: obj.body });
  }
  return { head, events, problems };
}

/**
 * Append one event in one commit. `build` sees the events as they are on the head the commit is
 * made on and returns the event (or throws to refuse, e.g. `trust rm` of a signer not trusted
 * there), so a concurrent change is never overwritten and a refusal writes nothing.
 */
export async function appendEvent(
  store: Store,
  ref: string,
  build: (events: EventFile[]) => { file: string; bytes: Buffer },
  message: string,
): Promise<string> {
  const sig = signature(currentPerson(store.env), now(store.env));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { head, events } = await readEvents(store, ref);
    const event = build(events);
    const root = await rootOf(store, ref, head);
    const entries = root ? await readTree(store.objects, root, ref) : [];
    const id = store.objects.write('blob', event.bytes);
    if (!entries.some((e) => e.name === event.file)) entries.push({ mode: '100644', name: event.file, id });
    const tree = store.objects.write('tree', encodeTree(entries));
    const commit = store.objects.write('commit', encodeCommit({ tree, parents: head ? [head] : [], author: sig, committer: sig, message }));
    if (store.refs.compareAndSwap(ref, head, commit)) {
      advanceAdmitted(store, ref, head, commit);
      return commit;
    }
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
  }
  throw new VfiError('STORE_BUSY', `could not record the change: ${ref} kept moving`, { ref });
}
