/**
 * Assertions in the store, under one ref, `refs/vfi-assertions/main`: a chain of commits, one per
 * `vfi assert` call (or batch), whose tree files every record by the VFI it is about:
 *
 *   <id[0:2]>/<id[2:40]>/<yyyymmddThhmmss.ffffffZ>-<claim>-<pass|fail>-<record id>.json
 *
 * Each file is one record, the canonical bytes of an in-toto Statement (core/assertion.ts). Its
 * name is a function of its content, so stores that recorded the same record agree on it and a
 * union of two trees (a merge after pull) never conflicts. Appending dates the new records after
 * those already in their VFI's directory, writes their blobs, the three trees on the path and one
 * commit, then moves the ref by compare-and-swap; a writer that lost the race re-dates and
 * rebuilds on the new head and tries again, so no record is ever lost, the later append is the
 * later record, and one append costs the size of the two small directories it touches, not of
 * the store.
 */
import { VfiError } from '../errors.js';
import type { PublicationFile } from './publicationFile.js';
import { IdMap } from '../core/rows.js';
import { encodeCommit, encodeTree, type TreeEntry } from '../core/gitObject.js';
import {
  firstNewAt,
  formatMicros,
  makeRecord,
  makeSignedRecord,
  parseAt,
  parseRecord,
  parseRecordFileName,
  recordFileName,
  type Assertion,
  type AssertionRecord,
  type AssertionRequest,
  type RecordName,
} from '../core/assertion.js';
import { compareRecords, latestPerClaim, publicationOrder, type Candidate } from '../core/pick.js';
import { vfiSha256 } from '../core/vfi.js';
import { formatComponentSubject } from '../core/subject.js';
import { MAX_RECORD_BYTES, MAX_VFI_BYTES } from '../core/admission.js';
import type { VfiRef } from '../core/vfiRef.js';
import { currentPerson, now, signatures } from './identity.js';
import { AssertionIndex, PickIndex, type Claims } from './assertionIndex.js';
import { ASSERTIONS_REF, COMPONENTS_DIR, TreeReader, assertionsRoot } from './assertionTree.js';
import { lineageRef, type Store } from './store.js';
import type { RecordFilter } from './trust.js';
import type { SigningKey } from '../core/dsse.js';
import { advanceAdmitted } from './admitted.js';

export { ASSERTIONS_REF, COMPONENTS_DIR, TreeReader, assertionsRoot };

const MAX_ATTEMPTS = 200;

/** The tree entries of one VFI's (or, under COMPONENTS_DIR, one component's) directory; empty when it has no records. */
async function vfiDirectory(store: Store, id: string, reader = new TreeReader(store), base?: string): Promise<TreeEntry[]> {
  let root = await reader.root();
  if (root && base) root = (await reader.entry(root, base, 'root tree', '40000'))?.id;
  if (!root) return [];
  const shard = await reader.entry(root, id.slice(0, 2), base ?? 'root tree');
  if (!shard) return [];
  const dir = await reader.entry(shard.id, id.slice(2), id.slice(0, 2));
  if (!dir) return [];
  return reader.read(dir.id, `${id.slice(0, 2)}/${id.slice(2)}`);
}

/**
 * What the file names of a VFI's records say (a component's, given its digest and COMPONENTS_DIR), oldest first.
 * `reader`: one shared by the reads of a command, which then read the ref's commit and root tree once.
 */
export async function recordNamesOf(store: Store, id: string, base?: string, reader?: TreeReader): Promise<RecordName[]> {
  const names: RecordName[] = [];
  for (const e of await vfiDirectory(store, id, reader, base)) {
    const n = parseRecordFileName(e.name);
    if (n && n.record === e.id) names.push(n);
  }
  return names.sort(compareRecords);
}

/** Read one record blob. */
export async function readRecord(store: Store, record: string): Promise<AssertionRecord> {
  const obj = await store.objects.read(record, { maxBytes: MAX_RECORD_BYTES });
  try {
    if (obj.type !== 'blob') throw new Error(`is a ${obj.type}`);
    return parseRecord(obj.body, record);
  } catch (e) {
    throw new VfiError('STORE_DAMAGED', `assertion record ${record} is not a vfi assertion: ${(e as Error).message}`, { record },
      'run `vfi fsck`');
  }
}

