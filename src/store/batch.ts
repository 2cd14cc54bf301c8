/**
 * `vfi assert --batch`, streamed: each line is checked, resolved, dated, made into its record and
 * written into a new pack as it is read, keeping 40-odd bytes per record (its subject, time,
 * claim, result and id) and nothing of the input. At the end the touched directories of the
 * assertions tree are rebuilt, each once, with one commit, and the ref moved by compare-and-swap,
 * as appendRecords does for one `vfi assert`: same layout, same dating (the n-th record about a
 * subject n microseconds after the first, which is after every record already there), same
 * retry when another writer moved the ref meanwhile (the records of a subject that writer also
 * recorded about are dated again after its records). Until the ref moves the pack is a temp file:
 * a bad line or a reference that does not resolve, anywhere in the input, leaves the store as it
 * was. The standings the batch changed are handed to the assertion index, so the next `pick`
 * finds it current.
 */
import { VfiError, withSource } from '../errors.js';
import { encodeCommit, encodeTree, type TreeEntry } from '../core/gitObject.js';
import { readTree } from '../git/commits.js';
import {
  firstNewAt,
  formatMicros,
  makeRecord,
  makeSignedRecord,
  parseRecordFileName,
  type AssertionRecord,
  type AssertionRequest,
  type RecordName,
} from '../core/assertion.js';
import { claimsOf, standingOf } from '../core/pick.js';
import type { SigningKey } from '../core/dsse.js';
import { ASSERTIONS_REF, COMPONENTS_DIR, assertionsRoot } from './assertionTree.js';
import { AssertionIndex, claimsKey, type Changed, type Claims } from './assertionIndex.js';
import { Drafter, readRecord, SubjectResolver, type Draft } from './assertions.js';
import { now, signatures } from './identity.js';
import { PackWriter } from '../git/packWriter.js';
import { Rows } from '../core/rows.js';
import type { Store } from './store.js';
import { advanceAdmitted } from './admitted.js';
import { favourMemoryOverSpeed } from '../heap.js';

const MAX_ATTEMPTS = 200;
/** How many records about one subject a batch may date after the first without overflowing (firstNewAt). */
const MAX_PER_SUBJECT = 2 ** 31;

export interface BatchItem {
  line: number;
  request: AssertionRequest;
}

export interface BatchResult {
  commit: string | undefined;
  count: number;
  /** records dated a second or more after the clock (a later record was already there), and the latest such time */
  ahead: number;
  latestAhead: string | undefined;
  /** the records as written, in input order, read back from the store one at a time */
  records(): AsyncGenerator<AssertionRecord>;
}

type Writer = { write(type: 'blob' | 'tree' | 'commit', body: Buffer, known?: string): string };

export async function recordBatch(
  store: Store,
  items: AsyncIterable<BatchItem>,
  opts: { clock: Date; source: string; message: (count: number) => string; sign?: SigningKey; onProgress?: (n: number) => void },
): Promise<BatchResult> {
  favourMemoryOverSpeed();
  const clock = opts.clock.getTime() * 1000;
  formatMicros(clock); // a clock RFC 3339 cannot write is refused before anything is written
  // The standings as of the head this batch is dated on: what the index is brought up from.
  await new AssertionIndex(store).load();
  const batch = new Batch(store, clock, opts.sign);
  const pack = new PackWriter(store.gitdir, (type, body) => store!.objects.write(type, body));
  try {
    await streamInto(store, batch, pack, items, opts);
    if (batch.count === 0) throw new VfiError('INVALID_INPUT', `${opts.source}: no assertions (expected one JSON object per line)`, {});
  } catch (e) {
    pack.abandon();
    throw e;
  }
  const { head, commit, root, standings } = await batch.commit(pack, opts.message(batch.count));
  await new AssertionIndex(store).recordAppend(head, commit, root, standings);
  return {
    commit,
    count: batch.count,
    ahead: batch.ahead,
    latestAhead: batch.latestAhead === undefined ? undefined : formatMicros(batch.latestAhead),
    records: () => batch.records(),
  };
}

