/** `vfi show REF`: the canonical bytes, exactly as stored, hash verified on read. */
import type { Context } from '../context.js';
import { parseVfiRef } from '../core/vfiRef.js';

export async function show(ctx: Context, ref: string, opts: { json?: boolean } = {}): Promise<void> {
  const parsed = parseVfiRef(ref);
  const store = ctx.store({ create: false });
  const { id, name } = await store.resolve(parsed);
  const stored = await store.readVfi(id);
  if (!opts.json) return ctx.outBytes(stored.bytes);
  const { printResult } = await import('./table.js');
  printResult(ctx.out, { ...(name ? { ref: `${name}@${id}`, name } : {}), id, vfi: stored.vfi });
}
