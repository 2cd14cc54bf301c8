/**
 * Scoring and release selection (SPEC §1 "Release candidate"). Pure: records and publication
 * order in, a ranking out.
 *
 * - Per VFI and claim the latest record counts: the one with the latest `at`, then the larger
 *   record id (a total order, so every store decides alike whatever order records arrived in).
 * - score = number of distinct claims whose latest record passes; a VFI with any claim whose
 *   latest record fails is not a candidate until a later pass of that claim re-qualifies it.
 * - `released` is a decision (`vfi release`), not evidence: it neither scores nor disqualifies,
 *   else the VFI released last would outscore its better-tested successor at the next pick.
 * - `require` keeps VFIs whose latest records pass all those claims (`released` included).
 * - Highest score wins; ties go to the most recently published VFI, then to the smaller id.
 */
import { VfiError } from '../errors.js';
import { RELEASED, type AssertionResult } from './assertion.js';

/** What scoring needs of one record (all of it is in the record's file name). */
export interface RecordKey {
  claim: string;
  result: AssertionResult;
  /** microseconds since the epoch (core/assertion.ts parseAt) */
  at: number;
  /** the record's blob id */
  record: string;
}

/** Is `a` later than `b`: later `at`, then larger record id. */
export function isLater(a: RecordKey, b: RecordKey): boolean {
  return a.at !== b.at ? a.at > b.at : a.record > b.record;
}

/** Oldest first: `at`, then record id. */
export function compareRecords(a: RecordKey, b: RecordKey): number {
  return a.at !== b.at ? a.at - b.at : a.record < b.record ? -1 : a.record > b.record ? 1 : 0;
}

/** The latest record of each claim. */
export function latestPerClaim<T extends RecordKey>(records: Iterable<T>): Map<string, T> {
  const latest = new Map<string, T>();
  for (const r of records) {
    const current = latest.get(r.claim);
    if (!current || isLater(r, current)) latest.set(r.claim, r);
  }
  return latest;
}

/** Where a VFI stands: the claims whose latest record passes, and the latest records that fail. */
export interface Standing {
  passing: string[];
  failing: RecordKey[];
}

export function standingOf(records: Iterable<RecordKey>): Standing {
  const passing: string[] = [];
  const failing: RecordKey[] = [];
  for (const r of latestPerClaim(records).values()) {
    if (r.result === 'pass') passing.push(r.claim);
    else failing.push(r);
  }
  passing.sort();
  failing.sort((a, b) => (a.claim < b.claim ? -1 : 1));
  return { passing, failing };
}

/** Does a claim's result count as evidence about the VFI (toward its score, or against it)? */
export const isEvidence = (claim: string): boolean => claim !== RELEASED;

/** The score: passing claims that are evidence (a part's `comp:claim`, met inside, is not the VFI's own). */
export function scoreOf(s: { passing: readonly string[] }): number {
  let n = 0;
  for (const claim of s.passing) if (isEvidence(claim) && !claim.includes(':')) n++;
  return n;
}

/** The failing claims that keep a VFI from being a candidate. */
export const disqualifying = <T extends string | { claim: string }>(failing: readonly T[]): T[] =>
  failing.filter((f) => isEvidence(typeof f === 'string' ? f : f.claim));

/** A VFI that may be picked. */
export interface Candidate {
  id: string;
  /** the lineage it is spoken of under (of its latest publication) */
  name: string;
  /** higher = more recently published, counting a VFI at its latest publication; equal = at the same time */
  recency: number;
  /** claims whose latest record passes, sorted (`released` among them, which does not score) */
  passing: readonly string[];
  /** claims whose latest record fails, sorted (when and by whom is looked up only to explain) */
  failing: readonly string[];
  /** some dockerImage component is not pinned by digest */
  unpinned?: boolean;
}

/** A candidate's claims from its standing. */
export const claimsOf = (s: Standing): Pick<Candidate, 'passing' | 'failing'> => ({ passing: s.passing, failing: s.failing.map((r) => r.claim) });

export type Verdict =
  | { kind: 'picked' }
  | { kind: 'lower-score'; winner: string; winnerScore: number }
  | { kind: 'tie-older'; winner: string }
  | { kind: 'tie-larger-id'; winner: string }
  | { kind: 'disqualified'; claims: readonly string[] }
  | { kind: 'missing'; claims: string[] }
  | { kind: 'unpinned' }
  | { kind: 'low-score'; minScore: number };

export interface Ranked {
  candidate: Candidate;
  score: number;
  verdict: Verdict;
}

