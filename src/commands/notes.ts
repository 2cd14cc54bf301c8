/** `vfi notes FROM TO` and `vfi notes --since DATE NAME`: release notes for people. */
import * as fs from 'node:fs';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { flattenVfi } from '../core/export/deployables.js';
import { checkName } from '../core/names.js';
import { buildNotes, commitRanges, notesMarkdown, type ReleaseNotes } from '../core/notes.js';
import { parseAt, shownAt } from '../core/assertion.js';
import { parseSince, type Release } from '../core/releases.js';
import { diffVfis, type Vfi } from '../core/vfi.js';
import { readRecordsOf } from '../store/assertions.js';
import type { Store } from '../store/store.js';
import { readVfiTree } from '../store/vfiTree.js';
import { readCommitLogs } from '../git/commitLog.js';
import { loadReleases } from './releases.js';
import { printJson } from './table.js';

interface NotesOptions {
  format?: 'markdown' | 'json';
  repos?: string;
  since?: string;
}

export async function notes(ctx: Context, from: string | undefined, to: string | undefined, opts: NotesOptions): Promise<void> {
  // A mistyped --repos would otherwise read as "no clone of X" under every component: say it once.
  if (opts.repos !== undefined && !fs.statSync(opts.repos, { throwIfNoEntry: false })?.isDirectory()) {
    throw new VfiError('USAGE', `--repos ${opts.repos}: not a directory`, { repos: opts.repos }, 'give the directory your clones are in');
  }
  if (opts.since !== undefined) return monthly(ctx, from, to, opts);
  if (from === undefined || to === undefined) {
    throw new VfiError('USAGE', 'expected FROM and TO (or --since DATE NAME)', {}, 'vfi notes Runtime~1 Runtime');
  }
  const store = ctx.store({ create: false });
  const n = await notesBetween(store, from, to, opts.repos);
  if (opts.format === 'json') printJson(ctx.out, n);
  else ctx.outBytes(Buffer.from(notesMarkdown(n), 'utf8'));
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
  return buildNotes(a.label, b.label, diff, await readRecordsOf(store, b.id), readCommitLogs(commitRanges(diff), repos));
}

/** Every release of NAME since DATE, oldest first, each with notes against the release before it. */
async function monthly(ctx: Context, name: string | undefined, extra: string | undefined, opts: NotesOptions): Promise<void> {
  if (name === undefined || extra !== undefined) throw new VfiError('USAGE', 'with --since, give one lineage NAME', {}, 'vfi notes --since 2026-11-01 Runtime');
  checkName(name);
  const since = parseSince(opts.since!);
  const store = ctx.store({ create: false });
  await store.lineage(name);
  const all = (await loadReleases(store, name)).reverse(); // oldest first
  const sections: { release: Release; notes: ReleaseNotes }[] = [];
  for (const [i, release] of all.entries()) {
    if (parseAt(release.at)! < since) continue;
    // Released again with no other release between: its section is already there (notes against
    // itself would say nothing changed); before the window, this one stands for it.
    if (i > 0 && all[i - 1]!.id === release.id && parseAt(all[i - 1]!.at)! >= since) continue;
    // A rollback (A, B, A again) is noted against B: what the customer gets back.
    const previous = all.slice(0, i).reverse().find((r) => r.id !== release.id);
    sections.push({ release, notes: await notesBetween(store, previous && `${previous.name}@${previous.id}`, `${release.name}@${release.id}`, opts.repos) });
  }
  sections.reverse(); // newest first, as `vfi releases` lists them
  if (opts.format === 'json') {
    printJson(ctx.out, sections.map((s) => ({ release: { ref: `${s.release.name}@${s.release.id}`, ...s.release }, notes: s.notes })));
    return;
  }
  const lines = [`# ${name}: releases since ${opts.since}`, ''];
  if (sections.length === 0) lines.push('No releases.', '');
  for (const s of sections) {
    const r = s.release;
    const status = r.withdrawn ? ' (withdrawn)' : r.candidate ? '' : ` (no longer a candidate: ${r.failingNow.join(', ')} failing)`;
    lines.push(notesMarkdown(s.notes, 2, `Released ${shownAt(r.at)} by ${r.by}${r.note ? `: ${r.note}` : ''}${status}.`));
  }
  ctx.outBytes(Buffer.from(`${lines.join('\n').trimEnd()}\n`, 'utf8'));
}
