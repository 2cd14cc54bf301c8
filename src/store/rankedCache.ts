/**
 * A lineage's candidates in the two orders `pick` and `find` walk, in `<store>/vfi-cache/ranked/`,
 * so that a repeated pick or find on a lineage of 100,000 VFIs reads a few lines instead of
 * joining and ranking them all: `best/<Name>` as the ranking orders them (core/pick.ts
 * candidateOrder) and `newest/<Name>` most recent first (newestOrder), disqualified VFIs left out
 * of both. Written by the command that did the full ranking, with the refs it reflects on the
 * first line; under any other refs a file is not read. The rules of the moment (required claims,
 * minimum score, pinning) are applied as lines are read, so one file serves every pick. Only the
 * first lines of each order are kept: reading past them, or finding no candidate, ranks in full.
 *
 * An append of records (`vfi assert`, `assert --batch`) moves the assertions ref, and would send
 * the next pick to rank the whole lineage again; instead the appender advances the files that
 * reflect the ref's parent (advance): the VFIs whose claims changed are taken out and put back
 * where they now rank. What is kept stays a true beginning of each order: a VFI that was not kept
 * ranked after the last one kept, as that one stood, and still does unless it changed; a changed
 * one is put back when it now ranks before that point. A file at any other state is left alone,
 * so a pull, a concurrent writer or a deleted cache only cost the next pick a full ranking.
 *
 * First line `{"v","key","claims","all","plain"}` (`all`: every candidate is listed; `plain`:
 * nothing could taint a VFI from inside, no VFI being nested nor any component asserted, so its
 * own claims are all that rank it); then one line per VFI, `[id, recency, unpinned 0|1, passing,
 * failing]` in JSON, each claim an index into `claims`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Best, candidateOrder, compareCandidates, disqualifying, newer, newestOrder, type Candidate } from '../core/pick.js';
import { ASSERTIONS_REF } from './assertionTree.js';
import { writeFileAtomic } from './lineageIndex.js';
import { lineageRef, type Store } from './store.js';
import type { RecordFilter } from './trust.js';

const VERSION = 2;
const CHUNK = 64 * 1024;
/**
 * Lines kept of each order. A pick's answer is almost always among the first few; one that reads
 * past the last line (rules that exclude thousands) ranks in full, as it would without the cache.
 */
const KEPT = 2000;
const OID = /^[0-9a-f]{40}$/;

type Order = 'best' | 'newest';
interface Header {
  claims: string[];
  all: boolean;
  plain: boolean;
}
type Line = [id: string, recency: number, unpinned: 0 | 1, passing: number[], failing: number[]];

export class RankedCache {
  constructor(private readonly store: Store, private readonly filter?: RecordFilter) {}

  /** What a ranking of `name` reflects now: the trust list, the assertions and the lineage. */
  key(name: string): string {
    const refs = this.store.refs;
    return this.keyAt(refs.read(ASSERTIONS_REF), refs.read(lineageRef(name)));
  }

  /** The key of a ranking made at these assertions and lineage heads. */
  keyAt(assertions: string | undefined, lineage: string | undefined): string {
    return `trust=${this.filter?.fingerprint ?? ''} assertions=${assertions ?? ''} lineage=${lineage ?? ''}`;
  }

  /**
   * The first candidate in `order` that `choose` takes (it sees them one at a time and may stop),
   * when the file reflects `key`; undefined when it does not or is unreadable.
   */
  first(order: Order, name: string, key: string, choose: (ordered: Iterable<Candidate>) => Candidate | undefined): Candidate | undefined {
    return this.reading(order, name, key, (_h, ordered) => choose(ordered));
  }

  /** Keep both orders of `all` (every VFI of `name`, as the refs said at `key`); `plain` when nothing could taint them from inside. */
  save(name: string, key: string, all: readonly Candidate[], plain: boolean): void {
    this.write(name, key, [['best', candidateOrder(all), true], ['newest', newestOrder(all), true]], plain);
  }

