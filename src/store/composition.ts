/**
 * What compositions contain, and where the claims about their parts stand, as derived caches in
 * `<store>/vfi-cache/` (rebuilt from git when missing or unreadable, never trusted when odd):
 *
 * - Parts (`parts.json`): each VFI's components as parts (core/composition.ts), by VFI id. A VFI
 *   never changes, so entries are only added: a VFI is read once, the first time a pick, find or
 *   contains meets it. Parts repeat across VFIs, so they are interned.
 * - Component standings (`components.json`): the claims each image digest and git commit passes
 *   and fails by its latest records, from the COMPONENTS_DIR fanout of the assertions tree (file
 *   names alone), per fanout directory with the tree id it was computed from, so catching up after
 *   an append recomputes one directory in 256.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecordFileName, type RecordName } from '../core/assertion.js';
import { claimsOf, standingOf } from '../core/pick.js';
import { VfiError } from '../errors.js';
import type { StoredVfi, Vfi } from '../core/vfi.js';
import { canonicalText } from '../core/canonical.js';
import { cycleThrough, expandVfi, nestedIds, partsOf as partsOfVfi, Taints, type Taint, type ClaimsOf, type Part, type PartKind, type PartsOf, type SubjectClaims } from '../core/composition.js';
import { ASSERTIONS_REF, assertionsRoot, COMPONENTS_DIR, TreeReader } from './assertions.js';
import { AssertionIndex } from './assertionIndex.js';
import { writeFileAtomic } from './lineageIndex.js';
import type { Store } from './store.js';
import type { RecordFilter } from './trust.js';

const VERSION = 1;
const KINDS: readonly PartKind[] = ['image', 'git', 'vfi', 'unpinned'];
const NOTHING: SubjectClaims = Object.freeze({ passing: Object.freeze([]), failing: Object.freeze([]) });

interface PartsFile {
  v: number;
  /** interned parts: `component \t kind index \t key \t address` */
  parts: string[];
  vfis: Record<string, number[]>;
}

/** The parts of VFIs, read from the store once and kept. */
export class PartsIndex {
  private readonly file: string;
  private data: PartsFile | undefined;
  private readonly decoded: Part[] = [];
  private readonly absent = new Set<string>();
  private changed = false;
  private index: Map<string, number> | undefined;
  private readonly nested: string[] = [];

  constructor(private readonly store: Store) {
    this.file = path.join(store.gitdir, 'vfi-cache', 'parts.json');
  }

  private load(): PartsFile {
    if (this.data) return this.data;
    try {
      const d = JSON.parse(fs.readFileSync(this.file, 'utf8')) as PartsFile;
      if (d && d.v === VERSION && Array.isArray(d.parts) && d.vfis && typeof d.vfis === 'object') return (this.data = d);
    } catch {
      /* missing or unreadable: rebuilt */
    }
    return (this.data = { v: VERSION, parts: [], vfis: {} });
  }

  /** Make sure the parts of these VFIs, and of every VFI nested in them, are known. */
  async ensure(ids: Iterable<string>): Promise<void> {
    const d = this.load();
    const queue = [...ids].filter((id) => !Object.hasOwn(d.vfis, id));
    if (queue.length === 0) return;
    const index = (this.index ??= new Map(d.parts.map((p, i) => [p, i])));
    while (queue.length > 0) {
      const id = queue.pop()!;
      if (Object.hasOwn(d.vfis, id) || this.absent.has(id)) continue;
      if (!(await this.store.objects.has(id))) {
        this.absent.add(id); // not kept: a pull may bring it
        continue;
      }
      let vfi;
      try {
        vfi = (await this.store.readVfi(id)).vfi;
      } catch (e) {
        // A damaged VFI has no parts to see: its readers (pick's readableChoice, fsck) say what is wrong.
        if (!(e instanceof VfiError && e.code === 'STORE_DAMAGED')) throw e;
        this.absent.add(id);
        continue;
      }
      const row: number[] = [];
      for (const p of partsOfVfi(vfi)) {
        row.push(this.intern(p, index));
        if (p.kind === 'vfi') queue.push(p.key);
      }
      d.vfis[id] = row;
      this.changed = true;
    }
  }

