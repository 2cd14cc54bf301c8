/**
 * `vfi import`, streamed: each VFI is checked and its blob, tree and commit written into a new
 * pack as its line is read, keeping only its id per line; the lineage's ref moves once at the
 * end, so a bad line anywhere leaves the lineage (and a new store, the store) as it was. A line
 * whose VFI was already published on the lineage before this import is skipped and counted
 * (a CI job that retries an import publishes nothing twice), unless `again`; a VFI equal to the
 * one just before it is not published again.
 */
import { VfiError } from '../errors.js';
import { encodeCommit, encodeTree, objectId } from '../core/gitObject.js';
import { Rows } from '../core/rows.js';
import { readCommit } from '../git/commits.js';
import type { StoredVfi } from '../core/vfi.js';
import { now, signatures } from './identity.js';
import { PackWriter } from '../git/packWriter.js';
import { recompress } from '../git/repack.js';
import { lineageRef, VFI_FILE, type Store } from './store.js';
import { PartsIndex } from './composition.js';
import { advanceAdmitted } from './admitted.js';

const MAX_ATTEMPTS = 100;

export interface ImportLine {
  id: string;
  /** the commit that publishes it: this import's, or the one before it */
  commit: string;
  /** published by this import */
  published: boolean;
  /** left out because the lineage already had it before this import */
  skipped: boolean;
}

export interface Imported {
  /** the lines, in input order, read from where they are kept compactly (20 + 20 + 1 bytes each) */
  lines(): Generator<ImportLine>;
  count: number;
  imported: number;
  skipped: number;
  /** equal to the VFI just before it */
  unchanged: number;
}

export async function importStream(
  open: () => Store,
  name: string,
  vfis: AsyncIterable<StoredVfi>,
  opts: { again?: boolean; message: string; onProgress?: (n: number) => void; env: NodeJS.ProcessEnv },
): Promise<Imported> {
  const ref = lineageRef(name);
  const sig = signatures(now(opts.env), opts.env);
  let store: Store | undefined;
  let pack: PackWriter | undefined;
  let start: string | undefined;
  let parent: string | undefined;
  let prevId: string | undefined;
  const before = new Map<string, string>();
  const lines = new Rows(41);
  const line = (id: string, commit: string, published: boolean, skipped: boolean) => {
    const i = lines.push();
    const b = lines.chunk(i);
    const o = lines.at(i);
    b.write(id, o, 20, 'hex');
    b.write(commit, o + 20, 20, 'hex');
    b[o + 40] = (published ? 1 : 0) | (skipped ? 2 : 0);
  };
  const written: number[] = [];
  let skipped = 0;
  let unchanged = 0;
  let parts: PartsIndex | undefined;
  try {
    for await (const stored of vfis) {
      if (!store) {
        // The store is made by the first good line, not by a bad one.
        store = open();
        start = parent = store.refs.read(ref);
        if (start) {
          const lineage = await store.lineage(name);
          for (const e of lineage.entries) before.set(e.id, e.commit);
          prevId = lineage.entries[lineage.indexOf(start)!]!.id;
        }
        pack = new PackWriter(store.gitdir, (type, body) => store!.objects.write(type, body));
      }
      const earlier = before.get(stored.id);
      if (earlier !== undefined && !opts.again) {
        skipped++;
        line(stored.id, earlier, false, true);
        continue;
      }
      if (stored.id === prevId) {
        unchanged++;
        line(stored.id, parent!, false, false);
        continue;
      }
      const tree = pack!.write('tree', encodeTree([{ mode: '100644', name: VFI_FILE, id: pack!.write('blob', stored.bytes) }]));
      const commit = encodeCommit({ tree, parents: parent ? [parent] : [], ...sig, message: opts.message });
      // A commit is new (its parent is the one just written): no need to remember its id for dedup.
      parent = pack!.write('commit', commit, objectId('commit', commit));
      written.push(lines.length);
      (parts ??= new PartsIndex(store)).add(stored.id, stored.vfi);
      line(stored.id, parent, true, false);
      prevId = stored.id;
      if (opts.onProgress && lines.length % 256 === 0) opts.onProgress(lines.length);
    }
    if (!store) throw new VfiError('INVALID_INPUT', 'no VFIs (expected one JSON object per line)', {});
    recompress(store.gitdir, store.env, pack!.finish());
  } catch (e) {
    pack?.abandon();
    throw e;
  }
  const read = (i: number): ImportLine => {
    const b = lines.chunk(i);
    const o = lines.at(i);
    return { id: b.toString('hex', o, o + 20), commit: b.toString('hex', o + 20, o + 40), published: (b[o + 40]! & 1) === 1, skipped: (b[o + 40]! & 2) === 2 };
  };
  const result: Imported = {
    lines: function* () {
      for (let i = 0; i < lines.length; i++) yield read(i);
    },
    count: lines.length,
    imported: written.length,
    skipped,
    unchanged,
  };
  if (written.length === 0) return result;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (store.refs.compareAndSwap(ref, start, parent!)) {
      advanceAdmitted(store, ref, start, parent!);
      const subject = opts.message.split('\n', 1)[0]!;
      store.lineages.recordChain(name, start, written.length, (k) => read(written[k]!), { time: sig.committer.timestamp, author: sig.author.name, subject });
      await parts?.saveAdded();
      return result;
    }
    // Another writer published meanwhile: the same VFIs, in the same order, on top of what it published.
    start = store.refs.read(ref);
    parent = start;
    const remade = new Map<string, string>();
    for (const i of written) {
      const { commit } = read(i);
      const { tree } = await readCommit(store.objects, commit, { where: ref });
      parent = store.objects.write('commit', encodeCommit({ tree, parents: parent ? [parent] : [], ...sig, message: opts.message }));
      remade.set(commit, parent);
    }
    for (let i = 0; i < lines.length; i++) {
      const again = remade.get(read(i).commit);
      if (again) lines.chunk(i).write(again, lines.at(i) + 20, 20, 'hex');
    }
  }
  throw new VfiError('STORE_BUSY', `could not publish on ${name}: the lineage kept moving`, { name });
}
