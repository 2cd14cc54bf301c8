/**
 * `vfi contains SUBJECT`: every published VFI that contains an image digest, a git commit or a
 * VFI, directly or through nested VFIs ("a CVE was found in this image: which releases shipped
 * it?"), newest publication first within each lineage.
 */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { RELEASED } from '../core/assertion.js';
import { formatComponentSubject, parseSubject } from '../core/subject.js';
import { AssertionIndex } from '../store/assertionIndex.js';
import { ContainsIndex } from '../store/containsIndex.js';
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
  const view = found.length > 0 ? await new AssertionIndex(store).load() : undefined;
  const rows = found.map((f) => ({ id: f.id, paths: f.paths, lineages: f.published.map((p) => p.lineage), order: f.published[0]!.order, released: view!.claims(f.id).passing.includes(RELEASED) }));
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