  /** Learn the parts of a VFI at hand (one just imported), so that the first pick need not read it back. */
  add(id: string, vfi: Vfi): void {
    const d = this.load();
    if (Object.hasOwn(d.vfis, id)) return;
    const index = (this.index ??= new Map(d.parts.map((p, i) => [p, i])));
    d.vfis[id] = partsOfVfi(vfi).map((p) => {
      if (p.kind === 'vfi') this.nested.push(p.key);
      return this.intern(p, index);
    });
    this.changed = true;
  }

  /**
   * The number of a part, interned. A new part's text is copied: built from the parsed VFI, it
   * would otherwise keep the VFI's whole text alive (V8 slices strings), 700-odd bytes per VFI of
   * a 100,000-line import.
   */
  private intern(p: Part, index: Map<string, number>): number {
    const text = `${p.component}\t${KINDS.indexOf(p.kind)}\t${p.key}\t${p.address}`;
    let i = index.get(text);
    if (i === undefined) {
      const own = Buffer.from(text, 'utf8').toString('utf8');
      index.set(own, (i = this.load().parts.push(own) - 1));
    }
    return i;
  }

  /** Save what add() learnt, with the parts of the VFIs nested in those VFIs (as ensure() learns them). */
  async saveAdded(): Promise<void> {
    try {
      await this.ensure(this.nested.splice(0));
    } catch {
      return; // a cache never fails the command that published: the next pick learns them from git
    }
    this.save();
  }

  /** Write what was learnt (the cache is only ever added to). */
  save(): void {
    const d = this.data;
    if (this.changed && d) {
      // Piece by piece: after a 100,000-line import the whole text would be tens of megabytes held at once.
      writeFileAtomic(this.file, (put) => {
        put(`{"v":${d.v},"parts":[`);
        d.parts.forEach((p, i) => put(`${i ? ',' : ''}${JSON.stringify(p)}`));
        put('],"vfis":{');
        let first = true;
        for (const id in d.vfis) {
          put(`${first ? '' : ','}${JSON.stringify(id)}:[${d.vfis[id]!.join(',')}]`);
          first = false;
        }
        put('}}');
      });
    }
    this.changed = false;
  }

  readonly partsOf: PartsOf = (id) => {
    const row = this.load().vfis[id];
    return row?.map((i) => this.part(i));
  };

  /** Every VFI whose parts are known, with them: for reverse lookups. */
  *entries(): Iterable<[string, readonly Part[]]> {
    for (const [id, row] of Object.entries(this.load().vfis)) yield [id, row.map((i) => this.part(i))];
  }

  private part(i: number): Part {
    let p = this.decoded[i];
    if (!p) {
      const [component, kind, key, address] = this.data!.parts[i]!.split('\t');
      this.decoded[i] = p = Object.freeze({ component: component!, kind: KINDS[Number(kind)]!, key: key!, address: address! });
    }
    return p;
  }
}

interface ComponentShard {
  t: string;
  /** rest of the digest → [passing, failing] */
  s: Record<string, [string[], string[]]>;
}

interface ComponentStandingsFile {
  v: number;
  /** the RecordFilter fingerprint the standings were computed under ("" for every record) */
  trust: string;
  commit: string;
  shards: Record<string, ComponentShard>;
}

/**
 * Where each image digest and git commit stands, as the assertions ref says now, counting only the
 * records `filter` lets count (under a trust list, those signed by a trusted key): kept apart
 * (`components-trusted.json`) and redone when the filter's fingerprint changes.
 */