/** Every record about a VFI, oldest first (by `at`, then record id). */
/** Every record about a VFI (or, under `base`, a component), oldest first (by `at`, then record id); with `onDamaged`, a damaged record is said and left out. */
export async function readRecordsOf(store: Store, id: string, base?: string, onDamaged?: (e: VfiError) => void, reader?: TreeReader): Promise<AssertionRecord[]> {
  const names = await recordNamesOf(store, id, base, reader);
  if (!onDamaged) return Promise.all(names.map((n) => readRecord(store, n.record)));
  // Each damaged record is said and left out; the others are read still.
  const out: AssertionRecord[] = [];
  for (const n of names) {
    try {
      const r = await readRecord(store, n.record);
      const about = r.component ? r.component.digest : r.vfi;
      if (r.claim !== n.claim || r.result !== n.result || parseAt(r.at) !== n.at || about !== id) {
        throw new VfiError('STORE_DAMAGED', `assertion record ${n.record} does not say what its file name says`, { record: n.record });
      }
      out.push(r);
    } catch (e) {
      if (!(e instanceof VfiError) || e.code !== 'STORE_DAMAGED') throw e;
      onDamaged(e);
    }
  }
  return out;
}

/** The latest record of each claim about a VFI (or, under `base`, a component) that counts under `filter`, read in full (for `--json` and explanations). */
export async function latestRecordsOf(store: Store, id: string, filter?: RecordFilter, base?: string, reader?: TreeReader): Promise<Map<string, AssertionRecord>> {
  const names = [];
  for (const n of await recordNamesOf(store, id, base, reader)) if (!filter || (await filter.reason(id.slice(0, 2), n)) === undefined) names.push(n);
  const latest = latestPerClaim(names);
  const out = new Map<string, AssertionRecord>();
  for (const claim of [...latest.keys()].sort()) out.set(claim, await readRecord(store, latest.get(claim)!.record));
  return out;
}

/** A VFI an assertion is about: the id and the lineage name its Statement names. */
export interface Subject {
  id: string;
  name: string;
  /** for a bare id, every lineage it was published under (else just `name`) */
  names: string[];
}

/**
 * Resolves the references of assertions, each distinct one once. `NAME` and `NAME@<id or prefix>`
 * are answered from the lineage's ref and its published ids (one string in the pick cache, not
 * the whole lineage); anything else, and anything unclear (no match, several), goes to
 * Store.resolve, which also makes the errors.
 */
/** Subjects remembered by a batch before it starts over: a million records name at most a store's worth of VFIs. */
const MEMO_LIMIT = 20_000;
/** 27 MiB of sha256s at most (2^19 slots of 52 bytes), whatever the number of VFIs a batch names */
const SHA_LIMIT = 1 << 18;

export class SubjectResolver {
  private readonly memo = new Map<string, Promise<Subject>>();
  private readonly published = new Map<string, { ids: string; lookups: number; set?: Set<string>; file?: PublicationFile | undefined }>();
  private readonly heads = new Map<string, string | undefined>();
  private readonly picks: PickIndex;

  constructor(private readonly store: Store) {
    this.picks = new PickIndex(store);
  }

  resolve(text: string, ref: VfiRef): Promise<Subject> {
    // A full id on a lineage is a lookup in its published ids, cheaper than remembering it: a batch
    // naming 100,000 VFIs would miss a bounded memo nearly every time and fill the heap with it.
    if (ref.kind === 'id' && ref.prefix.length === 40) return this.lookup(ref);
    let p = this.memo.get(text);
    if (!p) {
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear(); // a batch over a whole store keeps memory bounded
      p = this.lookup(ref);
      this.memo.set(text, p);
    }
    return p;
  }

  private async lookup(ref: VfiRef): Promise<Subject> {
    if (ref.kind === 'head' && ref.back === 0) {
      const head = this.store.refs.read(lineageRef(ref.name));
      if (head) return { id: await this.store.vfiIdOfCommit(head), name: ref.name, names: [ref.name] };
    }
    if (ref.kind === 'id' && this.headOf(ref.name)) {
      const id = await this.uniquelyPublished(ref.name, ref.prefix);
      if (id) return { id, name: ref.name, names: [ref.name] };
    }
    const r = await this.store.resolve(ref);
    return { id: r.id, name: r.name ?? r.names[0]!, names: r.names };
  }

