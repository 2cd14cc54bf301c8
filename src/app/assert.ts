/** Recording assertions: `vfi assert`, `vfi assert --batch`, `vfi release`. Every reference is resolved before anything is written. */
import * as path from 'node:path';
import type { Context } from '../context.js';
import { VfiError, withSource } from '../errors.js';
import { batchRequest, checkBy, checkEvidence, checkNote, parseAt, recordJson, shownAt, COMPONENT_REF, type AssertionRecord, type AssertionRequest } from '../core/assertion.js';
import { checkClaim } from '../core/names.js';
import { parseSubject } from '../core/subject.js';
import { plural } from '../core/words.js';
import { appendRecords, assertMessage, draftRecords, SubjectResolver, type Subject } from '../store/assertions.js';
import { recordNow } from '../store/identity.js';
import { recordedAbout } from '../store/assertionIndex.js';

export interface RecordOptions {
  note?: string;
  evidence?: string;
  by?: string;
  json?: boolean;
  sign?: string;
}

/** The key of --sign or $VFI_SIGNING_KEY, read before anything is resolved or written. */
async function keyFor(ctx: Context, option: string | undefined) {
  if (option === undefined && !ctx.env.VFI_SIGNING_KEY) return undefined;
  return (await import('./keys.js')).signingKey(ctx, option);
}


/** One claim about REF (a VFI or a pinned component), its note, evidence and author checked. */
export function request(ref: string, claim: string, result: 'pass' | 'fail', opts: RecordOptions): AssertionRequest {
  const subject = parseSubject(ref);
  const req: AssertionRequest = { ref, vfiRef: subject.kind === 'vfi' ? subject.ref : COMPONENT_REF, ...(subject.kind === 'component' ? { subject } : {}), claim: checkClaim(claim), result };
  if (opts.note !== undefined) req.note = checkNote(opts.note);
  if (opts.evidence !== undefined) req.evidence = checkEvidence(opts.evidence);
  if (opts.by !== undefined) req.by = checkBy(opts.by);
  return req;
}


/** Record the requests (one subject), each passing or failing as it says; the records, as written. */
export async function recordClaims(ctx: Context, requests: AssertionRequest[], opts: { sign?: string }): Promise<AssertionRecord[]> {
  const sign = await keyFor(ctx, opts.sign);
  const clock = recordNow(ctx.env);
  const store = ctx.store({ create: false });
  const subject = requests[0]!.subject?.kind === 'component' ? undefined : await resolveSubject(ctx, new SubjectResolver(store), requests[0]!);
  const drafts = await draftRecords(store, requests.map((request) => ({ request, subject })));
  const { commit, records } = await appendRecords(store, drafts, assertMessage(drafts), { clock, ...(sign ? { sign } : {}) });
  // The next pick then finds its caches current instead of ranking the lineage again.
  if (commit) await recordedAbout(store, commit, drafts.flatMap((d) => (d.component ? [] : [d.vfi])));
  noteDatedAhead(ctx, clock, records);
  return records;
}


/** A record as assert, release and assert --batch print it with --json: its REF, then the record. */
export const recordWithRef = (r: AssertionRecord) => ({ ref: `${r.name}@${r.vfi}`, ...recordJson(r) });

/**
 * Records are dated after every record already about their VFI (store/assertions.ts), so a record
 * from a machine whose clock runs ahead drags the next ones along; when that shows to people (a
 * second or more), say so rather than let `vfi assertions` show a time nobody's clock said.
 */
function noteDatedAhead(ctx: Context, clock: Date, records: readonly AssertionRecord[]): void {
  const reading = clock.getTime() * 1000;
  const ahead = records.filter((r) => parseAt(r.at)! - reading >= 1_000_000);
  if (ahead.length === 0) return;
  const last = ahead.reduce((a, b) => (parseAt(b.at)! > parseAt(a.at)! ? b : a));
  sayDatedAhead(ctx, clock, ahead.length, last.at);
}

function sayDatedAhead(ctx: Context, clock: Date, count: number, last: string): void {
  ctx.note(`vfi: ${count === 1 ? 'dated' : `${count} records dated up to`} ${last}, not at the clock's ${shownAt(clock.toISOString())}: `
    + 'the store already holds a later record about the same VFI, and a record is never dated before one of those');
}

async function resolveSubject(ctx: Context, resolver: SubjectResolver, req: AssertionRequest): Promise<Subject> {
  const subject = await resolver.resolve(req.ref, req.vfiRef);
  if (subject.names.length > 1 && req.vfiRef.kind === 'bare') {
    ctx.note(`vfi: ${subject.id} is published under ${subject.names.join(', ')}; the record names ${subject.name} (write NAME@${req.ref} to choose)`);
  }
  return subject;
}

/**
 * Streamed (store/batch.ts): every line is checked and every reference resolved as it is read;
 * nothing lands unless all of them do. The records are read back one at a time for printing.
 */
export async function recordBatch(ctx: Context, file: string, opts: { sign?: string }): Promise<{ count: number; records(): AsyncIterable<AssertionRecord> }> {
  const sign = await keyFor(ctx, opts.sign);
  const { inputChunks, lines } = await import('../store/lineStream.js');
  const { recordBatch: writeBatch } = await import('../store/batch.js');
  const { parseIJson } = await import('../core/ijson.js');
  const input = inputChunks(file, () => ctx.stdinChunks?.() ?? (async function* () { yield await ctx.readStdin(); })());
  const source = input.source;
  const clock = recordNow(ctx.env);
  const store = ctx.store({ create: false });
  const items = async function* () {
    for await (const { line, bytes } of lines(input.chunks, source)) {
      try {
        yield { line, request: batchRequest(parseIJson(bytes)) };
      } catch (e) {
        throw withSource(e, `${source}:${line}`);
      }
    }
  };
  const { progressBar } = await import('../progress.js');
  const bar = await progressBar(ctx, 'recording assertions', 0);
  const result = await writeBatch(store, items(), {
    clock, source, ...(sign ? { sign } : {}), onProgress: (n) => bar.tick(n),
    message: (n) => `assert --batch: ${n} records\n\nfrom ${label(source)}`,
  });
  bar.stop();
  ctx.note(`vfi: recorded ${plural(result.count, 'assertion')}`);
  if (result.ahead > 0) sayDatedAhead(ctx, clock, result.ahead, result.latestAhead!);
  return result;
}

const label = (source: string): string => (source === '<stdin>' ? '(stdin)' : path.basename(source));
