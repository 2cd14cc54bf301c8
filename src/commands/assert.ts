/** `vfi assert` (alias `bless`), `vfi assert --batch`, `vfi release` and `vfi assertions`. */
import * as path from 'node:path';
import type { Context } from '../context.js';
import { reportDamage } from './damage.js';
import { VfiError, withSource } from '../errors.js';
import {
  batchRequest,
  checkBy,
  checkEvidence,
  checkNote,
  formatRecordLine,
  parseAt,
  recordJson,
  shownAt,
  RELEASED,
  COMPONENT_REF,
  statementOf,
  type AssertionRecord,
  type AssertionRequest,
} from '../core/assertion.js';
import { checkClaim } from '../core/names.js';
import { disqualifying, isEvidence, scoreOf, standingOf } from '../core/pick.js';
import { formatComponentSubject, parseSubject } from '../core/subject.js';
import { walk, type Part } from '../core/composition.js';
import type { Store } from '../store/store.js';
import {
  appendRecords,
  assertMessage,
  draftRecords,
  COMPONENTS_DIR,
  latestRecordsOf,
  readRecordsOf,
  SubjectResolver,
  type Subject,
} from '../store/assertions.js';
import { recordNow } from '../store/identity.js';
import { formatTable, plural, printResult } from './table.js';

interface RecordOptions {
  note?: string;
  evidence?: string;
  by?: string;
  json?: boolean;
  sign?: string;
}

interface AssertOptions extends RecordOptions {
  fail?: boolean;
  batch?: string;
}

export async function assert(ctx: Context, ref: string | undefined, claims: string[], opts: AssertOptions): Promise<void> {
  if (opts.batch !== undefined) {
    if (ref !== undefined || opts.fail || opts.note !== undefined || opts.evidence !== undefined || opts.by !== undefined) {
      throw new VfiError('USAGE', '--batch takes no REF, CLAIM, --fail, --note, --evidence or --by: each line says them', {});
    }
    return assertBatch(ctx, opts.batch, opts);
  }
  if (ref === undefined || claims.length === 0) {
    throw new VfiError('USAGE', 'expected REF and at least one CLAIM (or --batch FILE)', {}, 'vfi assert Runtime@b383463 tests-passed');
  }
  const requests = [...new Set(claims)].map((claim) => request(ref, claim, opts.fail ? 'fail' : 'pass', opts));
  await recordAndPrint(ctx, requests, opts);
}

export async function release(ctx: Context, ref: string, opts: RecordOptions): Promise<void> {
  await recordAndPrint(ctx, [request(ref, RELEASED, 'pass', opts)], opts);
}

/** The key of --sign or $VFI_SIGNING_KEY, read before anything is resolved or written. */
async function keyFor(ctx: Context, option: string | undefined) {
  if (option === undefined && !ctx.env.VFI_SIGNING_KEY) return undefined;
  return (await import('./trust.js')).signingKey(ctx, option);
}

function request(ref: string, claim: string, result: 'pass' | 'fail', opts: RecordOptions): AssertionRequest {
  const subject = parseSubject(ref);
  const req: AssertionRequest = { ref, vfiRef: subject.kind === 'vfi' ? subject.ref : COMPONENT_REF, ...(subject.kind === 'component' ? { subject } : {}), claim: checkClaim(claim), result };
  if (opts.note !== undefined) req.note = checkNote(opts.note);
  if (opts.evidence !== undefined) req.evidence = checkEvidence(opts.evidence);
  if (opts.by !== undefined) req.by = checkBy(opts.by);
  return req;
}

async function recordAndPrint(ctx: Context, requests: AssertionRequest[], opts: { json?: boolean; sign?: string }): Promise<void> {
  const sign = await keyFor(ctx, opts.sign);
  const clock = recordNow(ctx.env);
  const store = ctx.store({ create: false });
  const subject = requests[0]!.subject?.kind === 'component' ? undefined : await resolveSubject(ctx, new SubjectResolver(store), requests[0]!);
  const drafts = await draftRecords(store, requests.map((request) => ({ request, subject })));
  const { records } = await appendRecords(store, drafts, assertMessage(drafts), { clock, ...(sign ? { sign } : {}) });
  noteDatedAhead(ctx, clock, records);
  if (opts.json) printResult(ctx.out, { records: records.map(recordWithRef) });
  else for (const r of records) ctx.out(formatRecordLine(r));
}

/** A record as assert, release and assert --batch print it with --json: its REF, then the record. */
const recordWithRef = (r: AssertionRecord) => ({ ref: `${r.name}@${r.vfi}`, ...recordJson(r) });

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
 * nothing lands unless all of them do.
 */
async function assertBatch(ctx: Context, file: string, opts: { json?: boolean; sign?: string }): Promise<void> {
  const sign = await keyFor(ctx, opts.sign);
  const { inputChunks, lines } = await import('../store/lineStream.js');
  const { recordBatch } = await import('../store/batch.js');
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
  const result = await recordBatch(store, items(), {
    clock, source, ...(sign ? { sign } : {}), onProgress: (n) => bar.tick(n),
    message: (n) => `assert --batch: ${n} records\n\nfrom ${label(source)}`,
  });
  bar.stop();
  if (opts.json) {
    // As printResult would print { records }, one record at a time.
    ctx.out('{\n  "ok": true,\n  "records": [');
    let first = true;
    for await (const r of result.records()) {
      ctx.out(`${first ? '' : ',\n'}${JSON.stringify(recordWithRef(r), null, 2).replace(/^/gm, '    ')}`.replace(/\n$/, ''));
      first = false;
    }
    ctx.out('  ]\n}');
  } else ctx.out(String(result.count));
  ctx.note(`vfi: recorded ${plural(result.count, 'assertion')}`);
  if (result.ahead > 0) sayDatedAhead(ctx, clock, result.ahead, result.latestAhead!);
}

