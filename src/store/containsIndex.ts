/**
 * The reverse of `parts.json`, for `vfi contains`: a derived cache in `vfi-cache/contains/`,
 * rebuilt from git when missing or odd.
 *
 * - `<xx>.json`, by the last two hex digits of a subject (image digest, git commit, VFI id): for
 *   each subject, the VFIs naming it directly, each with its lineage, publication index and component
 *   name (one row per lineage the VFI was published on; lineage "" for a VFI that is only nested).
 *   A lookup reads the shards of its answer, not the store's.
 * - `heads.json`: the lineage heads the index reflects, how many publications of each it holds
 *   (with a hash of their ids, so a lineage whose history changed is noticed and the index made
 *   anew), and the VFIs some VFI nests, so a lookup knows which containers to look inside.
 * - `vfis.json`: the lineages each indexed VFI was indexed under, read only to catch up.
 *
 * When a lineage moves, only its new publications are added (their shards rewritten). Rows are
 * only ever added and a lookup takes them as a set, so a catch-up that two processes both make,
 * or one cut short before `heads.json` was written, leaves nothing wrong behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { containing, type Container } from '../core/composition.js';
import { PickIndex } from './assertionIndex.js';
import { PartsIndex } from './composition.js';
import { writeFileAtomic } from './lineageIndex.js';
import { lineageRef, type Store } from './store.js';

const VERSION = 1;

/** The VFIs naming one subject: their ids concatenated, then per VFI its publication index, lineage and component (indexes into the shard's names). */
type Rows = [ids: string, order: number[], lineage: number[], component: number[]];

interface Shard {
  /** lineage names ("" for none) and component names, interned */
  l: string[];
  c: string[];
  k: Record<string, Rows>;
}

/** The shard of a subject: by its last two hex digits (digests and ids are uniform; made-up ones often start alike). */
const shardOf = (key: string): string => key.slice(-2);

interface HeadsFile {
  v: number;
  lineages: Record<string, { head: string; n: number; h: string }>;
  /** ids of VFIs named by some VFI's component, concatenated */
  nested: string;
  /** the shard files written: one of them missing or odd and the index is made anew */
  shards: string[];
}

/** A shard the index says it has is missing or odd. */
const DAMAGED = Symbol('contains index damaged');

/** Where a VFI was published: the lineage, and its place in the lineage's publications (0 the first). */
export interface Publication {
  lineage: string;
  order: number;
}

export interface ContainingVfi {
  id: string;
  /** every place it sits: `router`, `runtime/router` */
  paths: readonly string[];
  /** by lineage name; the first publication on each */
  published: Publication[];
}

const NONE: readonly Container[] = Object.freeze([]);

const hashOf = (ids: string): string => createHash('sha1').update(ids).digest('hex');

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined; // missing or unreadable: rebuilt
  }
}

export class ContainsIndex {
  private readonly dir: string;
  private readonly shards = new Map<string, Shard>();
  /** made anew in memory: shards are not read from disk */
  private fresh = false;
  private written = new Set<string>();

  constructor(private readonly store: Store) {
    this.dir = path.join(store.gitdir, 'vfi-cache', 'contains');
  }

  /** Published VFIs containing `key` (digest, commit or VFI id), directly or through nested VFIs. */
  async lookup(key: string): Promise<ContainingVfi[]> {
    try {
      return await this.find(key);
    } catch (e) {
      if (e !== DAMAGED) throw e;
      this.shards.clear();
      this.fresh = true;
      return this.find(key);
    }
  }

  private async find(key: string): Promise<ContainingVfi[]> {
    const { nested: nestedIds, shards } = await this.catchUp();
    this.written = new Set(shards);
    let nested: Set<string> | undefined;
    const published = new Map<string, Publication[]>();
    const found = containing(key, (k) => {
      if (k !== key && !(nested ??= idSet(nestedIds)).has(k)) return NONE; // nested in nothing: no shard to read
      const shard = this.shard(shardOf(k));
      const rows = shard.k[k];
      const out: Container[] = [];
      if (rows === undefined) return out;
      if (!isRows(rows)) throw DAMAGED;
      const [ids, order, lineages, components] = rows;
      for (let i = 0, n = order.length; i < n; i++) {
        const vfi = ids.slice(i * 40, i * 40 + 40);
        const lineage = shard.l[lineages[i]!];
        if (lineage) {
          const list = published.get(vfi);
          if (!list) published.set(vfi, [{ lineage, order: order[i]! }]);
          else if (!list.some((p) => p.lineage === lineage)) list.push({ lineage, order: order[i]! });
        }
        out.push({ vfi, component: shard.c[components[i]!] ?? '' });
      }
      return out;
    });
    const out: ContainingVfi[] = [];
    for (const [id, paths] of found) {
      const p = published.get(id);
      if (p) out.push({ id, paths, published: p.length > 1 ? p.sort((a, b) => (a.lineage < b.lineage ? -1 : a.lineage > b.lineage ? 1 : 0)) : p });
    }
    return out;
  }