export async function componentStandings(store: Store, filter?: RecordFilter): Promise<(key: string) => SubjectClaims> {
  const trust = filter?.fingerprint ?? '';
  const file = path.join(store.gitdir, 'vfi-cache', trust ? 'components-trusted.json' : 'components.json');
  const head = store.refs.read(ASSERTIONS_REF) ?? '';
  let cached: ComponentStandingsFile | undefined;
  try {
    const d = JSON.parse(fs.readFileSync(file, 'utf8')) as ComponentStandingsFile;
    if (d && d.v === VERSION && d.trust === trust && typeof d.commit === 'string' && d.shards && typeof d.shards === 'object') cached = d;
  } catch {
    /* missing or unreadable: rebuilt */
  }
  let data = cached;
  if (cached?.commit !== head) {
    data = { v: VERSION, trust, commit: head, shards: {} };
    const reader = new TreeReader(store);
    const root = head ? await assertionsRoot(store, head) : undefined;
    const sub = root ? (await reader.read(root, 'root tree')).find((e) => e.name === COMPONENTS_DIR && e.mode === '40000') : undefined;
    for (const shard of sub ? await reader.read(sub.id, COMPONENTS_DIR) : []) {
      if (shard.mode !== '40000' || !/^[0-9a-f]{2}$/.test(shard.name)) continue; // fsck reports it
      const old = cached?.shards[shard.name];
      if (old?.t === shard.id) {
        data.shards[shard.name] = old;
        continue;
      }
      const s: ComponentShard['s'] = {};
      for (const dir of await reader.read(shard.id, `${COMPONENTS_DIR}/${shard.name}`)) {
        if (dir.mode !== '40000') continue;
        const names: RecordName[] = [];
        for (const f of await reader.read(dir.id, `${COMPONENTS_DIR}/${shard.name}/${dir.name}`)) {
          const n = parseRecordFileName(f.name);
          if (n && n.record === f.id && (!trust || (await filter!.reason(shard.name, n)) === undefined)) names.push(n);
        }
        if (names.length > 0) {
          const c = claimsOf(standingOf(names));
          s[dir.name] = [[...c.passing], [...c.failing]];
        }
      }
      data.shards[shard.name] = { t: shard.id, s };
    }
    writeFileAtomic(file, JSON.stringify(data));
  }
  const memo = new Map<string, SubjectClaims>();
  return (key) => {
    let c = memo.get(key);
    if (!c) {
      const row = data!.shards[key.slice(0, 2)]?.s[key.slice(2)];
      memo.set(key, (c = row ? { passing: row[0], failing: row[1] } : NOTHING));
    }
    return c;
  };
}

/** The claims of parts (by digest) and of VFIs' own records (by id), as the assertions ref says now, by the records that count under `filter`. */
export async function claimsLookup(store: Store, filter?: RecordFilter): Promise<ClaimsOf> {
  const component = await componentStandings(store, filter);
  const view = await new AssertionIndex(store, filter).load();
  return { component, vfi: (id) => view.claims(id) };
}

/** Parts and claims (by the records that count under `filter`) for these VFIs and what is nested in them, caches caught up. */
export async function loadComposition(store: Store, ids: Iterable<string>, filter?: RecordFilter): Promise<{ parts: PartsIndex; claims: ClaimsOf }> {
  const parts = new PartsIndex(store);
  await parts.ensure(ids);
  parts.save();
  return { parts, claims: await claimsLookup(store, filter) };
}

/**
 * The parts of these VFIs and of every VFI nested in them, read from the VFIs themselves: for one
 * VFI (`vfi assertions`), a few object reads beat loading the parts cache of every VFI.
 */
export async function partsReadDirectly(store: Store, ids: Iterable<string>): Promise<PartsOf> {
  const known = new Map<string, readonly Part[]>();
  const queue = [...ids];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (known.has(id) || !(await store.objects.has(id))) continue;
    const parts = partsOfVfi((await store.readVfi(id)).vfi);
    known.set(id, parts);
    for (const p of parts) if (p.kind === 'vfi') queue.push(p.key);
  }
  return (id) => known.get(id);
}

/**
 * Refuse a VFI naming nested VFIs the store does not have (NOT_FOUND, unless allowMissing) or
 * closing a cycle: a nested VFI containing this very VFI.
 */