export interface PickOptions {
  require?: readonly string[];
  /** a VFI scoring less is not a candidate (default 0: every score) */
  minScore?: number;
  /** when false, a VFI with an image not pinned by digest is not a candidate (default true) */
  allowUnpinned?: boolean;
  /** how many candidates to return, best first (default 1) */
  top?: number;
  /** how many of the ranking and of the rejected to keep, for explaining (default: top) */
  limit?: number;
}

export interface ReleasePick {
  /** the best qualified VFIs, best first, at most `limit`; the first is the release candidate */
  ranked: Ranked[];
  /** the first `top` of `ranked` */
  top: Ranked[];
  /** VFIs that are not candidates, most recently published first, at most `limit` */
  rejected: Ranked[];
  counts: { qualified: number; disqualified: number; missing: number; unpinned: number; lowScore: number };
}

/** Most recently published first, then smaller id. */
export const newer = (a: Candidate, b: Candidate): number => b.recency - a.recency || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Better candidate first: score, then recency, then smaller id. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return scoreOf(b) - scoreOf(a) || newer(a, b);
}

const newestFirst = (a: Ranked, b: Ranked): number => newer(a.candidate, b.candidate);

/**
 * The best `n` items under `compare`, best first, of those added; ties keep the order they were
 * added in. A lineage can hold 100,000 VFIs while a pick wants one and a ranked cache 2,000:
 * items are gathered up to 2n and then cut back to the best n, so the work is n log n per n
 * added and the memory 2n, whatever arrives in whatever order.
 */
export class Best<T> {
  private kept: T[] = [];
  /** the worst of the n kept at the last cut: what is not better is never kept */
  private bar: T | undefined;
  /** how many were added */
  count = 0;
  constructor(private readonly n: number, private readonly compare: (a: T, b: T) => number) {}

  add(x: T): void {
    this.count++;
    if (this.bar !== undefined && this.compare(x, this.bar) >= 0) return;
    this.kept.push(x);
    if (this.kept.length >= 2 * this.n) this.cut();
  }

  get items(): T[] {
    this.cut();
    return this.kept;
  }

  private cut(): void {
    this.kept.sort(this.compare); // stable: ties stay in the order added
    if (this.kept.length >= this.n) {
      this.kept.length = this.n;
      this.bar = this.kept[this.n - 1];
    }
  }
}

export type Exclusion = Extract<Verdict, { kind: 'disqualified' | 'unpinned' | 'missing' | 'low-score' }>;

/**
 * The first rule that keeps `c` from being a candidate, or undefined: a failing claim, then an
 * image not pinned by digest (unless allowed), then a required claim not passing, then a score
 * under the minimum.
 */
export function exclusion(c: Candidate, opts: Pick<PickOptions, 'require' | 'minScore' | 'allowUnpinned'>): Exclusion | undefined {
  if (c.failing.length > 0) {
    const claims = disqualifying(c.failing);
    if (claims.length > 0) return { kind: 'disqualified', claims };
  }
  if (opts.allowUnpinned === false && c.unpinned) return { kind: 'unpinned' };
  if (opts.require && opts.require.length > 0) {
    const missing = opts.require.filter((claim) => !c.passing.includes(claim));
    if (missing.length > 0) return { kind: 'missing', claims: missing };
  }
  const minScore = opts.minScore ?? 0;
  if (minScore > 0 && scoreOf(c) < minScore) return { kind: 'low-score', minScore };
  return undefined;
}

/** Rank candidates and say why each one that is not first lost. */
export function pickReleaseCandidate(candidates: readonly Candidate[], opts: PickOptions = {}): ReleasePick {
  const top = Math.max(1, opts.top ?? 1);
  const limit = Math.max(top, opts.limit ?? top);
  const best = new Best<Candidate>(limit, compareCandidates);
  const rejected = new Best<Ranked>(limit, newestFirst);
  const counts = { qualified: 0, disqualified: 0, missing: 0, unpinned: 0, lowScore: 0 };
  const countOf = { disqualified: 'disqualified', unpinned: 'unpinned', missing: 'missing', 'low-score': 'lowScore' } as const;
  for (const c of candidates) {
    const verdict = exclusion(c, opts);
    if (verdict) {
      counts[countOf[verdict.kind]]++;
      rejected.add({ candidate: c, score: scoreOf(c), verdict });
      continue;
    }
    counts.qualified++;
    best.add(c);
  }
  const winner = best.items[0];
  const ranked = best.items.map((c): Ranked => ({ candidate: c, score: scoreOf(c), verdict: whyLost(c, winner!) }));
  return { ranked, top: ranked.slice(0, top), rejected: rejected.items, counts };
}

