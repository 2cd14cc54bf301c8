/** What a reader found damaged in the store, said once it has shown the rest. */
import type { Context } from '../context.js';
import type { VfiError } from '../errors.js';

/**
 * One line per damaged item (the last one as the command's error), so that a damaged store exits
 * 1 after the command has shown everything it could read.
 */
export function reportDamage(ctx: Context, damaged: readonly VfiError[]): void {
  const last = damaged.at(-1);
  if (!last) return;
  for (const e of damaged.slice(0, -1)) ctx.note(`vfi: ${e.message}`);
  throw last;
}