export async function checkNested(store: Store, stored: StoredVfi, allowMissing: boolean): Promise<void> {
  const nested = partsOfVfi(stored.vfi).filter((p) => p.kind === 'vfi');
  if (nested.length === 0) return;
  for (const p of nested) {
    if (allowMissing || (await store.objects.has(p.key))) continue;
    throw new VfiError('NOT_FOUND', `component ${JSON.stringify(p.component)}: the store has no VFI ${p.address}`, { component: p.component, id: p.key },
      'publish or pull it first, or pass --allow-missing to name it anyway');
  }
  const parts = new PartsIndex(store);
  await parts.ensure(nested.map((p) => p.key));
  parts.save();
  const cycle = cycleThrough(stored.id, stored.vfi, parts.partsOf);
  if (cycle) {
    throw new VfiError('INVALID_INPUT', `component ${JSON.stringify(cycle.split('/')[0])}: the nested VFI at ${cycle} is this VFI itself: a VFI cannot contain itself`,
      { path: cycle });
  }
}

/** `show --expand`: the VFI with nested VFIs inlined, in the canonical form, and what was left unexpanded. */
export async function expanded(store: Store, stored: StoredVfi): Promise<{ text: string; notes: string[] }> {
  const vfis = new Map<string, Vfi>([[stored.id, stored.vfi]]);
  const queue = nestedIds(stored.vfi);
  for (let depth = 0; queue.length > 0 && depth < 10_000; depth++) {
    const id = queue.pop()!;
    if (vfis.has(id) || !(await store.objects.has(id))) continue;
    const v = (await store.readVfi(id)).vfi;
    vfis.set(id, v);
    queue.push(...nestedIds(v));
  }
  const notes: string[] = [];
  const doc = expandVfi(stored.vfi, (id) => vfis.get(id), notes, new Set([stored.id]));
  return { text: canonicalText(doc), notes };
}

interface TaintsFile {
  v: number;
  key: string;
  taints: [id: string, path: string, kind: number, partKey: string, address: string, claim: string][];
}

/**
 * The taints of a scope's VFIs, by the records that count under `filter`, remembered per scope
 * (`vfi-cache/taints/<scope>.json`) for the lineage heads, the assertions commit and the filter's
 * fingerprint (the trust log's head under a trust list) they were computed at: they depend on
 * nothing else (VFIs never change), so a repeated pick reads one small file instead of every
 * VFI's parts.
 */
export async function taintsOf(store: Store, scope: string, lineages: readonly string[], ids: readonly string[], filter?: RecordFilter): Promise<Map<string, readonly Taint[]>> {
  const refs = [ASSERTIONS_REF, ...lineages].map((r) => `${r}=${store.refs.read(r.startsWith('refs/') ? r : `refs/vfi/${r}`) ?? ''}`);
  const key = [`trust=${filter?.fingerprint ?? ''}`, ...refs].join(' ');
  const file = path.join(store.gitdir, 'vfi-cache', 'taints', `${scope}.json`);
  try {
    const d = JSON.parse(fs.readFileSync(file, 'utf8')) as TaintsFile;
    if (d && d.v === VERSION && d.key === key && Array.isArray(d.taints)) return group(d.taints);
  } catch {
    /* missing or unreadable: recomputed */
  }
  const { parts, claims } = await loadComposition(store, ids, filter);
  const t = new Taints(parts.partsOf, claims);
  const rows: TaintsFile['taints'] = [];
  for (const id of ids) for (const x of t.of(id)) rows.push([id, x.path, KINDS.indexOf(x.part.kind), x.part.key, x.part.address, x.claim]);
  writeFileAtomic(file, JSON.stringify({ v: VERSION, key, taints: rows }));
  return group(rows);
}

function group(rows: TaintsFile['taints']): Map<string, readonly Taint[]> {
  const out = new Map<string, Taint[]>();
  for (const [id, p, kind, key, address, claim] of rows) {
    const list = out.get(id) ?? [];
    list.push({ path: p, claim, part: { component: p.slice(p.lastIndexOf('/') + 1), kind: KINDS[kind]!, key, address } });
    out.set(id, list);
  }
  return out;
}
