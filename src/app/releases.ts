/** The release history of a lineage (or the store): `vfi releases`, and the releases `vfi notes --since` writes about. */
import type { Context } from '../context.js';
import { RELEASED } from '../core/assertion.js';
import { checkName } from '../core/names.js';
import { parseSince, releaseHistory, type Release } from '../core/releases.js';
import { loadCandidates, readRecordsOf } from '../store/assertions.js';
import type { Store } from '../store/store.js';

/** Every release of NAME (or of the store) at or after `since`, newest first. */
export async function loadReleases(store: Store, name: string | undefined, since?: number): Promise<Release[]> {
  const { candidates } = await loadCandidates(store, name);
  const released = candidates.filter((c) => c.passing.includes(RELEASED) || c.failing.includes(RELEASED));
  const vfis = [];
  for (const c of released) vfis.push({ id: c.id, name: c.name, records: await readRecordsOf(store, c.id) });
  return releaseHistory(vfis, since);
}

/** `vfi releases [NAME] [--since DATE]`: NAME checked (an unknown lineage is NOT_FOUND, not an empty history). */
export async function releasesOf(ctx: Context, name: string | undefined, sinceDate: string | undefined): Promise<Release[]> {
  if (name !== undefined) checkName(name);
  const since = sinceDate === undefined ? undefined : parseSince(sinceDate);
  const store = ctx.store({ create: false });
  if (name !== undefined) await store.lineage(name);
  return loadReleases(store, name, since);
}
