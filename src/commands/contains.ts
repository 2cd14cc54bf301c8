/**
 * `vfi contains SUBJECT`: every published VFI that contains an image digest, a git commit or a
 * VFI, directly or through nested VFIs ("a CVE was found in this image: which releases shipped
 * it?"), newest publication first within each lineage.
 */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { RELEASED } from '../core/assertion.js';
import { containers, walk } from '../core/composition.js';
import { formatComponentSubject, parseSubject } from '../core/subject.js';
import { AssertionIndex, PickIndex } from '../store/assertionIndex.js';
import { PartsIndex } from '../store/composition.js';
import { formatTable, printJson } from './table.js';

export async function contains(ctx: Context, text: string, opts: { json?: boolean }): Promise<void> {
  const subject = parseSubject(text);
  const store = ctx.store({ create: false });
  const key = subject.kind === 'component' ? subject.component.digest : (await store.resolve(subject.ref)).id;
  const label = subject.kind === 'component' ? formatComponentSubject(subject.component) : key;
  // Every published VFI, with the lineages it was published on, in publication order.
  const picks = new PickIndex(store);
  const published = new Map<string, { names: string[]; order: number }>();
  const lineages = store.lineageNames();
  for (const name of lineages) {
    const ids = await picks.publishedIds(name);
    for (let i = 0, n = ids.length / 40; i < n; i++) {
      const id = ids.slice(i * 40, i * 40 + 40);
      const p = published.get(id);
      if (p) p.names.push(name);
      else published.set(id, { names: [name], order: i });
    }
  }
  const parts = new PartsIndex(store);
  await parts.ensure(published.keys());
  parts.save();
  const directlyIn = new Map<string, string[]>();
  for (const [id, list] of parts.entries()) {
    for (const p of list) {
      if (!p.key) continue;
      const l = directlyIn.get(p.key);
      if (l) l.push(id);
      else directlyIn.set(p.key, [id]);
    }
  }
  const found = [...containers([key], (k) => directlyIn.get(k) ?? [])].filter((id) => published.has(id));
  const view = await new AssertionIndex(store).load();
  const rows = found
    .map((id) => ({
      id,
      lineages: published.get(id)!.names,
      order: published.get(id)!.order,
      released: view.claims(id).passing.includes(RELEASED),
      paths: walk(id, parts.partsOf).reached.filter((r) => r.part.key === key).map((r) => r.path),
    }))
    .sort((a, b) => (a.lineages[0]! < b.lineages[0]! ? -1 : a.lineages[0]! > b.lineages[0]! ? 1 : b.order - a.order));
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
