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
 * First line `{"v","key","claims"}`; then one line per VFI, `[id, recency, unpinned 0|1,
 * passing, failing]` in JSON, each claim an index into `claims`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { candidateOrder, newestOrder, type Candidate } from '../core/pick.js';
import { ASSERTIONS_REF } from './assertionTree.js';
import { writeFileAtomic } from './lineageIndex.js';
import { lineageRef, type Store } from './store.js';
import type { RecordFilter } from './trust.js';

const VERSION = 1;
const CHUNK = 64 * 1024;
/**
 * Lines kept of each order. A pick's answer is almost always among the first few; one that reads
 * past the last line (rules that exclude thousands) ranks in full, as it would without the cache.
 */
const KEPT = 2000;
const OID = /^[0-9a-f]{40}$/;

type Order = 'best' | 'newest';
type Line = [id: string, recency: number, unpinned: 0 | 1, passing: number[], failing: number[]];

export class RankedCache {
  constructor(private readonly store: Store, private readonly filter?: RecordFilter) {}

  /** What a ranking of `name` reflects now: the trust list, the assertions and the lineage. */
  key(name: string): string {
    const refs = this.store.refs;
    return `trust=${this.filter?.fingerprint ?? ''} assertions=${refs.read(ASSERTIONS_REF) ?? ''} lineage=${refs.read(lineageRef(name)) ?? ''}`;
  }

  /**
   * The first candidate in `order` that `choose` takes (it sees them one at a time and may stop),
   * when the file reflects `key`; undefined when it does not or is unreadable.
   */
  first(order: Order, name: string, key: string, choose: (ordered: Iterable<Candidate>) => Candidate | undefined): Candidate | undefined {
    let fd: number;
    try {
      fd = fs.openSync(this.file(order, name), 'r');
    } catch {
      return undefined; // none yet
    }
    try {
      const lines = readLines(fd);
      const header = lines.next();
      const claims = header.done ? undefined : claimsOf(header.value, key);
      return claims && choose(candidates(lines, name, claims));
    } catch {
      return undefined; // odd: the next full ranking rewrites it
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Keep both orders of `all` (every VFI of `name`, as the refs said at `key`). */
  save(name: string, key: string, all: readonly Candidate[]): void {
    const claims = new Map<string, number>();
    const index = (list: readonly string[]) => list.map((c) => claims.get(c) ?? claims.set(c, claims.size).get(c)!);
    for (const [order, ordered] of [['best', candidateOrder(all)], ['newest', newestOrder(all)]] as const) {
      const lines = ordered.slice(0, KEPT).map((c) => JSON.stringify([c.id, c.recency, c.unpinned ? 1 : 0, index(c.passing), index(c.failing)] satisfies Line));
      writeFileAtomic(this.file(order, name), `${JSON.stringify({ v: VERSION, key, claims: [...claims.keys()] })}\n${lines.join('\n')}\n`);
    }
  }

  private file(order: Order, name: string): string {
    return path.join(this.store.gitdir, 'vfi-cache', this.filter?.fingerprint ? 'ranked-trusted' : 'ranked', order, name);
  }
}

/** The claims table of a header that reflects `key`, else undefined. */
function claimsOf(line: string, key: string): string[] | undefined {
  const h = JSON.parse(line) as { v?: unknown; key?: unknown; claims?: unknown };
  const ok = h !== null && typeof h === 'object' && h.v === VERSION && h.key === key && Array.isArray(h.claims) && h.claims.every((c) => typeof c === 'string');
  return ok ? (h.claims as string[]) : undefined;
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
