/** Release notes for people: what changed between two VFIs, their assertions, and the commits between (`vfi notes`). */
import * as fs from 'node:fs';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { flattenVfi } from '../core/export/deployables.js';
import { checkName } from '../core/names.js';
import { buildNotes, commitRanges, type ReleaseNotes, type ReleaseSection } from '../core/notes.js';
import { parseAt } from '../core/assertion.js';
import { parseSince, releaseHistory, wasReleased } from '../core/releases.js';
import { diffVfis, type Vfi } from '../core/vfi.js';
import { readRecordsOf, readRecordsOfCandidates } from '../store/assertions.js';
import type { Store } from '../store/store.js';
import { readVfiTree } from '../store/vfiTree.js';
import { readCommitLogs } from '../git/commitLog.js';

export interface NotesOptions {
  format?: 'markdown' | 'json';
  repos?: string;
  since?: string;
}

/** A mistyped --repos would otherwise read as "no clone of X" under every component: say it once. */
export function checkRepos(repos: string | undefined): void {
  if (repos !== undefined && !fs.statSync(repos, { throwIfNoEntry: false })?.isDirectory()) {
    throw new VfiError('USAGE', `--repos ${repos}: not a directory`, { repos }, 'give the directory your clones are in');
  }
}

/** The notes from FROM to TO. */
export async function notesFromTo(ctx: Context, from: string, to: string, repos: string | undefined): Promise<ReleaseNotes> {
  return notesBetween(ctx.store({ create: false }), from, to, repos);
}

/** Leaf components by path, nested VFIs flattened as exports flatten them. */
async function flatComponents(store: Store, ref: string): Promise<{ label: string; id: string; vfi: Vfi }> {
  const tree = await readVfiTree(store, ref);
  const vfi: Vfi = {};
  for (const d of flattenVfi(tree.vfi, tree.nested)) vfi[d.name] = d.component;
  return { label: `${tree.name}@${tree.id}`, id: tree.id, vfi };
}

async function notesBetween(store: Store, from: string | undefined, to: string, repos: string | undefined): Promise<ReleaseNotes> {
  const b = await flatComponents(store, to);
  const a = from === undefined ? { label: '(nothing: the first release)', vfi: {} } : await flatComponents(store, from);
  const diff = diffVfis(a.vfi, b.vfi);
  return buildNotes(a.label, b.label, diff, await readRecordsOf(store, b.id), readCommitLogs(commitRanges(diff), repos, store.env));
}

/** Every release of NAME since DATE, newest first, each with notes against the release before it. */
export async function notesSince(ctx: Context, name: string | undefined, extra: string | undefined, opts: NotesOptions): Promise<ReleaseSection[]> {
  if (name === undefined || extra !== undefined) throw new VfiError('USAGE', 'with --since, give one lineage NAME', {}, 'vfi notes --since 2026-11-01 Runtime');
  checkName(name);
  const since = parseSince(opts.since!);
  const store = ctx.store({ create: false });
  await store.lineage(name);
  const all = releaseHistory(await readRecordsOfCandidates(store, name, wasReleased)).reverse(); // oldest first
  const sections: ReleaseSection[] = [];
  for (const [i, release] of all.entries()) {
    if (parseAt(release.at)! < since) continue;
    // Released again with no other release between: its section is already there (notes against
    // itself would say nothing changed); before the window, this one stands for it.
    if (i > 0 && all[i - 1]!.id === release.id && parseAt(all[i - 1]!.at)! >= since) continue;
    // A rollback (A, B, A again) is noted against B: what the customer gets back.
    const previous = all.slice(0, i).reverse().find((r) => r.id !== release.id);
    sections.push({ release, notes: await notesBetween(store, previous && `${previous.name}@${previous.id}`, `${release.name}@${release.id}`, opts.repos) });
  }
  return sections.reverse(); // newest first, as `vfi releases` lists them
}
