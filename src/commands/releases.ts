/** `vfi releases [NAME] [--since DATE] [--json]`: the release history, newest first. */
import type { Context } from '../context.js';
import { shownAt } from '../core/assertion.js';
import { checkName } from '../core/names.js';
import { parseSince, releaseHistory, wasReleased, type Release } from '../core/releases.js';
import { readRecordsOfCandidates } from '../store/assertions.js';
import { formatTable, printJson } from './table.js';

export async function releases(ctx: Context, name: string | undefined, opts: { since?: string; json?: boolean }): Promise<void> {
  if (name !== undefined) checkName(name);
  const since = opts.since === undefined ? undefined : parseSince(opts.since);
  const store = ctx.store({ create: false });
  if (name !== undefined) await store.lineage(name); // an unknown lineage is NOT_FOUND, not an empty history
  const rows = releaseHistory(await readRecordsOfCandidates(store, name, wasReleased), since);
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
