/** `vfi assert` (alias `bless`), `vfi assert --batch` and `vfi release`. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { formatRecordLine, RELEASED, type AssertionRecord } from '../core/assertion.js';
import { recordBatch, recordClaims, recordWithRef, request, type RecordOptions } from '../app/assert.js';
import { printResult, printResultStream } from './table.js';

interface AssertOptions extends RecordOptions {
  fail?: boolean;
  batch?: string;
}

export async function assert(ctx: Context, ref: string | undefined, claims: string[], opts: AssertOptions): Promise<void> {
  if (opts.batch !== undefined) {
    if (ref !== undefined || opts.fail || opts.note !== undefined || opts.evidence !== undefined || opts.by !== undefined) {
      throw new VfiError('USAGE', '--batch takes no REF, CLAIM, --fail, --note, --evidence or --by: each line says them', {});
    }
    const batch = await recordBatch(ctx, opts.batch, opts);
    if (opts.json) await printResultStream(ctx.out, 'records', batch.records(), recordWithRef);
    else ctx.out(String(batch.count));
    return;
  }
  if (ref === undefined || claims.length === 0) {
    throw new VfiError('USAGE', 'expected REF and at least one CLAIM (or --batch FILE)', {}, 'vfi assert Runtime@b383463 tests-passed');
  }
  const requests = [...new Set(claims)].map((claim) => request(ref, claim, opts.fail ? 'fail' : 'pass', opts));
  printRecords(ctx, await recordClaims(ctx, requests, opts), opts);
}

export async function release(ctx: Context, ref: string, opts: RecordOptions): Promise<void> {
  printRecords(ctx, await recordClaims(ctx, [request(ref, RELEASED, 'pass', opts)], opts), opts);
}

function printRecords(ctx: Context, records: readonly AssertionRecord[], opts: { json?: boolean }): void {
  if (opts.json) printResult(ctx.out, { records: records.map(recordWithRef) });
  else for (const r of records) ctx.out(formatRecordLine(r));
}