  /**
   * Bring both orders of `name` from `from` to `to`, an append that changed the claims of the
   * VFIs `moved` says (`changed` gives each as it stands at `to`) and nothing else that ranks:
   * only when both files are at `from` and plain, and something is left to compare with. Nothing
   * is written otherwise. A batch changes every VFI of a lineage: they are met one at a time and
   * only the first KEPT of each order are held.
   */
  advance(name: string, from: string, to: string, changed: () => Iterable<Candidate>, moved: (id: string) => boolean): void {
    const orders: [Order, Candidate[], boolean][] = [];
    for (const [order, compare] of [['best', compareCandidates], ['newest', newer]] as const) {
      const was = this.readAll(order, name, from);
      if (!was?.plain) return;
      // Every VFI not kept ranked after the last one kept, as it stood; unchanged, it still does.
      const last = was.list.at(-1);
      const now = new Best<Candidate>(KEPT, compare);
      for (const c of was.list) if (!moved(c.id)) now.add(c);
      for (const c of changed()) if (disqualifying(c.failing).length === 0 && (was.all || compare(c, last!) <= 0)) now.add(c);
      if (!was.all && now.count === 0) return; // nothing left to read: the next pick ranks in full
      orders.push([order, now.items, was.all && now.count <= KEPT]);
    }
    this.write(name, to, orders, true);
  }

  private write(name: string, key: string, orders: readonly (readonly [Order, readonly Candidate[], boolean])[], plain: boolean): void {
    const claims = new Map<string, number>();
    const index = (list: readonly string[]) => list.map((c) => claims.get(c) ?? claims.set(c, claims.size).get(c)!);
    for (const [order, ordered, complete] of orders) {
      const lines = ordered.slice(0, KEPT).map((c) => JSON.stringify([c.id, c.recency, c.unpinned ? 1 : 0, index(c.passing), index(c.failing)] satisfies Line));
      const header = { v: VERSION, key, claims: [...claims.keys()], all: complete && ordered.length <= KEPT, plain };
      writeFileAtomic(this.file(order, name), `${JSON.stringify(header)}\n${lines.join('\n')}\n`);
    }
  }

  /** Every line of one order when its file reflects `key`. */
  private readAll(order: Order, name: string, key: string): { list: Candidate[]; all: boolean; plain: boolean } | undefined {
    return this.reading(order, name, key, (h, ordered) => ({ list: [...ordered], all: h.all, plain: h.plain }));
  }

  /** What `use` makes of one order's file when it reflects `key` (its lines read as they are asked for); undefined when it does not or is unreadable. */
  private reading<T>(order: Order, name: string, key: string, use: (header: Header, ordered: Iterable<Candidate>) => T): T | undefined {
    let fd: number;
    try {
      fd = fs.openSync(this.file(order, name), 'r');
    } catch {
      return undefined; // none yet
    }
    try {
      const lines = readLines(fd);
      const first = lines.next();
      const header = first.done ? undefined : headerOf(first.value, key);
      return header && use(header, candidates(lines, name, header.claims));
    } catch {
      return undefined; // odd: the next full ranking rewrites it
    } finally {
      fs.closeSync(fd);
    }
  }

  private file(order: Order, name: string): string {
    return path.join(this.store.gitdir, 'vfi-cache', this.filter?.fingerprint ? 'ranked-trusted' : 'ranked', order, name);
  }
}

/** A header that reflects `key`, else undefined. */
function headerOf(line: string, key: string): Header | undefined {
  const h = JSON.parse(line) as { v?: unknown; key?: unknown; claims?: unknown; all?: unknown; plain?: unknown };
  const ok = h !== null && typeof h === 'object' && h.v === VERSION && h.key === key && Array.isArray(h.claims) && h.claims.every((c) => typeof c === 'string');
  return ok ? { claims: h.claims as string[], all: h.all === true, plain: h.plain === true } : undefined;
}

function* candidates(lines: Iterator<string>, name: string, claims: readonly string[]): Generator<Candidate> {
  const names = (a: unknown) => {
    if (!Array.isArray(a)) throw new Error('odd line');
    return a.map((i) => {
      const c = claims[i as number];
      if (c === undefined) throw new Error('odd line');
      return c;
    });
  };
  for (let r = lines.next(); !r.done; r = lines.next()) {
    const l = JSON.parse(r.value) as Line;
    if (!Array.isArray(l) || typeof l[0] !== 'string' || !OID.test(l[0]) || !Number.isInteger(l[1])) throw new Error('odd line');
    yield { id: l[0], name, recency: l[1], unpinned: l[2] === 1, passing: names(l[3]), failing: names(l[4]) };
  }
}

/** The lines of a file, read a chunk at a time as they are asked for. */
function* readLines(fd: number): Generator<string> {
  const buf = Buffer.alloc(CHUNK);
  const utf8 = new StringDecoder('utf8');
  let rest = '';
  for (;;) {
    const n = fs.readSync(fd, buf, 0, CHUNK, null);
    if (n === 0) break;
    const lines = (rest + utf8.write(buf.subarray(0, n))).split('\n');
    rest = lines.pop()!;
    yield* lines;
  }
  if (rest) yield rest;
}
