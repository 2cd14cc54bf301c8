/**
 * Derived caches that let `pick` and `find` read one small file instead of the assertions tree
 * and a whole lineage. Git is the source of truth: each cache says which git state it reflects,
 * is brought up to date when that moved and rebuilt when missing or unreadable. They live in
 * `<store>/vfi-cache/`, which git ignores and `git clone` does not copy. `vfi assert` never
 * writes the standings: the next reader catches up.
 *
 * - Standings (`assertions.json`): the claims each asserted VFI passes and fails by their latest
 *   records. It records the assertions commit and root tree it reflects and, for each of the 256
 *   fanout directories, the tree id it was computed from. Catching up compares the new root
 *   tree's entries with those ids and recomputes only the directories whose tree changed, from
 *   tree entries alone (a record's file name says its claim, result and time), so an append, a
 *   batch and a merge after pull are handled alike, in proportion to what changed. Standings
 *   repeat (few claims, many VFIs), so they are interned: a VFI costs its 38 hex digits and one
 *   small number, about 0.4 MB at 10,000 VFIs. When and by whom a claim failed is not kept:
 *   explaining reads those few records from git. `assert --batch` advances them itself.
 * - Picks (`picks/<Name>.json`): a lineage's distinct VFIs in the order of their latest
 *   publication, as one string of ids, joined with their standings; it records the lineage head
 *   and the assertions commit it reflects. A repeated `pick` reads this one file and hashes no
 *   ids; `assert` reads its ids to resolve `Name@<id>` without loading the lineage. `assert` and
 *   `assert --batch` advance it, and the ranked cache, when it reflects their commit's parent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecordFileName, type RecordName } from '../core/assertion.js';
import { claimsOf, standingOf, type Candidate } from '../core/pick.js';
import { isPinned, unpinnedImages } from '../core/trust.js';
import { partsOf, type Part } from '../core/composition.js';
import { MAX_VFI_BYTES } from '../core/admission.js';
import type { Vfi } from '../core/vfi.js';
import { readCommit } from '../git/commits.js';
import { ASSERTIONS_REF, assertionsRoot, COMPONENTS_DIR, TreeReader } from './assertionTree.js';
import { writeFileAtomic } from './lineageIndex.js';
import { RankedCache } from './rankedCache.js';
import { lineageRef, type Store } from './store.js';
import type { RecordFilter } from './trust.js';

// 4: record times in microseconds, and names in whole seconds read again (v3 skipped them);
// a lineage's order is its publications' (merge commits left out).
// 5: only the records a trust list lets count (`trust`), and which VFIs have unpinned images.
// 6: which VFIs contain VFIs (`nested`).
const VERSION = 6;
const OID = /^[0-9a-f]{40}$/;
const SHARD = /^[0-9a-f]{2}$/;
/** Past this many changed fanout directories a pick redoes its join from the standings cache. */
const MAX_INCREMENTAL_SHARDS = 16;
const REST = /^[0-9a-f]{38}$/;

/** What an append changed, by fanout directory: its new tree and the claims of each VFI it touched there (by the rest of its id). */
export type Changed = ReadonlyMap<string, { tree: string; claims: ReadonlyMap<string, Claims> }>;

/** [indexes of passing claims, indexes of failing claims], claims in name order. */
type StandingRow = [passing: number[], failing: number[]];

interface Shard {
  /** the fanout tree this shard was computed from */
  t: string;
  /** the last 38 hex digits of each asserted VFI id of this shard, concatenated */
  ids: string;
  /** each VFI's standing, an index into `standings` */
  s: number[];
}

interface StandingsFile {
  v: number;
  /** the RecordFilter fingerprint the standings were computed under */
  trust: string;
  commit: string;
  root: string;
  claims: string[];
  standings: StandingRow[];
  shards: Record<string, Shard>;
}

/** The claims a VFI passes and fails (by their latest records). */
export interface Claims {
  passing: readonly string[];
  failing: readonly string[];
}

const NOTHING: Claims = Object.freeze({ passing: Object.freeze([]), failing: Object.freeze([]) });
/** `assertions` of a pick cache whose join was never made (not a commit id, nor ""). */
const STALE = 'stale';

/** Where each VFI stands, as the assertions ref says. */
export class AssertionView {
  private readonly standings: Claims[];
  private readonly positions = new Map<string, Map<string, number>>();

