/** `vfi export REF --format F [--out FILE]`: a VFI as the file a deploy tool reads. */
import type { Context } from '../context.js';
import { exportFile, type ExportOptions } from '../app/export.js';

export async function exportVfi(ctx: Context, ref: string, given: ExportOptions): Promise<void> {
  // `--out -` is stdout, as `-` is stdin for vfi add: not a file named "-".
  const opts = given.out === '-' ? { ...given, out: undefined } : given;
  const done = await exportFile(ctx, ref, opts);
  if ('text' in done) ctx.outBytes(Buffer.from(done.text, 'utf8'));
  else ctx.note(`vfi: wrote ${done.wrote}`);
}
