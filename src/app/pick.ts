/**
 * What `vfi pick` and `vfi find` decide, read from the store: the lineage's policy and the flags,
 * only trusted records, candidates seen through their compositions (the ranking itself is
 * core/pick.ts). `--explain` writes the ranking to stderr here, as it is made.
 */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { checkName, nameProblem } from '../core/names.js';
import { checkRequirementNames, componentNames, ownScore, seeThrough, splitRequirements, uniqueClaims, type Taint } from '../core/composition.js';
import { shownAt } from '../core/assertion.js';
import { claimWords, disqualifying, exclusion, findNewest, firstCandidate, firstWith, noCandidateError, noMatchError, pickReleaseCandidate, readableChoice, type Candidate, type Ranked, type ReleasePick } from '../core/pick.js';
import { effectiveRules, type PickRules } from '../core/trust.js';
import { claimsEverAsserted, COMPONENTS_DIR, latestRecordsOf, loadCandidates, recordNamesOf } from '../store/assertions.js';
import { lineageRef, type Store } from '../store/store.js';
import { RankedCache } from '../store/rankedCache.js';
import { hasComponentRecords } from '../store/assertionIndex.js';
import { loadPolicies, loadTrust, type Trust } from '../store/trust.js';
import { plural } from '../core/words.js';

const EXPLAIN_ROWS = 20;

export interface RuleFlags {
  minScore?: number;
  allowUnpinned?: boolean;
}

export interface PickOptions extends RuleFlags {
  require?: string[];
  top?: number;
  explain?: boolean;
  json?: boolean;
}

export interface FindOptions extends RuleFlags {
  has?: string[];
  json?: boolean;
  any?: boolean;
}

/** The --json form of a chosen VFI (describe). */
export type Described = Awaited<ReturnType<typeof describe>>;

/** What pick and find answer: the chosen VFIs (with their --json rows when asked), or the error saying why none; damaged VFIs left out either way. */
export type Answer =
  | { found: true; chosen: Candidate[]; rows: Described[]; damaged: VfiError[] }
  | { found: false; error: VfiError; damaged: VfiError[] };

/** `vfi pick`: the best `top` candidates (the ranking on stderr with --explain). */
export async function pickRelease(ctx: Context, name: string | undefined, opts: PickOptions): Promise<Answer> {
  const words = claimWords(opts.require, '--require');
  if (name !== undefined) checkName(name);
  if (opts.top !== undefined && opts.top < 1) throw new VfiError('USAGE', '--top must be at least 1', { top: opts.top });
  const store = ctx.store({ create: false });
  const top = opts.top ?? 1;
  const scoped = await scopeAndRules(ctx, store, name, words, opts.require, opts);
  const quick = top === 1 && !opts.explain ? await quickPick(store, scoped) : undefined;
  if (quick) {
    scoped.trust.flush();
    return { found: true, chosen: [quick], rows: opts.json ? [await describe(store, quick, scoped.trust, { candidates: [quick], taints: new Map() })] : [], damaged: [] };
  }
  const { scope, require, rules, trust, candidates, seen, result, damaged } = await rank(store, scoped, top, opts.explain ? Math.max(EXPLAIN_ROWS, top) : top);
  if (opts.explain) await explain(ctx, store, trust, scope, candidates.length, rules, result, seen);
  trust.flush();
  if (result.ranked.length === 0) return { found: false, error: noCandidateError(scope, candidates, result, require), damaged };
  const rows = [];
  if (opts.json) for (const r of result.top) rows.push(await describe(store, r.candidate, trust, seen));
  return { found: true, chosen: result.top.map((r) => r.candidate), rows, damaged };
}