/**
 * Every line made into its record and written. A function of its own so that what the lines needed
 * (the resolver's and drafter's memos, a sha256 for each VFI met) is garbage before the trees are made.
 */
async function streamInto(store: Store, batch: Batch, pack: Writer, items: AsyncIterable<BatchItem>, opts: { source: string; onProgress?: (n: number) => void }): Promise<void> {
  const resolver = new SubjectResolver(store);
  const drafter = new Drafter(store);
  for await (const { line, request } of items) {
    try {
      const subject = request.subject?.kind === 'component' ? undefined : await resolver.resolve(request.ref, request.vfiRef);
      await batch.add(await drafter.draft(request, subject), pack);
    } catch (e) {
      throw withSource(e, `${opts.source}:${line}`);
    }
    if (opts.onProgress && batch.count % 256 === 0) opts.onProgress(batch.count);
  }
}

class Batch {
  /** per subject: "v<id>" or "c<digest>", the time of its first record here, the time of its next */
  private readonly keyIndex = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly first: number[] = [];
  private readonly next: number[] = [];
  /**
   * per record, in input order, off the heap: its subject's index (u32), claim index * 2 + (1 for
   * fail) (u32) and id (20 bytes); a million records are 28 MB the collector never walks. Its time
   * is not kept: the n-th record about a subject is dated first + n.
   */
  private readonly rows = new Rows(28);
  private readonly claims: string[] = [];
  private readonly claimIndex = new Map<string, number>();
  count = 0;
  ahead = 0;
  latestAhead: number | undefined;
  private readonly head: string | undefined;
  /** the trees of the head the batch is dated on */
  private readonly atHead: TreesAt;

  constructor(
    private readonly store: Store,
    private readonly clock: number,
    private readonly sign: SigningKey | undefined,
  ) {
    this.head = store.refs.read(ASSERTIONS_REF);
    this.atHead = new TreesAt(store, this.head);
  }

  async add(draft: Draft, writer: Writer): Promise<void> {
    const key = draft.component ? `c${draft.component.digest}` : `v${draft.vfi}`;
    let k = this.keyIndex.get(key);
    if (k === undefined) {
      const latest = latestOf(await this.existing(key, this.atHead));
      const first = firstNewAt(this.clock, latest, MAX_PER_SUBJECT);
      k = this.keys.push(key) - 1;
      this.keyIndex.set(key, k);
      this.first.push(first);
      this.next.push(first);
    }
    const at = this.next[k]!++;
    const r = this.make(draft, at);
    writer.write('blob', r.bytes, r.record);
    let c = this.claimIndex.get(draft.claim);
    if (c === undefined) this.claimIndex.set(draft.claim, (c = this.claims.push(draft.claim) - 1));
    const i = this.rows.push();
    const row = this.rows.chunk(i);
    const o = this.rows.at(i);
    row.writeUInt32LE(k, o);
    row.writeUInt32LE(c * 2 + (draft.result === 'fail' ? 1 : 0), o + 4);
    row.write(r.record, o + 8, 20, 'hex');
    this.count++;
    if (at - this.clock >= 1_000_000) {
      this.ahead++;
      if (this.latestAhead === undefined || at > this.latestAhead) this.latestAhead = at;
    }
  }

  private make(draft: Draft, at: number): AssertionRecord {
    const a = { ...draft, at: formatMicros(at) };
    return this.sign ? makeSignedRecord(a, this.sign) : makeRecord(a);
  }

  private id(i: number): string {
    const o = this.rows.at(i);
    return this.rows.chunk(i).toString('hex', o + 8, o + 28);
  }

  private subjectOf(i: number): number {
    return this.rows.chunk(i).readUInt32LE(this.rows.at(i));
  }

  private claimResult(i: number): number {
    return this.rows.chunk(i).readUInt32LE(this.rows.at(i) + 4);
  }

  /** A record dated again (redate): its new id. */
  private redated(i: number, id: string): void {
    this.rows.chunk(i).write(id, this.rows.at(i) + 8, 20, 'hex');
  }

