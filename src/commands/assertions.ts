/** `vfi assertions REF`: a VFI's (or a component's) records, oldest first, and its current score. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { RELEASED, shownAt } from '../core/assertion.js';
import { disqualifying, isEvidence } from '../core/pick.js';
import { readAssertions, type AssertionsView } from '../app/assertions.js';
import { reportDamage } from './damage.js';
import { formatTable, printResult } from './table.js';

type Options = { json?: boolean; format?: string; headers?: boolean };

export async function assertions(ctx: Context, ref: string, opts: Options): Promise<void> {
  if (opts.json && opts.format !== undefined && opts.format !== 'json') {
    throw new VfiError('USAGE', `--json and --format ${opts.format} ask for different outputs`, { format: opts.format }, 'give one of them');
  }
  const damaged: VfiError[] = [];
  const view = await readAssertions(ctx, ref, opts.json ? 'json' : (opts.format ?? 'text') as 'text' | 'json' | 'intoto', damaged);
  if (view.format === 'intoto') for (const line of view.lines) ctx.out(line);
  else if (view.format === 'json') printResult(ctx.out, view.json);
  else printText(ctx, view, opts);
  // The records that read are shown; a damaged one is said (one line each) and the store is damaged.
  reportDamage(ctx, damaged);
}

function printText(ctx: Context, { display, records, untrusted, signerOf, inside, insideFailing, standing, byRecord }: Extract<AssertionsView, { format: 'text' }>, opts: Options): void {
  if (records.length === 0) ctx.note(`vfi: no assertions about ${display}`);
  else {
    // Why a record does not count goes in SIGNED, which is never cut (each reason names the signer or key):
    // at the head of the notes it was cut to `UNTRUSTED: si…` to fit a note or an evidence URL.
    const rows = records.map((r) => [shownAt(r.at), r.claim, r.result, r.by,
      untrusted.has(r.record) ? `UNTRUSTED: ${untrusted.get(r.record)}` : signerOf.get(r.record) ?? '-',
      [r.note, r.evidence].filter(Boolean).join(', ')]);
    for (const line of formatTable(rows, { header: ['AT', 'CLAIM', 'RESULT', 'BY', 'SIGNED', 'NOTE, EVIDENCE'], headers: opts.headers, shrink: [5] })) ctx.out(line);
  }
  if (inside.length > 0) {
    // What is inside, by its current (latest) results: a part's records are its own, whatever VFI holds it.
    const rows = inside.flatMap((p) => [...p.latest.values()].map((r) => [p.path, p.part.address, r.claim, r.result, shownAt(r.at), r.by]));
    for (const line of formatTable([['INSIDE', 'SUBJECT', 'CLAIM', 'RESULT', 'AT', 'BY'], ...rows])) ctx.out(line);
  }
  const scored = standing.passing.filter(isEvidence);
  const parts = [`score ${scored.length}${scored.length ? `: ${scored.join(', ')}` : ''}`];
  for (const f of disqualifying(standing.failing)) {
    const r = byRecord.get(f.record)!;
    parts.push(`not a candidate: ${r.claim} failed at ${shownAt(r.at)} by ${r.by}`);
  }
  for (const { path: at, r } of insideFailing) parts.push(`not a candidate: ${at} ${r.claim} failed at ${shownAt(r.at)} by ${r.by}`);
  // A decision, shown apart from the evidence it does not add to.
  const released = standing.passing.includes(RELEASED) ? 'pass' : standing.failing.some((f) => f.claim === RELEASED) ? 'fail' : undefined;
  if (released) parts.push(`${RELEASED} ${released} (not scored)`);
  ctx.out(parts.join('; '));
}