  /** the assertions commit and root tree this view reflects ("" for none) */
  readonly commit: string;
  readonly root: string;

  constructor(private readonly data: Pick<StandingsFile, 'commit' | 'root' | 'claims' | 'standings' | 'shards'>) {
    this.commit = data.commit;
    this.root = data.root;
    const name = (i: number) => data.claims[i]!;
    this.standings = data.standings.map(([p, f]) => Object.freeze({ passing: Object.freeze(p.map(name)), failing: Object.freeze(f.map(name)) }));
  }

  /** Every claim of some VFI's standing (a claim with records is in the standing of its VFI). */
  claimsInUse(): Set<string> {
    const used = new Set<number>();
    for (const shard of Object.values(this.data.shards)) for (const k of shard.s) used.add(k);
    const claims = new Set<string>();
    for (const k of used) for (const c of [...this.standings[k]!.passing, ...this.standings[k]!.failing]) claims.add(c);
    return claims;
  }

  /** The claims VFI `id` passes and fails; shared objects, frozen. */
  claims(id: string): Claims {
    const xx = id.slice(0, 2);
    const shard = this.data.shards[xx];
    if (!shard) return NOTHING;
    let positions = this.positions.get(xx);
    if (!positions) {
      positions = new Map();
      for (let i = 0, n = shard.s.length; i < n; i++) positions.set(shard.ids.slice(i * 38, i * 38 + 38), i);
      this.positions.set(xx, positions);
    }
    const pos = positions.get(id.slice(2));
    return pos === undefined ? NOTHING : this.standings[shard.s[pos]!]!;
  }
}

export class AssertionIndex {
  private readonly file: string;

  constructor(private readonly store: Store, private readonly filter?: RecordFilter) {
    this.file = path.join(store.gitdir, 'vfi-cache', filter?.fingerprint ? 'assertions-trusted.json' : 'assertions.json');
  }

  /** The view as of the current assertions ref, catching the cache up first when it is behind. */
  async load(): Promise<AssertionView> {
    const head = this.store.refs.read(ASSERTIONS_REF);
    if (!head) return new AssertionView({ commit: '', root: '', claims: [], standings: [], shards: {} });
    const read = this.readCache();
    const cached = read?.trust === (this.filter?.fingerprint ?? '') ? read : undefined;
    if (cached?.commit === head) return new AssertionView(cached);
    const root = (await assertionsRoot(this.store, head))!;
    const next = cached?.root === root ? { ...cached, commit: head } : await this.update(cached, head, root);
    writeFileAtomic(this.file, JSON.stringify(next));
    return new AssertionView(next);
  }

  /** Recompute the shards whose fanout tree differs from what the cache saw. */
  private async update(cached: StandingsFile | undefined, commit: string, root: string): Promise<StandingsFile> {
    const reader = new TreeReader(this.store);
    const table = new StandingTable(cached);
    const shards: Record<string, Shard> = {};
    for (const entry of await reader.read(root, 'root tree')) {
      if (entry.mode !== '40000' || !SHARD.test(entry.name)) continue; // not ours; fsck reports it
      const old = cached?.shards[entry.name];
      if (old && old.t === entry.id) {
        shards[entry.name] = old;
        continue;
      }
      const shard: Shard = { t: entry.id, ids: '', s: [] };
      const ids: string[] = [];
      for (const [rest, st] of await readShard(reader, entry.name, entry.id, this.filter)) {
        shard.s.push(table.standing(st));
        ids.push(rest);
      }
      shard.ids = ids.join('');
      shards[entry.name] = shard;
    }
    return { v: VERSION, trust: this.filter?.fingerprint ?? '', commit, root, claims: table.claims, standings: table.standings, shards };
  }

  /**
   * Bring the standings from assertions commit `before` to `commit` with what the appender knows
   * it changed (the claims of every VFI it touched, by fanout directory, and those directories'
   * new trees), reading no tree: after a batch of a million records the next pick finds the index
   * current. Nothing is written when the cache is not at `before` (the next reader catches up
   * from git) or counts only trusted records (which the appender does not judge).
   */
  async recordAppend(before: string | undefined, commit: string, root: string, changed: Changed): Promise<void> {
    if (this.filter?.fingerprint) return;
    this.advanceStandings(before, commit, root, changed);
    await advancePicks(this.store, before ?? '', commit, root, changed);
  }

