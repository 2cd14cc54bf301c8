/** `vfi fsck`: verify the whole store; non-zero exit on damage. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { fsckStore } from '../store/fsck.js';
import '../store/assertionFsck.js';
import '../store/trustFsck.js';
import '../store/gitFsck.js';
import '../store/compositionFsck.js';
import { plural, printJson } from './table.js';

export async function fsck(ctx: Context, opts: { json?: boolean }): Promise<void> {
  let report;
  try {
    report = await fsckStore(ctx.store({ create: false }));
  } catch (e) {
    // Damage that stops the walk itself (a pack index that cannot be read) is still fsck's finding, said as one.
    if (!(e instanceof VfiError) || e.code !== 'STORE_DAMAGED') throw e;
    report = { problems: [e.message], warnings: [], counts: {} as Record<string, number> };
  }
  const damaged = report.problems.length > 0;
  if (opts.json) printJson(ctx.out, { ok: !damaged, ...(damaged ? { code: 'STORE_DAMAGED' } : {}), ...report });
  else {
    for (const p of report.problems) ctx.out(`damaged: ${p}`);
    for (const w of report.warnings) ctx.note(`vfi: warning: ${w}`);
    const counts = Object.entries(report.counts).map(([k, v]) => plural(v, k.replace(/s$/, ''), k)).join(', ') || 'the check could not go on';
    ctx.out(`${report.problems.length === 0 ? 'ok' : 'damaged'}: ${counts}`);
  }
  if (report.problems.length > 0) {
    throw new VfiError('STORE_DAMAGED', `store damaged: ${plural(report.problems.length, 'problem')}`, { problems: report.problems.length });
  }
}
