/**
 * `vfi pick [NAME]` and `vfi find --has CLAIM… [NAME]`. Without NAME both look across every
 * lineage of the store (with one lineage that is the same thing) and print `NAME@<id>` with the
 * lineage of the VFI's latest publication. `--explain` writes the ranking to stderr, so that
 * `rc=$(vfi pick --explain)` still captures just the reference.
 */
import type { Context } from '../context.js';
import type { VfiError } from '../errors.js';
import { findRelease, pickRelease, type Answer, type FindOptions, type PickOptions } from '../app/pick.js';
import { printJson } from './table.js';
import { reportDamage } from './damage.js';

export async function pick(ctx: Context, name: string | undefined, opts: PickOptions): Promise<void> {
  const answer = await pickRelease(ctx, name, opts);
  if (!answer.found) throw nothingFound(ctx, opts, answer);
  if (opts.json) printJson(ctx.out, opts.top === undefined ? { ok: true, ...answer.rows[0]! } : answer.rows);
  else for (const c of answer.chosen) ctx.out(`${c.name}@${c.id}`);
  reportDamage(ctx, answer.damaged);
}

export async function find(ctx: Context, name: string | undefined, opts: FindOptions): Promise<void> {
  const answer = await findRelease(ctx, name, opts);
  if (!answer.found) throw nothingFound(ctx, opts, answer);
  if (opts.json) printJson(ctx.out, { ok: true, ...answer.rows[0]! });
  else ctx.out(`${answer.chosen[0]!.name}@${answer.chosen[0]!.id}`);
  reportDamage(ctx, answer.damaged);
}

/**
 * With --json, finding nothing is still an answer on stdout, as `resolve --json` and `verify
 * --json` give one, so that `vfi pick --json | jq -e .ok` reads it: `{"ok": false, "code",
 * "reason"}`, or `[]` with --top (the best N of none). The error then exits 3 as without --json.
 */
function nothingFound(ctx: Context, opts: { json?: boolean; top?: number }, { error, damaged }: Extract<Answer, { found: false }>): VfiError {
  for (const e of damaged) ctx.note(`vfi: ${e.message}`);
  if (opts.json) printJson(ctx.out, opts.top === undefined ? { ok: false, code: error.code, reason: error.message } : []);
  return error;
}