  private shard(xx: string): Shard {
    let s = this.shards.get(xx);
    if (!s) {
      const read = this.fresh ? undefined : readJson<Shard>(path.join(this.dir, `${xx}.json`));
      const ok = read && Array.isArray(read.l) && Array.isArray(read.c) && read.k && typeof read.k === 'object';
      if (!ok && !this.fresh && this.written.has(xx)) throw DAMAGED;
      this.shards.set(xx, (s = ok ? read : { l: [], c: [], k: {} }));
    }
    return s;
  }

  /** The index as the lineage refs say now: as it is when no head moved, else with the new publications added. */
  private async catchUp(): Promise<HeadsFile> {
    const names = this.store.lineageNames();
    const heads = new Map(names.map((n) => [n, this.store.refs.read(lineageRef(n)) ?? '']));
    const file = path.join(this.dir, 'heads.json');
    const old = readJson<HeadsFile>(file);
    const valid = !this.fresh && old?.v === VERSION && typeof old.nested === 'string' && Array.isArray(old.shards) && !!old.lineages && typeof old.lineages === 'object';
    if (valid && names.length === Object.keys(old.lineages).length && names.every((n) => old.lineages[n]?.head === heads.get(n))) return old;
    if (valid) this.written = new Set(old.shards);

    const read = valid ? readJson<Record<string, string[]>>(path.join(this.dir, 'vfis.json')) : undefined;
    let fresh = !valid || !read || typeof read !== 'object' || Object.keys(old.lineages).some((n) => !heads.has(n));
    const picks = new PickIndex(this.store);
    const todo: { name: string; ids: string; from: number }[] = [];
    const next: HeadsFile = { v: VERSION, lineages: {}, nested: '', shards: [] };
    for (const name of names) {
      const before = fresh ? undefined : old!.lineages[name];
      if (before && before.head === heads.get(name)) {
        next.lineages[name] = before;
        continue;
      }
      const ids = await picks.publishedIds(name);
      const n = ids.length / 40;
      if (before && (before.n > n || hashOf(ids.slice(0, before.n * 40)) !== before.h)) fresh = true; // its history changed
      todo.push({ name, ids, from: before?.n ?? 0 });
      next.lineages[name] = { head: heads.get(name)!, n, h: hashOf(ids) };
    }
    if (fresh) {
      // Made anew, from every publication of every lineage.
      for (const name of names) {
        if (todo.some((t) => t.name === name)) continue;
        const ids = await picks.publishedIds(name);
        todo.push({ name, ids, from: 0 });
        next.lineages[name] = { head: heads.get(name)!, n: ids.length / 40, h: hashOf(ids) };
      }
      for (const t of todo) t.from = 0;
      this.shards.clear();
      this.fresh = true;
    }

    const known: Record<string, string[]> = fresh ? {} : read!;
    const nested = fresh ? new Set<string>() : idSet(old!.nested);
    const touched = new Set<string>();
    const parts = new PartsIndex(this.store);
    await parts.ensure(todo.flatMap((t) => idList(t.ids.slice(t.from * 40))));
    parts.save();
    const add = (id: string, lineage: string, order: number) => {
      const list = known[id];
      if (list?.includes(lineage)) return;
      const own = parts.partsOf(id);
      if (!own) return; // not in the store (a nested VFI named with --allow-missing): added when it is published
      known[id] = [...(list ?? []), lineage];
      for (const p of own) {
        if (!p.key) continue;
        const xx = shardOf(p.key);
        const shard = this.shard(xx);
        const rows = (shard.k[p.key] ??= ['', [], [], []]);
        rows[0] += id;
        rows[1].push(order);
        rows[2].push(intern(shard.l, lineage));
        rows[3].push(intern(shard.c, p.component));
        touched.add(xx);
        if (p.kind !== 'vfi') continue;
        nested.add(p.key);
        if (!known[p.key]) add(p.key, '', 0);
      }
    };
    for (const t of todo) for (let i = t.from, n = t.ids.length / 40; i < n; i++) add(t.ids.slice(i * 40, i * 40 + 40), t.name, i);
    next.nested = [...nested].join('');
    next.shards = [...new Set([...(fresh ? [] : old!.shards), ...touched])].sort();
    try {
      if (fresh) fs.rmSync(this.dir, { recursive: true, force: true });
      for (const xx of touched) writeFileAtomic(path.join(this.dir, `${xx}.json`), JSON.stringify(this.shards.get(xx)));
      writeFileAtomic(path.join(this.dir, 'vfis.json'), JSON.stringify(known));
      writeFileAtomic(file, JSON.stringify(next));
    } catch {
      /* a read-only store still answers, from the index made in memory */
    }
    return next;
  }
}

function idList(ids: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += 40) out.push(ids.slice(i, i + 40));
  return out;
}

const idSet = (ids: string): Set<string> => new Set(idList(ids));

const isRows = (r: unknown): r is Rows =>
  Array.isArray(r) && typeof r[0] === 'string' && Array.isArray(r[1]) && Array.isArray(r[2]) && Array.isArray(r[3])
  && r[0].length === r[1].length * 40 && r[2].length === r[1].length && r[3].length === r[1].length;

function intern(names: string[], name: string): number {
  const i = names.indexOf(name);
  return i >= 0 ? i : names.push(name) - 1;
}
