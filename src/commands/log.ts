/** `vfi log NAME` and `vfi list`: a lineage's publications (store/lineageIndex.ts Lineage), newest first. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { reportDamage } from './damage.js';
import { checkName } from '../core/names.js';
import { formatTable, isoTime, printJson } from './table.js';

export async function log(ctx: Context, name: string, opts: { json?: boolean; maxCount?: number; headers?: boolean }): Promise<void> {
  checkName(name);
  const lineage = await ctx.store({ create: false }).lineage(name);
  // Publications only: the merge commits of `vfi pull` re-carry a parent's VFI (git log shows them).
  const newestFirst = lineage.publications().slice(0, opts.maxCount ?? Infinity);
  if (opts.json) {
    printJson(ctx.out, newestFirst.map((e) => ({
      ref: `${name}@${e.id}`,
      id: e.id,
      commit: e.commit,
      at: isoTime(e.time),
      author: e.author,
      message: e.subject,
      parents: e.parents.map((p) => lineage.entries[p]!.commit),
    })));
    return;
  }
  const rows = newestFirst.map((e) => [e.id, isoTime(e.time), e.author, e.subject]);
  for (const line of formatTable(rows, { header: ['ID', 'AT', 'AUTHOR', 'MESSAGE'], headers: opts.headers, shrink: [2, 3] })) ctx.out(line);
}

export async function list(ctx: Context, opts: { json?: boolean; headers?: boolean }): Promise<void> {
  const store = ctx.store({ create: false });
  const rows = [];
  const damaged: VfiError[] = [];
  for (const name of store.lineageNames()) {
    let lineage;
    try {
      lineage = (await store.lineages.load(name))!;
    } catch (e) {
      // One line for a damaged lineage, and the others are listed still.
      if (!(e instanceof VfiError) || e.code !== 'STORE_DAMAGED') throw e;
      damaged.push(e);
      continue;
    }
    const head = lineage.headEntry();
    rows.push({ name, head: head.id, ref: `${name}@${head.id}`, publications: lineage.publications().length, at: isoTime(head.time) });
  }
  if (opts.json) printJson(ctx.out, rows);
  else {
    const table = rows.map((r) => [r.name, r.head, `${r.publications}`, r.at]);
    for (const line of formatTable(table, { header: ['NAME', 'HEAD', 'PUBLICATIONS', 'AT'], headers: opts.headers })) ctx.out(line);
  }
  reportDamage(ctx, damaged);
}