const label = (source: string): string => (source === '<stdin>' ? '(stdin)' : path.basename(source));

export async function assertions(ctx: Context, ref: string, opts: { json?: boolean; format?: string; headers?: boolean }): Promise<void> {
  const damaged: VfiError[] = [];
  await showAssertions(ctx, ref, opts, damaged);
  // The records that read are shown; a damaged one is said (one line each) and the store is damaged.
  reportDamage(ctx, damaged);
}

async function showAssertions(ctx: Context, ref: string, opts: { json?: boolean; format?: string; headers?: boolean }, damaged: VfiError[]): Promise<void> {
  if (opts.json && opts.format !== undefined && opts.format !== 'json') {
    throw new VfiError('USAGE', `--json and --format ${opts.format} ask for different outputs`, { format: opts.format }, 'give one of them');
  }
  const format = opts.json ? 'json' : (opts.format ?? 'text');
  const parsed = parseSubject(ref);
  const store = ctx.store({ create: false });
  const component = parsed.kind === 'component' ? parsed.component : undefined;
  const subject = parsed.kind === 'component' ? { id: parsed.component.digest, name: parsed.component.name } : await new SubjectResolver(store).resolve(ref, parsed.ref);
  const records = await readRecordsOf(store, subject.id, component ? COMPONENTS_DIR : undefined, (e) => damaged.push(e));
  if (format === 'intoto') {
    for (const line of intotoLines(records)) ctx.out(line);
    return;
  }
  const { loadTrust } = await import('../store/trust.js');
  const trust = await loadTrust(store);
  const untrusted = new Map<string, string>();
  const signerOf = new Map<string, string>();
  for (const r of records) {
    const name = { claim: r.claim, result: r.result, at: parseAt(r.at)!, record: r.record, ...(r.signed ? { signed: true as const } : {}) };
    const reason = await trust.reason(subject.id.slice(0, 2), name);
    if (reason) untrusted.set(r.record, reason);
    if (r.signed) {
      const s = [...trust.state.signers.values()].find((t) => t.keyid === r.signed!.keyid);
      signerOf.set(r.record, s ? s.signer : `key ${r.signed.keyid.slice(0, 12)}`);
    }
  }
  trust.flush();
  const counted = records.filter((r) => !untrusted.has(r.record));
  const standing = standingOf(counted.map((r) => ({ claim: r.claim, result: r.result, at: parseAt(r.at)!, record: r.record })));
  const byRecord = new Map(records.map((r) => [r.record, r]));
  const display = component ? formatComponentSubject(component) : `${subject.name}@${subject.id}`;
  const inside = component ? [] : await partsWithRecords(store, subject.id);
  const insideFailing = inside.flatMap((p) => [...p.latest.values()].filter((r) => r.result === 'fail' && isEvidence(r.claim)).map((r) => ({ path: p.path, r })));
  if (format === 'json') {
    const latest = new Map<string, AssertionRecord>();
    for (const r of counted) latest.set(r.claim, r); // oldest first: the last one wins
    printResult(ctx.out, {
      ref: display,
      name: subject.name,
      id: subject.id,
      score: scoreOf(standing),
      candidate: disqualifying(standing.failing).length === 0 && insideFailing.length === 0,
      claims: Object.fromEntries([...latest.keys()].sort().map((c) => {
        const r = latest.get(c)!;
        return [c, { result: r.result, at: r.at, by: r.by, record: r.record }];
      })),
      records: records.map((r) => ({
        ...recordJson(r),
        signed: r.signed ? { keyid: r.signed.keyid, signer: signerOf.get(r.record) } : null,
        counts: !untrusted.has(r.record),
        ...(untrusted.has(r.record) ? { untrusted: untrusted.get(r.record) } : {}),
      })),
      ...(component ? {} : {
        parts: inside.map((p) => ({
          component: p.path,
          type: p.part.kind,
          address: p.part.address,
          claims: Object.fromEntries([...p.latest].map(([c, r]) => [c, { result: r.result, at: r.at, by: r.by, record: r.record }])),
        })),
      }),
    });
    return;
  }
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

/**
 * The records as an in-toto bundle, one compact line per record (the stored bytes are indented):
 * the DSSE envelope of a signed record, the Statement of an unsigned one. `vfi export --format
 * intoto` writes the same.
 */
export function intotoLines(records: readonly AssertionRecord[]): string[] {
  return records.map((r) => JSON.stringify(r.signed ? r.signed.envelope : statementOf(r), sortedKeys));
}

/** JSON.stringify replacer writing object keys sorted, as the canonical form orders them. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}


/** Every part of a VFI (at any depth) that has records, with the latest record of each claim. */
async function partsWithRecords(store: Store, id: string): Promise<{ path: string; part: Part; latest: Map<string, AssertionRecord> }[]> {
  const { loadComposition } = await import('../store/composition.js');
  const { parts } = await loadComposition(store, [id]);
  const out = [];
  for (const { path: at, part } of walk(id, parts.partsOf).reached) {
    if (part.kind === 'unpinned') continue;
    const latest = await latestRecordsOf(store, part.key, undefined, part.kind === 'vfi' ? undefined : COMPONENTS_DIR);
    if (latest.size > 0) out.push({ path: at, part, latest });
  }
  return out;
}
