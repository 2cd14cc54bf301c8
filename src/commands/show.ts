/** `vfi show REF`: the canonical bytes, exactly as stored, hash verified on read; `--expand` inlines nested VFIs. */
import type { Context } from '../context.js';
import { parseVfiRef } from '../core/vfiRef.js';

export async function show(ctx: Context, ref: string, opts: { expand?: boolean } = {}): Promise<void> {
  const parsed = parseVfiRef(ref);
  const store = ctx.store({ create: false });
  const { id } = await store.resolve(parsed);
  const stored = await store.readVfi(id);
  if (!opts.expand) {
    ctx.outBytes(stored.bytes);
    return;
  }
  // Loaded only here: the plain path stays as cheap as it was.
  const { expanded } = await import('../store/composition.js');
  const { text, notes } = await expanded(store, stored);
  for (const n of notes) ctx.note(`vfi: ${n}`);
  ctx.outBytes(Buffer.from(text, 'utf8'));
}