  /** A lineage's head, read once: a batch names the same lineage a million times. */
  private headOf(name: string): string | undefined {
    if (!this.heads.has(name)) this.heads.set(name, this.store.refs.read(lineageRef(name)));
    return this.heads.get(name);
  }

  /** The one id published on `name` that starts with `prefix`, or undefined (none, or several). */
  private async uniquelyPublished(name: string, prefix: string): Promise<string | undefined> {
    let p = this.published.get(name);
    if (!p) this.published.set(name, (p = { ids: '', lookups: 0, file: this.store.lineages.publicationFile(name) }));
    // The publication file answers without loading the lineage, however many lookups a batch makes.
    if (p.file) {
      const ids = p.file.idsWithPrefix(prefix);
      return ids.length === 1 ? ids[0] : undefined;
    }
    if (!p.ids) p.ids = await this.picks.publishedIds(name);
    // A batch asks thousands of times: past a few, one set of full ids beats scanning.
    if (prefix.length === 40 && ++p.lookups > 16) {
      if (!p.set) {
        p.set = new Set();
        for (let i = 0; i < p.ids.length; i += 40) p.set.add(p.ids.slice(i, i + 40));
      }
      return p.set.has(prefix) ? prefix : undefined;
    }
    let found: string | undefined;
    for (let i = p.ids.indexOf(prefix); i >= 0; i = p.ids.indexOf(prefix, i + 1)) {
      if (i % 40 !== 0) continue;
      if (found) return undefined;
      found = p.ids.slice(i, i + 40);
    }
    return found;
  }
}

/** A record to be: everything it says but when, which appendRecords decides. */
export type Draft = Omit<Assertion, 'at'>;

/** Drafts records for checked requests on resolved subjects, with who filled in; each VFI's sha256 read once. */
export class Drafter {
  private readonly by: string;
  /** every VFI's sha256 met so far, off the heap: a batch over 100,000 VFIs reads each once, not once per 20,000 misses */
  private sha = new IdMap(32);

  constructor(private readonly store: Store) {
    this.by = currentPerson(store.env).name;
  }

  /** A published VFI's bytes, as its blob id vouches for them (the subject's sha256 is of those bytes; whether they are canonical is fsck's question). */
  private async vfiBytes(id: string): Promise<Buffer> {
    const obj = await this.store.objects.read(id, { maxBytes: MAX_VFI_BYTES }).catch(() => undefined);
    return obj?.type === 'blob' ? obj.body : (await this.store.readVfi(id)).bytes; // readVfi says what is wrong
  }

  async draft(request: AssertionRequest, subject: Subject | undefined): Promise<Draft> {
    // A component is its own subject: nothing to look up.
    const component = request.subject?.kind === 'component' ? request.subject.component : undefined;
    let sha256 = component ? '' : this.sha.get(subject!.id)?.toString('hex');
    if (sha256 === undefined) {
      if (this.sha.count >= SHA_LIMIT) this.sha = new IdMap(32);
      this.sha.add(subject!.id, Buffer.from((sha256 = vfiSha256(await this.vfiBytes(subject!.id))), 'hex'));
    }
    return {
      name: component ? component.name : subject!.name,
      vfi: component ? '' : subject!.id,
      sha256,
      ...(component ? { component } : {}),
      claim: request.claim,
      result: request.result,
      by: request.by ?? this.by,
      ...(request.note !== undefined ? { note: request.note } : {}),
      ...(request.evidence !== undefined ? { evidence: request.evidence } : {}),
    };
  }
}

/** The drafts for checked requests on resolved subjects, in request order. */
export async function draftRecords(store: Store, items: { request: AssertionRequest; subject: Subject | undefined }[]): Promise<Draft[]> {
  const drafter = new Drafter(store);
  const out: Draft[] = [];
  for (const { request, subject } of items) out.push(await drafter.draft(request, subject));
  return out;
}

