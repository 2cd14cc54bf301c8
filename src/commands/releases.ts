/** `vfi releases [NAME] [--since DATE] [--json]`: the release history, newest first. */
import type { Context } from '../context.js';
import { RELEASED, shownAt } from '../core/assertion.js';
import { checkName } from '../core/names.js';
import { parseSince, releaseHistory, type Release } from '../core/releases.js';
import { loadCandidates, readRecordsOf } from '../store/assertions.js';
import type { Store } from '../store/store.js';
import { formatTable, printJson } from './table.js';

/** Every release of NAME (or of the store) at or after `since`, newest first. */
export async function loadReleases(store: Store, name: string | undefined, since?: number): Promise<Release[]> {
  const { candidates } = await loadCandidates(store, name);
  const released = candidates.filter((c) => c.passing.includes(RELEASED) || c.failing.includes(RELEASED));
  const vfis = [];
  for (const c of released) vfis.push({ id: c.id, name: c.name, records: await readRecordsOf(store, c.id) });
  return releaseHistory(vfis, since);
}

export async function releases(ctx: Context, name: string | undefined, opts: { since?: string; json?: boolean }): Promise<void> {
  if (name !== undefined) checkName(name);
  const since = opts.since === undefined ? undefined : parseSince(opts.since);
  const store = ctx.store({ create: false });
  if (name !== undefined) await store.lineage(name); // an unknown lineage is NOT_FOUND, not an empty history
  const rows = await loadReleases(store, name, since);
  if (opts.json) {
    printJson(ctx.out, rows.map((r) => ({ ref: `${r.name}@${r.id}`, ...r })));
    return;
  }
  if (rows.length === 0) {
    ctx.note(`vfi: no releases${name ? ` of ${name}` : ''}${opts.since ? ` since ${opts.since}` : ''}`);
    return;
  }
  const table = rows.map((r) => [shownAt(r.at), `${r.name}@${r.id.slice(0, 12)}`, r.by, String(r.scoreThen), String(r.scoreNow), status(r)]);
  for (const line of formatTable([['RELEASED', 'VFI', 'BY', 'THEN', 'NOW', 'CANDIDATE'], ...table])) ctx.out(line);
}

function status(r: Release): string {
  const parts = [r.candidate ? 'yes' : `no${r.failingNow.length ? ` (${r.failingNow.join(', ')} failing)` : ''}`];
  if (r.withdrawn) parts.push('withdrawn');
  return parts.join(', ');
}
