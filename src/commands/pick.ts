/**
 * `vfi pick [NAME]` and `vfi find --has CLAIM… [NAME]`. Without NAME both look across every
 * lineage of the store (with one lineage that is the same thing) and print `NAME@<id>` with the
 * lineage of the VFI's latest publication. `--explain` writes the ranking to stderr, so that
 * `rc=$(vfi pick --explain)` still captures just the reference.
 */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { checkClaim, checkName, nameProblem } from '../core/names.js';
import { shownAt } from '../core/assertion.js';
import { findNewest, noCandidateError, noMatchError, pickReleaseCandidate, scoreOf, type Candidate, type Ranked, type ReleasePick } from '../core/pick.js';
import { claimsEverAsserted, latestRecordsOf, loadCandidates } from '../store/assertions.js';
import { lineageRef, type Store } from '../store/store.js';
import { printJson } from './table.js';
import { reportDamage } from './damage.js';

const EXPLAIN_ROWS = 20;

interface PickOptions {
  require?: string[];
  top?: number;
  explain?: boolean;
  json?: boolean;
}

export async function pick(ctx: Context, name: string | undefined, opts: PickOptions): Promise<void> {
  const words = claimWords(opts.require, '--require');
  if (name !== undefined) checkName(name);
  if (opts.top !== undefined && opts.top < 1) throw new VfiError('USAGE', '--top must be at least 1', { top: opts.top });
  const store = ctx.store({ create: false });
  const scoped = await claimsAndName(ctx, store, name, words, opts.require);
  const require = scoped.claims;
  const { scope, candidates, damaged } = await loadCandidates(store, scoped.name);
  const top = opts.top ?? 1;
  const choose = (from: Candidate[]) => pickReleaseCandidate(from, { require, top, limit: opts.explain ? Math.max(EXPLAIN_ROWS, top) : top });
  const result = await readableChoice(store, candidates, damaged, (from) => choose(from).top.map((r) => r.candidate), choose);
  if (opts.explain) await explain(ctx, store, scope, candidates.length, require, result);
  if (result.ranked.length === 0) throw nothingFound(ctx, opts, noCandidateError(scope, candidates, result, require), damaged);
  if (opts.json) {
    const rows = [];
    for (const r of result.top) rows.push(await describe(store, r.candidate));
    printJson(ctx.out, opts.top === undefined ? { ok: true, ...rows[0]! } : rows);
  } else {
    for (const r of result.top) ctx.out(`${r.candidate.name}@${r.candidate.id}`);
  }
  reportDamage(ctx, damaged);
}

export async function find(ctx: Context, name: string | undefined, opts: { has?: string[]; json?: boolean }): Promise<void> {
  const words = claimWords(opts.has, '--has');
  if (words.length === 0) throw new VfiError('USAGE', 'expected --has CLAIM… (several: --has a b, --has a,b or --has a --has b)', {});
  if (name !== undefined) checkName(name);
  const store = ctx.store({ create: false });
  const scoped = await claimsAndName(ctx, store, name, words, opts.has);
  const { scope, candidates, damaged } = await loadCandidates(store, scoped.name);
  const found = await readableChoice(store, candidates, damaged, (from) => [findNewest(from, scoped.claims)].filter((c) => c !== undefined),
    (from) => findNewest(from, scoped.claims));
  if (!found) throw nothingFound(ctx, opts, noMatchError(scope, scoped.claims), damaged);
  if (opts.json) printJson(ctx.out, { ok: true, ...(await describe(store, found)) });
  else ctx.out(`${found.name}@${found.id}`);
  reportDamage(ctx, damaged);
}

/**
 * Choose among the candidates whose VFIs the store can read: a chosen VFI that is damaged is added
 * to `damaged` and left out, and the choice made again, so pick and find never name one.
 */