export interface Appended {
  /** the assertions commit that holds the records (undefined only when there were none) */
  commit: string | undefined;
  /** the records as written, in the order of the drafts */
  records: AssertionRecord[];
}

/**
 * Date the drafts and append them in one commit on the assertions ref; concurrent appenders all
 * land. The n-th draft about a VFI is dated n microseconds after the first, which is at `clock`
 * or, when the VFI's directory already holds a record at or after that, just after the latest
 * one (firstNewAt). That is decided on the head the commit is made on, again after a lost race,
 * so the record appended later is always the later one, and a new record is never byte-identical
 * to one already there.
 */
export async function appendRecords(
  store: Store,
  drafts: readonly Draft[],
  message: string,
  opts: { clock: Date; onProgress?: (written: number) => void; sign?: SigningKey },
): Promise<Appended> {
  const clock = opts.clock.getTime() * 1000;
  formatMicros(clock); // a clock RFC 3339 cannot write is refused before anything is written
  // Records about VFIs fan out at the root; records about components under COMPONENTS_DIR.
  const byShard = new Map<string, Map<string, number[]>>();
  const byComponentShard = new Map<string, Map<string, number[]>>();
  for (const [i, d] of drafts.entries()) {
    const key = d.component ? d.component.digest : d.vfi;
    const shards = d.component ? byComponentShard : byShard;
    let dirs = shards.get(key.slice(0, 2));
    if (!dirs) shards.set(key.slice(0, 2), (dirs = new Map()));
    const list = dirs.get(key.slice(2));
    if (list) list.push(i);
    else dirs.set(key.slice(2), [i]);
  }
  const sig = signatures(now(store.env), store.env);
  const reader = new TreeReader(store);
  // Records made on an earlier attempt, reused when their time still holds.
  const made: AssertionRecord[] = [];
  let written = 0;
  const fill = async (fanout: Map<string, TreeEntry>, shards: Map<string, Map<string, number[]>>, base: string): Promise<void> => {
    for (const [xx, dirs] of [...shards].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const shard = fanout.get(xx);
      const shardEntries = new Map((shard ? await reader.read(shard.id, `${base}${xx}`) : []).map((e) => [e.name, e]));
      for (const [rest, indexes] of dirs) {
        const dir = shardEntries.get(rest);
        const entries = dir ? [...(await reader.read(dir.id, `${base}${xx}/${rest}`))] : [];
        let latest: number | undefined;
        for (const e of entries) {
          const at = parseRecordFileName(e.name)?.at;
          if (at !== undefined && (latest === undefined || at > latest)) latest = at;
        }
        const first = firstNewAt(clock, latest, indexes.length);
        for (const [k, i] of indexes.entries()) {
          const at = formatMicros(first + k);
          let r = made[i];
          if (r?.at !== at) {
            made[i] = r = opts.sign ? makeSignedRecord({ ...drafts[i]!, at }, opts.sign) : makeRecord({ ...drafts[i]!, at });
            store.objects.write('blob', r.bytes);
            if (opts.onProgress && written++ % 256 === 0) opts.onProgress(written);
          }
          entries.push({ mode: '100644', name: recordFileName(r), id: r.record });
        }
        shardEntries.set(rest, { mode: '40000', name: rest, id: store.objects.write('tree', encodeTree(entries)) });
      }
      fanout.set(xx, { mode: '40000', name: xx, id: store.objects.write('tree', encodeTree([...shardEntries.values()])) });
    }
  };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const head = store.refs.read(ASSERTIONS_REF);
    if (drafts.length === 0) return { commit: head, records: [] };
    const root = await assertionsRoot(store, head);
    const rootEntries = new Map((root ? await reader.read(root, 'root tree') : []).map((e) => [e.name, e]));
    await fill(rootEntries, byShard, '');
    if (byComponentShard.size > 0) {
      const sub = rootEntries.get(COMPONENTS_DIR);
      const subEntries = new Map((sub ? await reader.read(sub.id, COMPONENTS_DIR) : []).map((e) => [e.name, e]));
      await fill(subEntries, byComponentShard, `${COMPONENTS_DIR}/`);
      rootEntries.set(COMPONENTS_DIR, { mode: '40000', name: COMPONENTS_DIR, id: store.objects.write('tree', encodeTree([...subEntries.values()])) });
    }
    const tree = store.objects.write('tree', encodeTree([...rootEntries.values()]));
    const commit = store.objects.write('commit', encodeCommit({ tree, parents: head ? [head] : [], ...sig, message }));
    if (store.refs.compareAndSwap(ASSERTIONS_REF, head, commit)) {
      advanceAdmitted(store, ASSERTIONS_REF, head, commit);
      return { commit, records: made };
    }
    // Lost the race: let the winner's followers through before rebuilding on the new head.
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
  }
  throw new VfiError('STORE_BUSY', `could not record assertions: ${ASSERTIONS_REF} kept moving under ${MAX_ATTEMPTS} attempts`, {});
}