/** `vfi find --has …`: the newest VFI passing the claims (a candidate, unless `any`). */
export async function findRelease(ctx: Context, name: string | undefined, opts: FindOptions): Promise<Answer> {
  const words = claimWords(opts.has, '--has');
  if (words.length === 0) throw new VfiError('USAGE', 'expected --has CLAIM… (several: --has a b, --has a,b or --has a --has b)', {});
  if (name !== undefined) checkName(name);
  const store = ctx.store({ create: false });
  const scoped = await claimsAndName(ctx, store, name, words, opts.has);
  const { trust, rules } = await rulesFor(store, scoped.name, opts, true);
  const lineages = scoped.name === undefined ? store.lineageNames() : [scoped.name];
  if (!opts.any) {
    const quick = await quickly(store, lineages, trust, [...scoped.claims, ...rules.require], 'newest', (ordered) => firstWith(ordered, scoped.claims, rules));
    if (quick) {
      trust.flush();
      return { found: true, chosen: [quick], rows: opts.json ? [await describe(store, quick, trust, { candidates: [quick], taints: new Map() })] : [], damaged: [] };
    }
  }
  const ranked = lineages.length === 1 && splitRequirements([...scoped.claims, ...rules.require]).parts.length === 0 ? new RankedCache(store, trust) : undefined;
  const key = ranked?.key(lineages[0]!);
  const loaded = await loadCandidates(store, scoped.name, trust);
  trust.flush();
  const { scope, damaged } = loaded;
  const seen = await seeInside(store, loaded, scoped.claims, lineages, trust);
  if (ranked && damaged.length === 0) ranked.save(lineages[0]!, key!, seen.candidates, seen.plain === true);
  // A policy's rules always apply; without --any, only release candidates: nothing failing on the VFI or inside it.
  const ruleFor = (c: Candidate) => exclusion(opts.any ? { ...c, failing: [] } : c, rules);
  const pool = seen.candidates.filter((c) => !ruleFor(c));
  const found = await readableChoice((c) => store.readVfi(c.id), pool, damaged, (from) => [findNewest(from, scoped.claims)].filter((c) => c !== undefined),
    (from) => findNewest(from, scoped.claims));
  if (!found) {
    // Say which rule kept out the newest VFI that has the claims, rather than that none has them.
    const newest = findNewest(seen.candidates, scoped.claims);
    const rule = newest && ruleFor(newest);
    const claims = [...new Set([...scoped.claims, ...rules.require])];
    return { found: false, error: noMatchError(opts.any ? scope : `${scope} that is a candidate`, claims, newest && rule ? { candidate: newest, rule } : undefined), damaged };
  }
  return { found: true, chosen: [found], rows: opts.json ? [await describe(store, found, trust, seen)] : [], damaged };
}

/** The lineage, the claims and the rules of a pick: the lineage's policy and the flags, only trusted records. */
async function scopeAndRules(ctx: Context, store: Store, name: string | undefined, words: string[], values: string[] | undefined, flags: RuleFlags) {
  const scoped = await claimsAndName(ctx, store, name, words, values);
  const { trust, rules } = await rulesFor(store, scoped.name, { ...flags, require: scoped.claims });
  const lineages = scoped.name === undefined ? store.lineageNames() : [scoped.name];
  return { name: scoped.name, lineages, trust, rules };
}

type Scoped = Awaited<ReturnType<typeof scopeAndRules>>;

/**
 * The pick of one lineage from its ranked cache (store/rankedCache.ts), when the cache reflects
 * the refs of now and its best VFI can be read; undefined sends the full ranking, which says why
 * when there is no candidate and names a damaged VFI. Part requirements need the compositions.
 */
async function quickPick(store: Store, { lineages, trust, rules }: Scoped): Promise<Candidate | undefined> {
  return quickly(store, lineages, trust, rules.require, 'best', (ordered) => firstCandidate(ordered, rules));
}

/** What `choose` takes from the ranked cache of the one lineage in scope, when it is current and that VFI can be read (find and pick alike). */
async function quickly(store: Store, lineages: readonly string[], trust: Trust, claims: readonly string[], order: 'best' | 'newest',
  choose: (ordered: Iterable<Candidate>) => Candidate | undefined): Promise<Candidate | undefined> {
  if (lineages.length !== 1 || splitRequirements(claims).parts.length > 0) return undefined;
  const cache = new RankedCache(store, trust);
  const best = cache.first(order, lineages[0]!, cache.key(lineages[0]!), choose);
  if (!best) return undefined;
  try {
    await store.readVfi(best.id);
  } catch (e) {
    if (e instanceof VfiError && e.code === 'STORE_DAMAGED') return undefined;
    throw e;
  }
  return best;
}

/** The ranking `pick` makes: candidates seen through their compositions, ranked under the rules. */
async function rank(store: Store, { name, lineages, trust, rules }: Scoped, top: number, limit: number) {
  const require = rules.require;
  const ranked = lineages.length === 1 && splitRequirements(require).parts.length === 0 ? new RankedCache(store, trust) : undefined;
  const key = ranked?.key(lineages[0]!);
  const loaded = await loadCandidates(store, name, trust);
  const seen = await seeInside(store, loaded, require, lineages, trust);
  if (ranked && loaded.damaged.length === 0) ranked.save(lineages[0]!, key!, seen.candidates, seen.plain === true);
  const choose = (from: Candidate[]) => pickReleaseCandidate(from, { ...rules, top, limit });
  const result = await readableChoice((c) => store.readVfi(c.id), seen.candidates, loaded.damaged, (from) => choose(from).top.map((r) => r.candidate), choose);
  return { scope: loaded.scope, require, rules, trust, candidates: seen.candidates, seen, result, damaged: loaded.damaged };
}