  private advanceStandings(before: string | undefined, commit: string, root: string, changed: Changed): void {
    const cached = before ? this.readCache() : undefined;
    if (before && (cached?.commit !== before || cached.trust !== '')) return;
    const table = new StandingTable(cached);
    const shards: Record<string, Shard> = { ...cached?.shards };
    for (const [xx, { tree, claims }] of changed) {
      const merged = new Map<string, number>();
      const old = shards[xx];
      if (old) for (let i = 0; i < old.s.length; i++) merged.set(old.ids.slice(i * 38, i * 38 + 38), old.s[i]!);
      for (const [rest, c] of claims) merged.set(rest, table.standing(c));
      const rests = [...merged.keys()].sort();
      shards[xx] = { t: tree, ids: rests.join(''), s: rests.map((r) => merged.get(r)!) };
    }
    const next: StandingsFile = { v: VERSION, trust: '', commit, root, claims: table.claims, standings: table.standings, shards };
    writeFileAtomic(this.file, JSON.stringify(next));
  }

  private readCache(): StandingsFile | undefined {
    let data: StandingsFile;
    try {
      data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as StandingsFile;
    } catch {
      return undefined; // missing or unreadable: rebuilt from git
    }
    return isStandingsFile(data) ? data : undefined;
  }
}

/** The interned claims and standings of a standings file, extended as new ones are met. */
class StandingTable {
  readonly claims: string[];
  readonly standings: StandingRow[];
  private readonly claimIndex: Map<string, number>;
  private readonly standingIndex: Map<string, number>;

  constructor(cached: StandingsFile | undefined) {
    this.claims = cached ? [...cached.claims] : [];
    this.standings = cached ? [...cached.standings] : [];
    this.claimIndex = new Map(this.claims.map((c, i) => [c, i]));
    this.standingIndex = new Map(this.standings.map((s, i) => [`${s[0].join(',')}|${s[1].join(',')}`, i]));
  }

  /** The index of a standing, added when new. */
  standing(c: Claims): number {
    const row: StandingRow = [c.passing.map((x) => this.claim(x)), c.failing.map((x) => this.claim(x))];
    const key = `${row[0].join(',')}|${row[1].join(',')}`;
    let k = this.standingIndex.get(key);
    if (k === undefined) this.standingIndex.set(key, (k = this.standings.push(row) - 1));
    return k;
  }

  private claim(claim: string): number {
    let i = this.claimIndex.get(claim);
    if (i === undefined) this.claimIndex.set(claim, (i = this.claims.push(claim) - 1));
    return i;
  }
}

/** The claims of every VFI with records in one fanout directory, from its trees alone. */
async function readShard(reader: TreeReader, xx: string, tree: string, filter?: RecordFilter): Promise<Map<string, Claims>> {
  const out = new Map<string, Claims>();
  for (const dir of await reader.read(tree, xx)) {
    if (dir.mode !== '40000' || !REST.test(dir.name)) continue; // not ours; fsck reports it
    const claims = await readVfiDir(reader, xx, dir.name, dir.id, filter);
    if (claims) out.set(dir.name, claims);
  }
  return out;
}

/** The claims of one VFI by the record file names in its directory; undefined when none counts. */
async function readVfiDir(reader: TreeReader, xx: string, rest: string, tree: string, filter?: RecordFilter): Promise<Claims | undefined> {
  const names: RecordName[] = [];
  for (const file of await reader.read(tree, `${xx}/${rest}`)) {
    const n = parseRecordFileName(file.name);
    if (n && n.record === file.id && (!filter?.fingerprint || (await filter.reason(xx, n)) === undefined)) names.push(n);
  }
  return names.length > 0 ? claimsOf(standingOf(names)) : undefined;
}

/**
 * Advance the pick caches past one `vfi assert` (`commit`, records about the VFIs `ids`), reading
 * only those VFIs' directories: the next pick then reads a few lines. The standings are left for
 * their next reader (one fanout directory to recompute). An append that merged (its commit has not
 * more than one parent) is left for the next reader to catch up from git.
 */
