/**
 * `vfi contains SUBJECT`: every published VFI that contains an image digest, a git commit or a
 * VFI, directly or through nested VFIs ("a CVE was found in this image: which releases shipped
 * it?"), newest publication first within each lineage.
 */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { RELEASED } from '../core/assertion.js';
import { claimsOf, standingOf } from '../core/pick.js';
import { recordNamesOf } from '../store/assertions.js';
import { formatComponentSubject, parseSubject } from '../core/subject.js';
import { AssertionIndex, PickIndex, type LineageStandings } from '../store/assertionIndex.js';
import { ContainsIndex, type Publication } from '../store/containsIndex.js';
import type { Store } from '../store/store.js';
import { formatTable, printJson } from './table.js';

export async function contains(ctx: Context, text: string, opts: { json?: boolean }): Promise<void> {
  const subject = parseSubject(text);
  const store = ctx.store({ create: false });
  let key: string;
  let label: string;
  if (subject.kind === 'component') {
    key = subject.component.digest;
    label = formatComponentSubject(subject.component);
  } else {
    const r = await store.resolve(subject.ref);
    key = r.id;
    label = `${r.name ?? r.names[0]}@${r.id}`;
  }
  const found = await new ContainsIndex(store).lookup(key);
  const released = await releasedLookup(store, found.length);
  const rows = [];
  for (const f of found) {
    const first = f.published[0]!;
    rows.push({ id: f.id, paths: f.paths, lineages: f.published.map((p) => p.lineage), order: first.order, released: await released(f.id, first) });
  }
  // by lineage, newest publication first
  rows.sort((a, b) => (a.lineages[0] === b.lineages[0] ? b.order - a.order : a.lineages[0]! < b.lineages[0]! ? -1 : 1));
  if (opts.json) {
    printJson(ctx.out, rows.map((r) => ({ ref: `${r.lineages[0]}@${r.id}`, id: r.id, lineages: r.lineages, released: r.released, paths: r.paths })));
  } else {
    for (const line of formatTable(rows.map((r) => [`${r.lineages[0]}@${r.id}`, r.paths.join(', '), r.released ? RELEASED : '-']))) ctx.out(line);
  }
  if (rows.length === 0) {
    throw new VfiError('NOT_FOUND', `no VFI contains ${label}`, { subject: label });
  }
  ctx.note(`vfi: ${rows.length} VFI(s) contain ${label}, ${rows.filter((r) => r.released).length} of them released`);
}

/**
 * Whether a VFI was released: for a few, from their own records; for many, from their lineage's
 * pick cache by their place in the lineage (one file per lineage, no table of every VFI built),
 * else from the standings of every VFI. Either way the work is that of the answer.
 */
async function releasedLookup(store: Store, count: number): Promise<(id: string, p: Publication) => Promise<boolean>> {
  if (count <= FEW) return async (id) => claimsOf(standingOf(await recordNamesOf(store, id))).passing.includes(RELEASED);
  const picks = new PickIndex(store);
  const lineages = new Map<string, LineageStandings>();
  let view: Awaited<ReturnType<AssertionIndex['load']>> | undefined;
  return async (id, p) => {
    let l = lineages.get(p.lineage);
    if (!l) lineages.set(p.lineage, (l = await picks.load(p.lineage)));
    if (l.ids.startsWith(id, p.order * 40)) return l.standings[l.s[p.order]!]!.passing.includes(RELEASED);
    view ??= await new AssertionIndex(store).load();
    return view.claims(id).passing.includes(RELEASED);
  };
}

/** Up to this many VFIs, their own records are read rather than a lineage's whole pick cache. */
const FEW = 32;