/** What `vfi pick NAME --require …` would choose (for `set --from-best`), or NO_CANDIDATE. */
export async function pickBest(ctx: Context, store: Store, name: string, require: string[] | undefined): Promise<Candidate> {
  const scoped = await scopeAndRules(ctx, store, name, claimWords(require, '--require'), undefined, {});
  const quick = await quickPick(store, scoped);
  if (quick) {
    scoped.trust.flush();
    return quick;
  }
  const { scope, require: claims, trust, candidates, result } = await rank(store, scoped, 1, 1);
  trust.flush();
  if (result.ranked.length === 0) throw noCandidateError(scope, candidates, result, claims);
  return result.ranked[0]!.candidate;
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

/**
 * The trust list, and the rules of the lineage's policy combined with the command line. Without
 * NAME, a store of one lineage uses that lineage's policy; across several, none (the defaults).
 * `find` applies a policy when there is one, and otherwise only what its flags say.
 */
async function rulesFor(store: Store, name: string | undefined, flags: RuleFlags & { require?: string[] }, forFind = false): Promise<{ trust: Trust; rules: PickRules }> {
  const trust = await loadTrust(store);
  const lineages = name === undefined ? store.lineageNames() : [name];
  const policy = lineages.length === 1 ? (await loadPolicies(store)).get(lineages[0]!) : undefined;
  const rules = effectiveRules(policy, flags);
  if (forFind && !policy) return { trust, rules: { ...rules, minScore: flags.minScore ?? 0, allowUnpinned: flags.allowUnpinned ?? true } };
  return { trust, rules };
}

interface Seen {
  candidates: Candidate[];
  taints: Map<string, readonly Taint[]>;
  /** nothing could taint them: no VFI nested, no record on a component */
  plain?: boolean;
}

/** The candidates with what their parts say (core/composition.ts seeThrough); `comp:claim` names checked. */
async function seeInside(store: Store, { candidates, scope, nested }: { candidates: Candidate[]; scope: string; nested: boolean }, claims: readonly string[],
  lineages: readonly string[], trust: Trust): Promise<Seen> {
  const reqs = splitRequirements(claims).parts;
  // Nothing nested and no record on any component: nothing can taint, and the parts need not be read.
  if (reqs.length === 0 && !nested && !(await hasComponentRecords(store))) return { candidates, taints: new Map(), plain: true };
  const { loadComposition, taintsOf } = await import('../store/composition.js');
  const ids = candidates.map((c) => c.id);
  if (reqs.length === 0) {
    // The common pick: taints alone, from their cache when nothing moved.
    const known = await taintsOf(store, lineages.length === 1 ? lineages[0]! : '_all', lineages, ids, trust);
    return seeThrough(candidates, reqs, () => undefined, { component: () => NOTHING, vfi: () => NOTHING }, known);
  }
  const { parts, claims: lookup } = await loadComposition(store, ids, trust);
  checkRequirementNames(reqs, componentNames(ids, parts.partsOf), scope);
  return seeThrough(candidates, reqs, parts.partsOf, lookup);
}

const NOTHING = Object.freeze({ passing: Object.freeze([]), failing: Object.freeze([]) });

/** The --json form of a picked VFI, with the latest record of each claim that counts read from the store; `candidate`, and why not. */
async function describe(store: Store, c: Candidate, trust: Trust, seen: Seen) {
  const latest = await latestRecordsOf(store, c.id, trust);
  const own = disqualifying(c.failing.filter((f) => !f.includes(':'))).map((claim) => ({ claim }));
  const inside = (seen.taints.get(c.id) ?? []).map((t) => ({ component: t.path, subject: t.part.address, claim: t.claim }));
  return {
    ref: `${c.name}@${c.id}`,
    name: c.name,
    id: c.id,
    score: ownScore(c),
    candidate: own.length + inside.length === 0,
    ...(own.length + inside.length > 0 ? { why: [...own, ...inside] } : {}),
    claims: Object.fromEntries([...latest].map(([claim, r]) => [claim, { result: r.result, at: r.at, by: r.by }])),
  };
}

/** The ranking on stderr: the best candidates, then the most recent VFIs that are not candidates. */
async function explain(ctx: Context, store: Store, trust: Trust, scope: string, total: number, rules: PickRules, result: ReleasePick, seen: Seen): Promise<void> {
  const { ranked, rejected, counts } = result;
  const parts = [plural(total, 'VFI'), plural(counts.qualified, 'candidate')];
  if (counts.disqualified > 0) parts.push(`${counts.disqualified} disqualified`);
  if (counts.unpinned > 0) parts.push(`${counts.unpinned} not pinned`);
  if (counts.missing > 0) parts.push(`${counts.missing} missing a required claim`);
  if (counts.lowScore > 0) parts.push(`${counts.lowScore} below the minimum score`);
  const ruleText = [`minimum score ${rules.minScore}`, rules.allowUnpinned ? 'unpinned images allowed' : 'images pinned by digest'];
  if (rules.require.length > 0) ruleText.unshift(`requiring ${rules.require.join(', ')}`);
  if (rules.policy) ruleText.push(`policy of ${rules.policy.lineage} set ${shownAt(rules.policy.at)} by ${rules.policy.by}`);
  if (trust.active) ruleText.push(`only records signed by trusted keys count (${trust.state.signers.size} signer(s))`);
  ctx.note(`ranking of ${scope} (${ruleText.join('; ')}): ${parts.join(', ')}`);
  const rows: string[][] = [];
  const label = (r: Ranked) => `${r.candidate.name}@${r.candidate.id}`;
  for (const [i, r] of ranked.entries()) rows.push([`#${i + 1}`, label(r), `score ${ownScore(r.candidate)}`, await why(store, trust, r, seen)]);
  if (counts.qualified > ranked.length) rows.push(['…', `${counts.qualified - ranked.length} more candidates`, '', '']);
  for (const r of rejected) rows.push(['-', label(r), `score ${ownScore(r.candidate)}`, await why(store, trust, r, seen)]);
  const notShown = counts.disqualified + counts.missing + counts.unpinned + counts.lowScore - rejected.length;
  if (notShown > 0) rows.push(['…', `${notShown} more that are not candidates`, '', '']);
  const widths = [0, 1, 2].map((col) => Math.max(...rows.map((row) => row[col]!.length)));
  for (const row of rows) ctx.note(`  ${row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd()}`);
}

/** The verdict, and under a trust list the records that did not count and why. */
async function why(store: Store, trust: Trust, r: Ranked, seen: Seen): Promise<string> {
  const verdict = await verdictText(store, trust, r, seen);
  if (!trust.active) return verdict;
  const ignored: string[] = [];
  for (const n of await recordNamesOf(store, r.candidate.id)) {
    const reason = await trust.reason(r.candidate.id.slice(0, 2), n);
    if (reason) ignored.push(`${n.claim} ${n.result} (${reason})`);
  }
  if (ignored.length === 0) return verdict;
  const shown = ignored.slice(0, 4).join(', ');
  return `${verdict}; not counted: ${shown}${ignored.length > 4 ? ` and ${ignored.length - 4} more (vfi assertions shows them)` : ''}`;
}

async function verdictText(store: Store, trust: Trust, r: Ranked, seen: Seen): Promise<string> {
  const v = r.verdict;
  switch (v.kind) {
    case 'picked':
      return 'picked';
    case 'lower-score':
      return `lower score (${ownScore(r.candidate)} < ${ownScore(r.candidate) + v.winnerScore - r.score})`;
    case 'tie-older':
      return `tie on score, lost to the more recently published ${v.winner.slice(0, 12)}`;
    case 'tie-larger-id':
      return `tie on score and time, lost to the smaller id ${v.winner.slice(0, 12)}`;
    case 'missing':
      return `missing required claim${v.claims.length > 1 ? 's' : ''} ${v.claims.join(', ')}`;
    case 'unpinned':
      return 'not pinned: an image is not pinned by digest (vfi resolve pins it; --allow-unpinned allows it)';
    case 'low-score':
      return `below the minimum score ${v.minScore}${r.score === 0 ? ` (no passing claim scores for it${trust.active ? ' from a trusted signer' : ''}; --min-score 0 allows it)` : ''}`;
    case 'disqualified': {
      const inside = seen.taints.get(r.candidate.id);
      if (inside && !v.claims.some((c) => !c.includes(':'))) return `disqualified: ${await insideRecord(store, inside, trust)}`;
      // The most recent failure is the telling one; the index keeps only which claims fail.
      const latest = await latestRecordsOf(store, r.candidate.id, trust);
      const failed = v.claims.map((c) => latest.get(c)!).filter(Boolean).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
      const record = failed[0];
      const more = v.claims.length > 1 ? ` (and ${v.claims.length - 1} more failing claim${v.claims.length > 2 ? 's' : ''})` : '';
      return record ? `disqualified: ${record.claim} failed at ${shownAt(record.at)} by ${record.by}${more}` : `disqualified: ${v.claims.join(', ')} failed`;
    }
  }
}

/** The first failing part of a tainted VFI, with its record: `runtime/router (…@sha256:…) tests-passed failed at T by X, record R`. */
async function insideRecord(store: Store, taints: readonly Taint[], trust: Trust): Promise<string> {
  const t = taints[0]!;
  const latest = await latestRecordsOf(store, t.part.key, trust, t.part.kind === 'vfi' ? undefined : COMPONENTS_DIR);
  const r = latest.get(t.claim);
  const more = taints.length > 1 ? ` (and ${taints.length - 1} more failing inside)` : '';
  return `${t.path} (${t.part.address}) ${t.claim} failed${r ? ` at ${shownAt(r.at)} by ${r.by}, record ${r.record.slice(0, 12)}` : ''}${more}`;
}