  private fileName(i: number, at: number): string {
    const cr = this.claimResult(i);
    return `${formatMicros(at).replace(/[-:]/g, '')}-${this.claims[cr >> 1]}-${cr & 1 ? 'fail' : 'pass'}-${this.id(i)}${this.sign ? '.dsse' : ''}.json`;
  }

  /** The entries of a subject's directory in the trees of some head. */
  private async existing(key: string, trees: TreeSource): Promise<TreeEntry[]> {
    const id = key.slice(1);
    const dir = (await trees.shard(key[0] === 'c' ? COMPONENTS_DIR : '', id.slice(0, 2))).get(id.slice(2));
    return dir ? trees.tree(dir.id) : [];
  }

  /** Records grouped by subject, each group in input (= time) order. */
  private groups(): { start: Uint32Array; order: Uint32Array } {
    const start = new Uint32Array(this.keys.length + 1);
    for (let i = 0; i < this.count; i++) start[this.subjectOf(i) + 1]!++;
    for (let k = 0; k < this.keys.length; k++) start[k + 1]! += start[k]!;
    const fill = start.slice(0, this.keys.length);
    const order = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) order[fill[this.subjectOf(i)]!++] = i;
    return { start, order };
  }

  /** Write the trees and the commit on the current head and move the ref; again on a moved head. */
  async commit(pack: PackWriter, message: string): Promise<{ head: string | undefined; commit: string; root: string; standings: Changed }> {
    const { start, order } = this.groups();
    const sig = signatures(now(this.store.env), this.store.env);
    let writer: Writer = pack;
    let head = this.head;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const trees = head === this.head ? this.atHead : new TreesAt(this.store, head);
      if (head !== this.head) await this.redate(trees, start, order);
      const { root, standings } = await this.trees(trees, writer, start, order);
      const commit = writer.write('commit', encodeCommit({ tree: root, parents: head ? [head] : [], ...sig, message }));
      if (writer === pack) pack.finish();
      if (this.store.refs.compareAndSwap(ASSERTIONS_REF, head, commit)) {
        advanceAdmitted(this.store, ASSERTIONS_REF, head, commit);
        // What only the dating and the trees needed is garbage before the caches are advanced.
        this.keyIndex.clear();
        this.keys.length = this.first.length = this.next.length = 0;
        return { head, commit, root, standings };
      }
      // Lost the race: the pack holds the records; what is remade now is a few loose objects.
      writer = this.store.objects;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
      head = this.store.refs.read(ASSERTIONS_REF);
    }
    throw new VfiError('STORE_BUSY', `could not record assertions: ${ASSERTIONS_REF} kept moving under ${MAX_ATTEMPTS} attempts`, {});
  }

  /** Date again, after what another writer recorded about the same subject, the records that would now come before it. */
  private async redate(trees: TreeSource, start: Uint32Array, order: Uint32Array): Promise<void> {
    for (let k = 0; k < this.keys.length; k++) {
      const latest = latestOf(await this.existing(this.keys[k]!, trees));
      if (latest === undefined || latest < this.first[k]!) continue;
      const first = firstNewAt(this.clock, latest, MAX_PER_SUBJECT);
      this.first[k] = first;
      for (let j = start[k]!, n = 0; j < start[k + 1]!; j++, n++) {
        const i = order[j]!;
        const { record: _r, bytes: _b, signed: _s, ...assertion } = await readRecord(this.store, this.id(i));
        const r = this.make(assertion, first + n);
        this.store.objects.write('blob', r.bytes);
        this.redated(i, r.record);
      }
    }
  }

  /** Every touched directory, shard and fanout rebuilt once; the new root and the standings of the VFIs touched, by shard. */
  private async trees(trees: TreeSource, writer: Writer, start: Uint32Array, order: Uint32Array) {
    const byBase = new Map<string, Map<string, number[]>>();
    this.keys.forEach((key, k) => {
      const base = key[0] === 'c' ? COMPONENTS_DIR : '';
      let shards = byBase.get(base);
      if (!shards) byBase.set(base, (shards = new Map()));
      const xx = key.slice(1, 3);
      const list = shards.get(xx);
      if (list) list.push(k);
      else shards.set(xx, [k]);
    });
    const standings = new Map<string, { tree: string; claims: Map<string, Claims> }>();
    // 100,000 VFIs stand in a few hundred distinct ways: one Claims for each way, shared.
    const distinct = new Map<string, Claims>();
    const interned = (c: Claims): Claims => {
      const key = claimsKey(c);
      return distinct.get(key) ?? (distinct.set(key, c), c);
    };
    const rootEntries = new Map(await trees.fanout(''));
    for (const [base, shards] of [...byBase].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const fanout = base ? new Map(await trees.fanout(base)) : rootEntries;
      for (const [xx, keys] of shards) {
        const shard = new Map(await trees.shard(base, xx));
        const claims = new Map<string, Claims>();
        for (const k of keys) {
          const rest = this.keys[k]!.slice(3);
          const entries = [...(await this.existing(this.keys[k]!, trees))];
          const names: RecordName[] = [];
          for (const e of entries) {
            const n = parseRecordFileName(e.name);
            if (n && n.record === e.id) names.push(n);
          }
          for (let j = start[k]!; j < start[k + 1]!; j++) {
            const i = order[j]!;
            const at = this.first[k]! + (j - start[k]!);
            const cr = this.claimResult(i);
            const record = this.id(i);
            entries.push({ mode: '100644', name: this.fileName(i, at), id: record });
            names.push({ claim: this.claims[cr >> 1]!, result: cr & 1 ? 'fail' : 'pass', at, record });
          }
          shard.set(rest, { mode: '40000', name: rest, id: writer.write('tree', encodeTree(entries)) });
          if (!base) claims.set(rest, interned(claimsOf(standingOf(names))));
        }
        const tree = writer.write('tree', encodeTree([...shard.values()]));
        fanout.set(xx, { mode: '40000', name: xx, id: tree });
        if (!base) standings.set(xx, { tree, claims });
      }
      if (base) rootEntries.set(base, { mode: '40000', name: base, id: writer.write('tree', encodeTree([...fanout.values()])) });
    }
    return { root: writer.write('tree', encodeTree([...rootEntries.values()])), standings };
  }

  async *records(): AsyncGenerator<AssertionRecord> {
    for (let i = 0; i < this.count; i++) yield readRecord(this.store, this.id(i));
  }
}