export async function recordedAbout(store: Store, commit: string, ids: readonly string[]): Promise<void> {
  const { parents, tree: root } = await readCommit(store.objects, commit, { where: ASSERTIONS_REF });
  if (parents.length > 1) return;
  const reader = new TreeReader(store);
  const fanout = new Map((await reader.read(root, 'root tree')).map((e) => [e.name, e.id]));
  const changed = new Map<string, { tree: string; claims: Map<string, Claims> }>();
  for (const id of new Set(ids)) {
    const [xx, rest] = [id.slice(0, 2), id.slice(2)];
    const shard = fanout.get(xx);
    const dir = shard && (await reader.read(shard, xx)).find((e) => e.name === rest);
    const claims = dir && (await readVfiDir(reader, xx, rest, dir.id));
    if (!claims) return; // not where this append put it: someone else's doing; catch up from git
    let entry = changed.get(xx);
    if (!entry) changed.set(xx, (entry = { tree: shard, claims: new Map() }));
    entry.claims.set(rest, claims);
  }
  await advancePicks(store, parents[0] ?? '', commit, root, changed);
}

/** Shape check of a cache read from disk: anything odd and it is rebuilt, never trusted. */
function isStandingsFile(d: StandingsFile): boolean {
  if (d === null || typeof d !== 'object' || d.v !== VERSION || typeof d.trust !== 'string' || !OID.test(d.commit) || !OID.test(d.root)) return false;
  if (!Array.isArray(d.claims) || !Array.isArray(d.standings) || d.shards === null || typeof d.shards !== 'object') return false;
  const nClaims = d.claims.length;
  const isClaim = (i: unknown) => typeof i === 'number' && i >= 0 && i < nClaims && Number.isInteger(i);
  for (const row of d.standings) {
    if (!Array.isArray(row) || !Array.isArray(row[0]) || !Array.isArray(row[1]) || !row[0].every(isClaim) || !row[1].every(isClaim)) return false;
  }
  const nStandings = d.standings.length;
  for (const shard of Object.values(d.shards)) {
    if (shard === null || typeof shard !== 'object' || !OID.test(shard.t) || typeof shard.ids !== 'string') return false;
    if (!Array.isArray(shard.s) || shard.ids.length !== shard.s.length * 38) return false;
    for (const s of shard.s) if (typeof s !== 'number' || !(s >= 0 && s < nStandings)) return false;
  }
  return true;
}

/**
 * A lineage's distinct VFIs in the order of their latest publication (oldest first), each with
 * its claims: everything `pick` needs, joined once per lineage head and assertions commit.
 */
export interface LineageStandings {
  name: string;
  /** the ids, 40 hex digits each, concatenated */
  ids: string;
  /** commit time of each one's latest publication, made non-decreasing along the lineage */
  times: number[];
  /** the claims of each one, an index into `standings` */
  s: number[];
  standings: Claims[];
  /** per VFI, "1" when every dockerImage is pinned by digest, else "0" */
  pinned: string;
  /** per VFI, "1" when it contains a VFI, else "0": without any, only records on components can taint */
  nested: string;
}

interface LineageStandingsFile extends LineageStandings {
  v: number;
  /** the RecordFilter fingerprint the join was made under */
  trust: string;
  head: string;
  /** the assertions commit and root tree `s` reflects ("" for none) */
  assertions: string;
  root: string;
}

/**
 * Per-lineage joins of publication order and standings (`vfi-cache/picks/<Name>.json`), so that
 * a repeated `pick` reads one file and hashes no ids. When only the assertions moved, the join is
 * redone from the standings cache; when the lineage moved, from the lineage first.
 */
export class PickIndex {
  private readonly dir: string;
  private view: Promise<AssertionView> | undefined;

  constructor(private readonly store: Store, private readonly filter?: RecordFilter) {
    this.dir = path.join(store.gitdir, 'vfi-cache', filter?.fingerprint ? 'picks-trusted' : 'picks');
  }

  /** The standings of lineage `name` as the refs say now; NOT_FOUND when there is no such lineage. */
  async load(name: string): Promise<LineageStandings> {
    const cached = await this.ordered(name);
    const head = this.store.refs.read(ASSERTIONS_REF) ?? '';
    const trust = this.filter?.fingerprint ?? '';
    if (cached.assertions === head && cached.trust === trust) return cached;
    const joined = (cached.trust === trust ? await this.joinChanges(cached, head) : undefined) ?? (await this.join(cached));
    writeFileAtomic(this.file(name), JSON.stringify(joined));
    return joined;
  }