/** The commit message of one `vfi assert` call. */
export function assertMessage(records: readonly Draft[]): string {
  const subjects = [...new Set(records.map((r) => (r.component ? formatComponentSubject(r.component) : `${r.name}@${r.vfi}`)))];
  const claims = records.map((r) => `${r.claim}=${r.result}`).join(' ');
  return subjects.length === 1 ? `assert ${subjects[0]} ${claims}` : `assert ${records.length} records`;
}

/** Candidates for `pick` and `find`: every VFI of one lineage (or of all), with its claims (those that count under `filter`); damaged lineages left out and said. */
export async function loadCandidates(store: Store, name: string | undefined, filter?: RecordFilter): Promise<{ scope: string; candidates: Candidate[]; damaged: VfiError[]; nested: boolean }> {
  const names = name === undefined ? store.lineageNames() : [name];
  const index = new PickIndex(store, filter);
  const lists = [];
  // A damaged lineage is left out (and said): it does not stop picking from the others.
  const damaged: VfiError[] = [];
  for (const n of names) {
    try {
      lists.push(await index.load(n));
    } catch (e) {
      if (!(e instanceof VfiError) || e.code !== 'STORE_DAMAGED' || name !== undefined) throw e;
      damaged.push(e);
    }
  }
  const candidates: Candidate[] = [];
  if (lists.length === 1) {
    // One lineage: its order is the publication order (the common case, kept allocation-light).
    const { name: lineage, ids, s, standings, pinned } = lists[0]!;
    for (let i = 0, n = s.length; i < n; i++) {
      const { passing, failing } = standings[s[i]!]!;
      candidates.push({ id: ids.slice(i * 40, i * 40 + 40), name: lineage, recency: i, passing, failing, unpinned: pinned.charCodeAt(i) === 48 });
    }
  } else {
    const claims = new Map<string, Claims & { unpinned: boolean }>();
    const order = publicationOrder(lists.map((l) => ({
      name: l.name,
      entries: l.times.map((time, i) => {
        const id = l.ids.slice(i * 40, i * 40 + 40);
        claims.set(id, { ...l.standings[l.s[i]!]!, unpinned: l.pinned.charCodeAt(i) === 48 });
        return { id, time };
      }),
    })));
    for (const [id, { name: lineage, recency }] of order) {
      const { passing, failing, unpinned } = claims.get(id)!;
      candidates.push({ id, name: lineage, recency, passing, failing, unpinned });
    }
  }
  const scope = name ?? (names.length === 1 ? names[0]! : `the store (${names.length} lineages)`);
  return { scope, candidates, damaged, nested: lists.some((l) => l.nested.includes('1')) };
}

/** Every claim some record in the store is about. */
export async function claimsEverAsserted(store: Store): Promise<ReadonlySet<string>> {
  return (await new AssertionIndex(store).load()).claimsInUse();
}

/** The VFIs of NAME (or of the store) that `keep` keeps by their latest claims, each with all its records. */
export async function readRecordsOfCandidates(store: Store, name: string | undefined, keep: (c: Candidate) => boolean): Promise<VfiRecords[]> {
  const { candidates } = await loadCandidates(store, name);
  const out: VfiRecords[] = [];
  for (const c of candidates) if (keep(c)) out.push({ id: c.id, name: c.name, records: await readRecordsOf(store, c.id) });
  return out;
}

export interface VfiRecords {
  id: string;
  /** the lineage the VFI is spoken of under */
  name: string;
  records: AssertionRecord[];
}