type TreeSource = TreesAt;

/** The fanout trees of the assertions tree at one head, read as asked and kept; a directory's tree read each time. */
class TreesAt {
  private readonly memo = new Map<string, Promise<Map<string, TreeEntry>>>();

  constructor(private readonly store: Store, private readonly head: string | undefined) {}

  fanout(base: string): Promise<Map<string, TreeEntry>> {
    return this.memoized(`${base}`, async () => {
      const root = await assertionsRoot(this.store, this.head);
      const top = root ? byName(await this.tree(root)) : new Map<string, TreeEntry>();
      if (!base) return top;
      const sub = top.get(base);
      return sub ? byName(await this.tree(sub.id)) : new Map();
    });
  }

  shard(base: string, xx: string): Promise<Map<string, TreeEntry>> {
    return this.memoized(`${base}/${xx}`, async () => {
      const e = (await this.fanout(base)).get(xx);
      return e ? byName(await this.tree(e.id)) : new Map();
    });
  }

  private memoized(key: string, make: () => Promise<Map<string, TreeEntry>>): Promise<Map<string, TreeEntry>> {
    let p = this.memo.get(key);
    if (!p) this.memo.set(key, (p = make()));
    return p;
  }

  tree(id: string): Promise<TreeEntry[]> {
    return readTree(this.store.objects, id, ASSERTIONS_REF);
  }
}

const byName = (entries: TreeEntry[]): Map<string, TreeEntry> => new Map(entries.map((e) => [e.name, e]));

/** The latest time a directory's record file names say, or undefined. */
function latestOf(entries: readonly TreeEntry[]): number | undefined {
  let latest: number | undefined;
  for (const e of entries) {
    const at = parseRecordFileName(e.name)?.at;
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}