  /** Join every VFI of the lineage with the standings cache. */
  private async join(order: LineageStandingsFile): Promise<LineageStandingsFile> {
    const view = await (this.view ??= new AssertionIndex(this.store, this.filter).load());
    const standings: Claims[] = [];
    const index = new Map<Claims, number>();
    const s: number[] = [];
    for (let i = 0, n = order.ids.length / 40; i < n; i++) {
      const claims = view.claims(order.ids.slice(i * 40, i * 40 + 40));
      let k = index.get(claims);
      if (k === undefined) index.set(claims, (k = standings.push(claims) - 1));
      s.push(k);
    }
    return { ...order, trust: this.filter?.fingerprint ?? '', assertions: view.commit, root: view.root, s, standings };
  }

  /**
   * Redo the join only for VFIs in fanout directories whose tree changed since the join was made,
   * straight from git: after one `assert` that is one directory in 256. Undefined when the
   * change is not small or cannot be told (no join yet, the old tree is gone).
   */
  private async joinChanges(cached: LineageStandingsFile, head: string): Promise<LineageStandingsFile | undefined> {
    if (cached.assertions === STALE || !OID.test(cached.root) || !head) return undefined;
    const reader = new TreeReader(this.store);
    const root = (await assertionsRoot(this.store, head))!;
    const after = new Map((await reader.read(root, 'root tree')).map((e) => [e.name, e.id]));
    let before;
    try {
      before = new Map((await reader.read(cached.root, 'root tree')).map((e) => [e.name, e.id]));
    } catch {
      return undefined; // that tree is gone (the ref was rewritten): join anew
    }
    const changed = new Map<number, Map<string, Claims>>();
    for (const xx of new Set([...before.keys(), ...after.keys()])) {
      if (!SHARD.test(xx) || before.get(xx) === after.get(xx)) continue;
      if (changed.size === MAX_INCREMENTAL_SHARDS) return undefined;
      const tree = after.get(xx);
      changed.set(parseInt(xx, 16), tree ? await readShard(reader, xx, tree, this.filter) : new Map());
    }
    const standings = [...cached.standings];
    const s = [...cached.s];
    const index = new Map(standings.map((c, k) => [claimsKey(c), k]));
    const ids = cached.ids;
    for (let i = 0, n = ids.length / 40; i < n; i++) {
      const shard = changed.get(hexByte(ids, i * 40));
      if (!shard) continue;
      const claims = shard.get(ids.slice(i * 40 + 2, i * 40 + 40)) ?? NOTHING;
      const key = claimsKey(claims);
      let k = index.get(key);
      if (k === undefined) index.set(key, (k = standings.push(claims) - 1));
      s[i] = k;
    }
    return { ...cached, assertions: head, root, s, standings };
  }

  /**
   * Bring the join of lineage `name` from assertions commit `before` to `commit` with what an
   * append changed, reading no tree; the candidates whose claims changed, with whether any VFI
   * of the lineage is nested, or undefined when the join was not at `before` (left for the next
   * reader to catch up from git).
   */
  advance(name: string, before: string, commit: string, root: string, changed: Changed): { head: string; candidates: () => Generator<Candidate>; nested: boolean } | undefined {
    const head = this.store.refs.read(lineageRef(name));
    let cached: LineageStandingsFile;
    try {
      cached = JSON.parse(fs.readFileSync(this.file(name), 'utf8')) as LineageStandingsFile;
    } catch {
      return undefined;
    }
    if (!head || !isLineageStandingsFile(cached, name, head) || cached.assertions !== before || cached.trust !== (this.filter?.fingerprint ?? '')) return undefined;
    const standings = [...cached.standings];
    const index = new Map(standings.map((c, k) => [claimsKey(c), k]));
    const s = [...cached.s];
    const { ids, pinned } = cached;
    const claimsAt = (i: number) => changed.get(ids.slice(i * 40, i * 40 + 2))?.claims.get(ids.slice(i * 40 + 2, i * 40 + 40));
    for (let i = 0, n = ids.length / 40; i < n; i++) {
      const claims = claimsAt(i);
      if (!claims) continue;
      const key = claimsKey(claims);
      let k = index.get(key);
      if (k === undefined) index.set(key, (k = standings.push(claims) - 1));
      s[i] = k;
    }
    writeFileAtomic(this.file(name), JSON.stringify({ ...cached, assertions: commit, root, s, standings }));
    // Made as they are read: a batch changes every VFI of the lineage, and the ranked cache keeps 2,000.
    function* candidates(): Generator<Candidate> {
      for (let i = 0, n = ids.length / 40; i < n; i++) {
        const claims = claimsAt(i);
        if (claims) yield { id: ids.slice(i * 40, i * 40 + 40), name, recency: i, passing: claims.passing, failing: claims.failing, unpinned: pinned.charCodeAt(i) === 48 };
      }
    }
    return { head, candidates, nested: cached.nested.includes('1') };
  }

