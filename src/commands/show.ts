/** `vfi show REF`: the canonical bytes, exactly as stored, hash verified on read; `--expand` inlines nested VFIs. */
import type { Context } from '../context.js';
import { parseVfiRef } from '../core/vfiRef.js';

export async function show(ctx: Context, ref: string, opts: { json?: boolean; expand?: boolean } = {}): Promise<void> {
  const parsed = parseVfiRef(ref);
  const store = ctx.store({ create: false });
  const { id, name } = await store.resolve(parsed);
  const stored = await store.readVfi(id);
  if (!opts.expand && !opts.json) return ctx.outBytes(stored.bytes);
  if (!opts.expand) {
    const { printResult } = await import('./table.js');
    return printResult(ctx.out, { ...(name ? { ref: `${name}@${id}`, name } : {}), id, vfi: stored.vfi });
  }
  // Loaded only here: the plain path stays as cheap as it was.
  const { expanded } = await import('../store/composition.js');
  const { text, notes } = await expanded(store, stored);
  for (const n of notes) ctx.note(`vfi: ${n}`);
  if (!opts.json) return ctx.outBytes(Buffer.from(text, 'utf8'));
  const { printResult } = await import('./table.js');
  printResult(ctx.out, { ...(name ? { ref: `${name}@${id}`, name } : {}), id, vfi: JSON.parse(text) });
}
