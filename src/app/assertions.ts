/** What `vfi assertions` shows about a VFI or a component: its records, which count under the trust list, its score, and what is inside. */
import type { Context } from '../context.js';
import type { VfiError } from '../errors.js';
import { parseAt, recordJson, type AssertionRecord } from '../core/assertion.js';
import { walk, type Part } from '../core/composition.js';
import { intotoLines } from '../core/intoto.js';
import { disqualifying, isEvidence, scoreOf, standingOf, type Standing } from '../core/pick.js';
import { formatComponentSubject, parseSubject } from '../core/subject.js';
import { COMPONENTS_DIR, latestRecordsOf, readRecordsOf, SubjectResolver, TreeReader } from '../store/assertions.js';
import type { Store } from '../store/store.js';
import type { RecordFilter } from '../store/trust.js';

export interface PartRecords {
  path: string;
  part: Part;
  latest: Map<string, AssertionRecord>;
}

export type AssertionsView =
  | { format: 'intoto'; lines: string[] }
  | { format: 'json'; json: Record<string, unknown> }
  | {
    format: 'text';
    /** `Name@id`, or the component as written */
    display: string;
    records: AssertionRecord[];
    /** why a record does not count, by record id */
    untrusted: Map<string, string>;
    /** who signed a record, by record id */
    signerOf: Map<string, string>;
    inside: PartRecords[];
    insideFailing: { path: string; r: AssertionRecord }[];
    standing: Standing;
    byRecord: Map<string, AssertionRecord>;
  };

/**
 * A subject's assertions as `vfi assertions` shows them: the in-toto lines, the --json object, or
 * what the text needs (each record with whether it counts and who signed it, the parts inside
 * with their latest records). Records that do not read go to `damaged`.
 */
export async function readAssertions(ctx: Context, ref: string, format: 'text' | 'json' | 'intoto', damaged: VfiError[]): Promise<AssertionsView> {
  const parsed = parseSubject(ref);
  const store = ctx.store({ create: false });
  const component = parsed.kind === 'component' ? parsed.component : undefined;
  const subject = parsed.kind === 'component' ? { id: parsed.component.digest, name: parsed.component.name } : await new SubjectResolver(store).resolve(ref, parsed.ref);
  // One reader for the subject's records and its parts': the ref's commit and root tree read once.
  const reader = new TreeReader(store);
  const records = await readRecordsOf(store, subject.id, component ? COMPONENTS_DIR : undefined, (e) => damaged.push(e), reader);
  if (format === 'intoto') return { format, lines: intotoLines(records) };
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
  const inside = component ? [] : await partsWithRecords(store, subject.id, trust, reader);
  const insideFailing = inside.flatMap((p) => [...p.latest.values()].filter((r) => r.result === 'fail' && isEvidence(r.claim)).map((r) => ({ path: p.path, r })));
  if (format === 'json') {
    const latest = new Map<string, AssertionRecord>();
    for (const r of counted) latest.set(r.claim, r); // oldest first: the last one wins
    return { format, json: {
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
    } };
  }
  return { format: 'text', display, records, untrusted, signerOf, inside, insideFailing, standing, byRecord };
}

/** Every part of a VFI (at any depth) that has records, with the latest record of each claim. */
async function partsWithRecords(store: Store, id: string, trust: RecordFilter, reader: TreeReader): Promise<PartRecords[]> {
  const { partsReadDirectly } = await import('../store/composition.js');
  const out = [];
  for (const { path: at, part } of walk(id, await partsReadDirectly(store, [id])).reached) {
    if (part.kind === 'unpinned') continue;
    const latest = await latestRecordsOf(store, part.key, trust, part.kind === 'vfi' ? undefined : COMPONENTS_DIR, reader);
    if (latest.size > 0) out.push({ path: at, part, latest });
  }
  return out;
}