  /** A published VFI, parsed only (after an import of 100,000, each is read here once); readVfi says what is wrong with one that does not parse. */
  private async vfiOf(id: string): Promise<Vfi> {
    try {
      const obj = await this.store.objects.read(id, { maxBytes: MAX_VFI_BYTES });
      const vfi = obj.type === 'blob' ? (JSON.parse(obj.body.toString('utf8')) as Vfi) : undefined;
      if (vfi !== null && typeof vfi === 'object' && !Array.isArray(vfi)) return vfi;
    } catch {
      /* said below */
    }
    return (await this.store.readVfi(id)).vfi;
  }

  /** The ids published on `name` (40 hex digits each, concatenated), without loading the lineage when the cache is current. */
  async publishedIds(name: string): Promise<string> {
    return (await this.ordered(name)).ids;
  }

  private file(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  /** The cache file with a current publication order; its join may be stale. */
  private async ordered(name: string): Promise<LineageStandingsFile> {
    const head = this.store.refs.read(lineageRef(name));
    const file = this.file(name);
    if (head) {
      try {
        const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as LineageStandingsFile;
        if (isLineageStandingsFile(cached, name, head)) return cached;
      } catch {
        /* missing or unreadable: rebuilt */
      }
    }
    let previous: LineageStandingsFile | undefined;
    try {
      previous = JSON.parse(fs.readFileSync(file, 'utf8')) as LineageStandingsFile;
    } catch {
      /* none */
    }
    const lineage = await this.store.lineage(name);
    const oldestFirst = [...lineage.publications()].reverse();
    const last = new Map<string, number>();
    oldestFirst.forEach((e, i) => last.set(e.id, i));
    const effective: number[] = [];
    let time = -Infinity;
    for (const e of oldestFirst) effective.push((time = Math.max(time, e.time)));
    const order = [...last].sort((a, b) => a[1] - b[1]);
    // Whether a VFI's images are pinned never changes: read only the VFIs the last file did not know.
    // Nor whether it contains VFIs.
    const known = new Map<string, string>();
    if (previous?.v === VERSION && typeof previous.ids === 'string' && typeof previous.pinned === 'string' && previous.pinned.length * 40 === previous.ids.length
      && typeof previous.nested === 'string' && previous.nested.length === previous.pinned.length) {
      for (let i = 0; i < previous.pinned.length; i++) known.set(previous.ids.slice(i * 40, i * 40 + 40), previous.pinned[i]! + previous.nested[i]!);
    }
    let pinned = '';
    let nested = '';
    const learnt = order.some(([id]) => !known.has(id)) ? await partsKnown(this.store) : undefined;
    for (const [id] of order) {
      let flags = known.get(id) ?? learnt?.(id);
      if (flags === undefined) {
        const vfi = await this.vfiOf(id);
        flags = `${unpinnedImages(vfi).length === 0 ? '1' : '0'}${partsOf(vfi).some((p) => p.kind === 'vfi') ? '1' : '0'}`;
      }
      pinned += flags[0];
      nested += flags[1];
    }
    // Written with an empty join marked stale, so that the next pick only redoes the join.
    const fresh: LineageStandingsFile = {
      v: VERSION,
      trust: '',
      name,
      head: lineage.head,
      pinned,
      nested,
      assertions: STALE,
      root: '',
      ids: order.map(([id]) => id).join(''),
      times: order.map(([, i]) => effective[i]!),
      s: order.map(() => 0),
      standings: [NOTHING],
    };
    writeFileAtomic(file, JSON.stringify(fresh));
    return fresh;
  }
}

/**
 * The pinned and nested flags of a VFI from the parts cache, which `import` fills as it publishes,
 * so that the first pick after an import of 100,000 VFIs does not read each one back; undefined
 * for a VFI the cache does not know. Admission checked every address, so a part that is neither
 * a git commit nor an image by sha256 digest is an image, unpinned as unpinnedImages says when its
 * address names no digest.
 */
async function partsKnown(store: Store): Promise<(id: string) => string | undefined> {
  const { PartsIndex } = await import('./composition.js');
  const parts = new PartsIndex(store);
  const byTag = new Map<Part, boolean>();
  const unpinned = (p: Part) => p.kind === 'unpinned' && (byTag.get(p) ?? byTag.set(p, !isPinned(p.address)).get(p)!);
  return (id) => {
    const row = parts.partsOf(id);
    return row && `${row.some(unpinned) ? '0' : '1'}${row.some((p) => p.kind === 'vfi') ? '1' : '0'}`;
  };
}

/**
 * After an append from `before` to `commit` ("" when it is the first), advance each lineage's join, and its ranked cache
 * (store/rankedCache.ts) when nothing could taint a VFI from inside, so that the next pick reads
 * a few lines instead of ranking the lineage again. A cache at any other state is left alone.
 */
async function advancePicks(store: Store, before: string, commit: string, root: string, changed: Changed): Promise<void> {
  try {
    const components = (await new TreeReader(store).read(root, 'root tree')).some((e) => e.name === COMPONENTS_DIR);
    const picks = new PickIndex(store);
    const ranked = new RankedCache(store);
    const isChanged = (id: string) => changed.get(id.slice(0, 2))?.claims.has(id.slice(2)) === true;
    for (const name of store.lineageNames()) {
      const moved = picks.advance(name, before, commit, root, changed);
      if (moved && !moved.nested && !components) ranked.advance(name, ranked.keyAt(before, moved.head), ranked.keyAt(commit, moved.head), moved.candidates, isChanged);
    }
  } catch {
    // A cache never fails the command that recorded: the next pick rebuilds from git what was not advanced.
  }
}

function isLineageStandingsFile(d: LineageStandingsFile, name: string, head: string): boolean {
  if (d === null || typeof d !== 'object' || d.v !== VERSION || d.name !== name || d.head !== head) return false;
  if (typeof d.assertions !== 'string' || typeof d.root !== 'string' || typeof d.trust !== 'string') return false;
  if (typeof d.pinned !== 'string' || d.pinned.length * 40 !== d.ids.length || typeof d.nested !== 'string' || d.nested.length !== d.pinned.length) return false;
  if (typeof d.ids !== 'string' || !Array.isArray(d.times) || !Array.isArray(d.s) || !Array.isArray(d.standings)) return false;
  const n = d.times.length;
  if (d.ids.length !== n * 40 || d.s.length !== n || !d.times.every(Number.isFinite)) return false;
  const claimList = (a: unknown) => Array.isArray(a) && a.every((c) => typeof c === 'string');
  if (!d.standings.every((st) => st !== null && typeof st === 'object' && claimList(st.passing) && claimList(st.failing))) return false;
  const k = d.standings.length;
  for (const x of d.s) if (typeof x !== 'number' || !(x >= 0 && x < k)) return false;
  return true;
}

/** Claims that stand alike have one key: for interning them. */
export const claimsKey = (c: Claims): string => `${c.passing.join(',')}|${c.failing.join(',')}`;

/** The byte value of the two hex digits of `s` at `at`, without making a string. */
function hexByte(s: string, at: number): number {
  const digit = (c: number) => (c <= 57 ? c - 48 : c - 87); // '0'-'9', 'a'-'f'
  return digit(s.charCodeAt(at)) * 16 + digit(s.charCodeAt(at + 1));
}

/** Does the assertions tree hold any record on a component (an image or a git commit)? */
export async function hasComponentRecords(store: Store): Promise<boolean> {
  const root = await assertionsRoot(store);
  return root !== undefined && (await new TreeReader(store).read(root, 'root tree')).some((e) => e.name === COMPONENTS_DIR);
}