/**
 * The VFIs that can ever be candidates (no disqualifying failure), best first as the ranking
 * orders them: the order a ranked cache keeps, so that a pick reads only its first few.
 */
export function candidateOrder(candidates: readonly Candidate[]): Candidate[] {
  // scored once each, not once per comparison: a full ranking sorts every VFI of the lineage
  const scored = candidates.filter((c) => disqualifying(c.failing).length === 0).map((c) => ({ c, score: scoreOf(c) }));
  scored.sort((a, b) => b.score - a.score || newer(a.c, b.c));
  return scored.map((x) => x.c);
}

/**
 * The first of `ordered` (best first, candidateOrder) that the rules let be a candidate: the
 * pick. Stops at the first score under the minimum, as every later one scores no more.
 */
export function firstCandidate(ordered: Iterable<Candidate>, rules: Pick<PickOptions, 'require' | 'minScore' | 'allowUnpinned'>): Candidate | undefined {
  for (const c of ordered) {
    const rule = exclusion(c, rules);
    if (!rule) return c;
    if (rule.kind === 'low-score') return undefined;
  }
  return undefined;
}

/** The VFIs that can ever be candidates, most recently published first (then smaller id): the order `find` walks. */
export function newestOrder(candidates: readonly Candidate[]): Candidate[] {
  return candidates.filter((c) => disqualifying(c.failing).length === 0).sort(newer);
}

/** The first of `ordered` (newestOrder) that the rules let be a candidate and that passes every claim of `has`: what `find` answers. */
export function firstWith(ordered: Iterable<Candidate>, has: readonly string[], rules: Pick<PickOptions, 'require' | 'minScore' | 'allowUnpinned'>): Candidate | undefined {
  for (const c of ordered) if (has.every((claim) => c.passing.includes(claim)) && !exclusion(c, rules)) return c;
  return undefined;
}

/** Why qualified candidate `c` ranks below `winner` (or that it is the winner). */
function whyLost(c: Candidate, winner: Candidate): Verdict {
  if (c === winner) return { kind: 'picked' };
  if (scoreOf(c) < scoreOf(winner)) return { kind: 'lower-score', winner: winner.id, winnerScore: scoreOf(winner) };
  if (c.recency < winner.recency) return { kind: 'tie-older', winner: winner.id };
  return { kind: 'tie-larger-id', winner: winner.id };
}

/** The newest VFI whose latest records pass every claim of `has` (other claims do not matter). */
export function findNewest(candidates: readonly Candidate[], has: readonly string[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!has.every((claim) => c.passing.includes(claim))) continue;
    if (!best || c.recency > best.recency || (c.recency === best.recency && c.id < best.id)) best = c;
  }
  return best;
}

/** The one line NO_CANDIDATE says when `pick` found nothing. */
export function noCandidateError(scope: string, candidates: readonly Candidate[], pick: ReleasePick, require: readonly string[]): VfiError {
  if (candidates.length === 0) return new VfiError('NO_CANDIDATE', `no candidate: ${scope} has no VFIs`, { scope });
  const asserted = new Set<string>();
  for (const c of candidates) {
    c.passing.forEach((claim) => asserted.add(claim));
    c.failing.forEach((claim) => asserted.add(claim));
  }
  // A part requirement (`router:tests-passed`) is about records on components, not on these VFIs.
  const never = require.filter((claim) => !claim.includes(':') && !asserted.has(claim));
  if (never.length > 0) {
    return new VfiError('NO_CANDIDATE', `no candidate: no VFI of ${scope} has any assertion of ${never.map((c) => JSON.stringify(c)).join(', ')}`,
      { scope, require, neverAsserted: never }, `record one with vfi assert REF ${never[0]}`);
  }
  const { disqualified, missing, unpinned, lowScore } = pick.counts;
  const parts = [`${disqualified} disqualified by a failing claim`];
  if (unpinned > 0) parts.push(`${unpinned} with images not pinned by digest`);
  if (require.length > 0) parts.push(`${missing} not passing ${require.join(', ')}`);
  if (lowScore > 0) parts.push(`${lowScore} below the minimum score`);
  return new VfiError('NO_CANDIDATE', `no candidate among the ${candidates.length} VFIs of ${scope}: ${parts.join(', ')}`,
    { scope, require, disqualified, missing, unpinned, lowScore }, 'vfi pick --explain lists them');
}

