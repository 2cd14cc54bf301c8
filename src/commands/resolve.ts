/** `vfi resolve REF` and `vfi verify REF`: pin image tags to digests through the Docker engine (SPEC §4). */
import type { Context } from '../context.js';
import { componentJson } from '../core/pins.js';
import { resolveVfi, verifyVfi, type ResolveOptions, type VerifyOptions } from '../app/resolve.js';
import { formatTable, printJson } from './table.js';

export async function resolve(ctx: Context, ref: string, opts: ResolveOptions): Promise<void> {
  const resolved = await resolveVfi(ctx, ref, opts);
  if (!resolved.ok) {
    const { error, ...json } = resolved;
    if (opts.json) printJson(ctx.out, json);
    throw error;
  }
  if (opts.json) printJson(ctx.out, resolved);
  else ctx.out(resolved.ref);
}

export async function verify(ctx: Context, ref: string, opts: VerifyOptions): Promise<void> {
  const { ref: label, results, unpinned, unpinnedFails, failure } = await verifyVfi(ctx, ref, opts);
  if (opts.json) {
    const code = failure?.code;
    printJson(ctx.out, { ok: !code, ...(code ? { code } : {}), ref: label, unpinned: unpinned.length, unpinnedComponents: unpinned.map((u) => u.component), components: results.map(componentJson) });
  } else if (results.length + unpinned.length > 0) {
    const rows = results.map((r) => [r.ok ? 'ok' : r.status === 'missing' ? 'MISSING' : 'ERROR', r.component, r.address, r.ok ? `${r.where}` : r.error!.message]);
    for (const u of unpinned) rows.push([unpinnedFails ? 'UNPINNED' : 'unpinned', u.component, u.address, 'not pinned by digest']);
    for (const line of formatTable(rows, { header: ['STATUS', 'COMPONENT', 'IMAGE', 'WHERE OR ERROR'], headers: opts.headers, shrink: [3] })) ctx.out(line);
  }
  if (failure) throw failure;
}
