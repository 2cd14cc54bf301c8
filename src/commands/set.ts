/** `vfi set` and `vfi rm`: a new VFI from the head (or --from REF, or --from-best), published. */
import type { Context } from '../context.js';
import { formatVfiRef } from '../core/vfiRef.js';
import { publishRm, publishSet, type FromOption, type SetOptions } from '../app/set.js';
import { printResult, publicationJson } from './table.js';

export async function set(ctx: Context, name: string, args: string[], opts: SetOptions): Promise<void> {
  printPublication(ctx, name, await publishSet(ctx, name, args, opts), opts);
}

export async function rm(ctx: Context, name: string, components: string[], opts: FromOption): Promise<void> {
  printPublication(ctx, name, await publishRm(ctx, name, components, opts), opts);
}

function printPublication(ctx: Context, name: string, pub: { name: string; id: string; commit: string; unchanged: boolean }, opts: { json?: boolean }): void {
  if (opts.json) printResult(ctx.out, publicationJson(pub));
  else ctx.out(formatVfiRef(name, pub.id));
}