/** The newest VFI that passes `has`, or NO_CANDIDATE. */
export function noMatchError(scope: string, has: readonly string[], excluded?: { candidate: Candidate; rule: Exclusion }): VfiError {
  if (excluded) {
    // Some VFI does pass: saying none does would send the user looking for a test that did run.
    const { candidate: c, rule } = excluded;
    const why = rule.kind === 'unpinned' ? 'has an image not pinned by digest (--allow-unpinned allows it)'
      : rule.kind === 'low-score' ? `scores ${scoreOf(c)}, below the minimum score ${rule.minScore}`
      : rule.kind === 'missing' ? `does not pass ${rule.claims.join(', ')}`
      : `fails ${rule.claims.join(', ')}`;
    return new VfiError('NO_CANDIDATE', `no VFI of ${scope} passes ${has.join(', ')} under the rules in force: the newest that does, ${c.name}@${c.id.slice(0, 12)}, ${why}`,
      { scope, has, excluded: `${c.name}@${c.id}`, rule: rule.kind }, 'vfi policy show NAME prints the rules');
  }
  return new VfiError('NO_CANDIDATE', `no VFI of ${scope} passes ${has.join(', ')}`, { scope, has });
}

export interface PublicationEntry {
  id: string;
  /** seconds since the epoch */
  time: number;
}

/**
 * Publication order across lineages: each VFI's latest publication, as a rank (higher = more
 * recent, equal = published at the same time) and the lineage it happened on. Within one lineage
 * its entry order (oldest first) decides, whatever the clocks said. Lineages are interleaved by
 * commit time, made monotone per lineage so that interleaving never reorders a lineage against
 * itself; the second publication of one lineage within one second ranks after the first of every
 * lineage in that second. Publications of different lineages at the same time and place in their
 * second rank equal, so that the smaller id decides between them (SPEC §1), not a lineage's name.
 */
export function publicationOrder(lineages: readonly { name: string; entries: readonly PublicationEntry[] }[]): Map<string, { name: string; recency: number }> {
  const out = new Map<string, { name: string; recency: number }>();
  if (lineages.length === 1) {
    const { name, entries } = lineages[0]!;
    entries.forEach((e, i) => out.set(e.id, { name, recency: i }));
    return out;
  }
  const all: { id: string; name: string; time: number; seq: number }[] = [];
  for (const { name, entries } of lineages) {
    let time = -Infinity;
    let seq = 0;
    for (const e of entries) {
      seq = e.time > time ? 0 : seq + 1;
      time = Math.max(time, e.time);
      all.push({ id: e.id, name, time, seq });
    }
  }
  // The name only decides which lineage a VFI published on two at once is spoken of under.
  all.sort((a, b) => a.time - b.time || a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let recency = -1;
  all.forEach((e, i) => {
    const prev = all[i - 1];
    if (!prev || prev.time !== e.time || prev.seq !== e.seq) recency++;
    out.set(e.id, { name: e.name, recency });
  });
  return out;
}

/** `--require a,b --require c` → [a, b, c]; an empty claim (`--require ''`, `a,`) is refused, not ignored. */
export function claimWords(values: string[] | undefined, option: string): string[] {
  const words = (values ?? []).flatMap((v) => v.split(',')).map((c) => c.trim());
  if (words.includes('')) {
    throw new VfiError('USAGE', `${option}: empty claim in ${values!.map((v) => JSON.stringify(v)).join(' ')}`, { option },
      `name each claim, e.g. ${option} tests-passed reviewed`);
  }
  return words;
}

/**
 * Choose among the candidates whose VFIs can be read: a chosen VFI whose `read` fails with
 * STORE_DAMAGED is added to `damaged` and left out, and the choice made again, so pick and find
 * never name one.
 */
export async function readableChoice<T>(read: (c: Candidate) => Promise<unknown>, candidates: Candidate[], damaged: VfiError[],
  named: (from: Candidate[]) => Candidate[], choose: (from: Candidate[]) => T): Promise<T> {
  let from = candidates;
  for (;;) {
    let bad: Candidate | undefined;
    for (const c of named(from)) {
      try {
        await read(c);
      } catch (e) {
        if (!(e instanceof VfiError) || e.code !== 'STORE_DAMAGED') throw e;
        damaged.push(new VfiError(e.code, `${c.name}@${c.id}: ${e.message}`, e.data, e.hint));
        bad = c;
        break;
      }
    }
    if (!bad) return choose(from);
    from = from.filter((c) => c.id !== bad.id);
  }
}
