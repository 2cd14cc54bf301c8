/**
 * Release history: every `released` record, with how the VFI stood then and stands now. Pure:
 * records in, rows out. Standing and candidacy come from the pick core (standingOf, scoreOf,
 * pickReleaseCandidate), so the history follows whatever rules `vfi pick` applies.
 */
import { VfiError } from '../errors.js';
import { RELEASED, parseAt, recordJson, type AssertionRecord } from './assertion.js';
import { claimsOf, compareRecords, disqualifying, pickReleaseCandidate, scoreOf, standingOf, type RecordKey } from './pick.js';

export interface ReleasedVfi {
  id: string;
  /** the lineage the VFI is spoken of under */
  name: string;
  /** every record about the VFI */
  records: readonly AssertionRecord[];
}

/** One `released` record (its fields as `recordJson` gives them) and the VFI's standing. */
export interface Release extends ReturnType<typeof recordJson> {
  name: string;
  id: string;
  /** score and candidacy from the records up to and including the release */
  scoreThen: number;
  candidateThen: boolean;
  scoreNow: number;
  candidate: boolean;
  /** claims whose latest record now fails (that keep it from being a candidate) */
  failingNow: string[];
  /** a later failing `released` record withdrew it */
  withdrawn: boolean;
}

const keyOf = (r: AssertionRecord): RecordKey & { source: AssertionRecord } => ({ claim: r.claim, result: r.result, at: parseAt(r.at)!, record: r.record, source: r });

function standing(id: string, name: string, records: readonly RecordKey[]) {
  const s = standingOf(records);
  // One VFI alone: it is a candidate exactly when pick would keep it.
  const pick = pickReleaseCandidate([{ id, name, recency: 0, ...claimsOf(s) }]);
  return { score: scoreOf(s), candidate: pick.counts.qualified === 1, failing: disqualifying(s.failing).map((f) => f.claim) };
}

/** Has a `released` record among its latest claims, passing or failing: the VFIs whose records releaseHistory needs. */
export const wasReleased = (c: { passing: readonly string[]; failing: readonly string[] }): boolean => c.passing.includes(RELEASED) || c.failing.includes(RELEASED);

/** Every passing `released` record of these VFIs at or after `since` (µs), newest first. */
export function releaseHistory(vfis: readonly ReleasedVfi[], since?: number): Release[] {
  const out: Release[] = [];
  for (const v of vfis) {
    const keys = v.records.map(keyOf).sort(compareRecords);
    const now = standing(v.id, v.name, keys);
    const latestReleased = keys.filter((k) => k.claim === RELEASED).at(-1);
    keys.forEach((k, i) => {
      if (k.claim !== RELEASED || k.result !== 'pass') return;
      if (since !== undefined && k.at < since) return;
      const then = standing(v.id, v.name, keys.slice(0, i + 1));
      const r = k.source;
      out.push({
        name: v.name,
        id: v.id,
        ...recordJson(r),
        scoreThen: then.score,
        candidateThen: then.candidate,
        scoreNow: now.score,
        candidate: now.candidate,
        failingNow: now.failing,
        withdrawn: latestReleased?.result === 'fail',
      });
    });
  }
  return out.sort((a, b) => compareRecords(
    { claim: '', result: 'pass', at: parseAt(b.at)!, record: b.record },
    { claim: '', result: 'pass', at: parseAt(a.at)!, record: a.record },
  ));
}

/** `--since`: a date (2026-11-01, midnight UTC) or an RFC 3339 time, as microseconds since the epoch. */
export function parseSince(s: string): number {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s;
  const micros = parseAt(date) ?? (/^\d{4}-\d{2}-\d{2}T/.test(date) && !Number.isNaN(Date.parse(date)) ? Date.parse(date) * 1000 : undefined);
  if (micros === undefined) {
    throw new VfiError('USAGE', `--since ${JSON.stringify(s)}: expected a date (2026-11-01) or an RFC 3339 time (2026-11-01T12:00:00Z)`, { since: s });
  }
  return micros;
}
