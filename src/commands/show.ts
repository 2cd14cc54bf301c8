/** `vfi show REF`: the canonical bytes, exactly as stored, hash verified on read. */
import type { Context } from '../context.js';
import { parseVfiRef } from '../core/vfiRef.js';

export async function show(ctx: Context, ref: string): Promise<void> {
  const parsed = parseVfiRef(ref);
  const store = ctx.store({ create: false });
  const { id } = await store.resolve(parsed);
  ctx.outBytes((await store.readVfi(id)).bytes);
}