async function readableChoice<T>(store: Store, candidates: Candidate[], damaged: VfiError[],
  named: (from: Candidate[]) => Candidate[], choose: (from: Candidate[]) => T): Promise<T> {
  let from = candidates;
  for (;;) {
    let bad: Candidate | undefined;
    for (const c of named(from)) {
      try {
        await store.readVfi(c.id);
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

/**
 * With --json, finding nothing is still an answer on stdout, as `resolve --json` and `verify
 * --json` give one, so that `vfi pick --json | jq -e .ok` reads it: `{"ok": false, "code",
 * "reason"}`, or `[]` with --top (the best N of none). The error then exits 3 as without --json.
 */
function nothingFound(ctx: Context, opts: { json?: boolean; top?: number }, error: VfiError, damaged: readonly VfiError[]): VfiError {
  for (const e of damaged) ctx.note(`vfi: ${e.message}`);
  if (opts.json) printJson(ctx.out, opts.top === undefined ? { ok: false, code: error.code, reason: error.message } : []);
  return error;
}

/** `--require a,b --require c` → [a, b, c]; an empty claim (`--require ''`, `a,`) is refused, not ignored. */
function claimWords(values: string[] | undefined, option: string): string[] {
  const words = (values ?? []).flatMap((v) => v.split(',')).map((c) => c.trim());
  if (words.includes('')) {
    throw new VfiError('USAGE', `${option}: empty claim in ${values!.map((v) => JSON.stringify(v)).join(' ')}`, { option },
      `name each claim, e.g. ${option} tests-passed reviewed`);
  }
  return words;
}

/**
 * The claims and the lineage of `pick`/`find`. `--has` and `--require` take several words, so in
 * `vfi find --has a b Runtime` (SPEC §3) the option swallows NAME too. Without NAME before the
 * option (or after `--`), the option's last word is NAME when it is a whole word (not `a,Runtime`)
 * after at least one claim, names a lineage of the store, and is not a claim of any record; else
 * it is a claim.
 */
async function claimsAndName(ctx: Context, store: Store, name: string | undefined, words: string[], values: string[] | undefined): Promise<{ name: string | undefined; claims: string[] }> {
  const word = values?.at(-1)?.trim();
  if (name === undefined && words.length >= 2 && word !== undefined && !word.includes(',') && !nameProblem(word)
    && store.refs.read(lineageRef(word)) !== undefined) {
    if (!(await claimsEverAsserted(store)).has(word)) return { name: word, claims: uniqueClaims(words.slice(0, -1)) };
    ctx.note(`vfi: "${word}" is taken as a claim, which records use; for the lineage write it before the option or after --`);
  }
  return { name, claims: uniqueClaims(words) };
}

const uniqueClaims = (words: string[]): string[] => [...new Set(words.map(checkClaim))];

/** The --json form of a picked VFI, with the latest record of each claim read from the store. */
async function describe(store: Store, c: Candidate) {
  const latest = await latestRecordsOf(store, c.id);
  return {
    ref: `${c.name}@${c.id}`,
    name: c.name,
    id: c.id,
    score: scoreOf(c),
    claims: Object.fromEntries([...latest].map(([claim, r]) => [claim, { result: r.result, at: r.at, by: r.by }])),
  };
}

/** The ranking on stderr: the best candidates, then the most recent VFIs that are not candidates. */
async function explain(ctx: Context, store: Store, scope: string, total: number, require: string[], result: ReleasePick): Promise<void> {
  const { ranked, rejected, counts } = result;
  const parts = [`${total} VFI(s)`, `${counts.qualified} candidate(s)`];
  if (counts.disqualified > 0) parts.push(`${counts.disqualified} disqualified`);
  if (counts.missing > 0) parts.push(`${counts.missing} missing a required claim`);
  ctx.note(`ranking of ${scope}${require.length > 0 ? ` requiring ${require.join(', ')}` : ''}: ${parts.join(', ')}`);
  const rows: string[][] = [];
  const label = (r: Ranked) => `${r.candidate.name}@${r.candidate.id}`;
  for (const [i, r] of ranked.entries()) rows.push([`#${i + 1}`, label(r), `score ${r.score}`, await why(store, r)]);
  if (counts.qualified > ranked.length) rows.push(['…', `${counts.qualified - ranked.length} more candidates`, '', '']);
  for (const r of rejected) rows.push(['-', label(r), `score ${r.score}`, await why(store, r)]);
  const notShown = counts.disqualified + counts.missing - rejected.length;
  if (notShown > 0) rows.push(['…', `${notShown} more that are not candidates`, '', '']);
  const widths = [0, 1, 2].map((col) => Math.max(...rows.map((row) => row[col]!.length)));
  for (const row of rows) ctx.note(`  ${row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd()}`);
}

async function why(store: Store, r: Ranked): Promise<string> {
  const v = r.verdict;
  switch (v.kind) {
    case 'picked':
      return 'picked';
    case 'lower-score':
      return `lower score (${r.score} < ${v.winnerScore})`;
    case 'tie-older':
      return `tie on score, lost to the more recently published ${v.winner.slice(0, 12)}`;
    case 'tie-larger-id':
      return `tie on score and time, lost to the smaller id ${v.winner.slice(0, 12)}`;
    case 'missing':
      return `missing required claim${v.claims.length > 1 ? 's' : ''} ${v.claims.join(', ')}`;
    case 'disqualified': {
      // The most recent failure is the telling one; the index keeps only which claims fail.
      const latest = await latestRecordsOf(store, r.candidate.id);
      const failed = v.claims.map((c) => latest.get(c)!).filter(Boolean).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
      const record = failed[0];
      const more = v.claims.length > 1 ? ` (and ${v.claims.length - 1} more failing claim${v.claims.length > 2 ? 's' : ''})` : '';
      return record ? `disqualified: ${record.claim} failed at ${shownAt(record.at)} by ${record.by}${more}` : `disqualified: ${v.claims.join(', ')} failed`;
    }
  }
}
