/** `vfi notes FROM TO` and `vfi notes --since DATE NAME`: release notes for people. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { notesMarkdown, releasesMarkdown } from '../core/notes.js';
import { checkRepos, notesFromTo, notesSince, type NotesOptions } from '../app/notes.js';
import { printJson } from './table.js';

export async function notes(ctx: Context, from: string | undefined, to: string | undefined, opts: NotesOptions): Promise<void> {
  checkRepos(opts.repos);
  if (opts.since !== undefined) {
    const sections = await notesSince(ctx, from, to, opts);
    if (opts.format === 'json') printJson(ctx.out, sections.map((s) => ({ release: { ref: `${s.release.name}@${s.release.id}`, ...s.release }, notes: s.notes })));
    else ctx.outBytes(Buffer.from(releasesMarkdown(from!, opts.since, sections), 'utf8'));
    return;
  }
  if (from === undefined || to === undefined) {
    throw new VfiError('USAGE', 'expected FROM and TO (or --since DATE NAME)', {}, 'vfi notes Runtime~1 Runtime');
  }
  const n = await notesFromTo(ctx, from, to, opts.repos);
  if (opts.format === 'json') printJson(ctx.out, n);
  else ctx.outBytes(Buffer.from(notesMarkdown(n), 'utf8'));
}
