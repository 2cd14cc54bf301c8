/**
 * Assertions (SPEC §1): a claim about a VFI, `pass` or `fail`, by someone, at some time. Pure.
 *
 * A record is the canonical bytes (canonical.ts) of an in-toto Statement v1
 * (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md) whose subject is the VFI,
 * named by its lineage and digested as `gitBlob` (the VFI id) and `sha256` (of the same bytes),
 * both registered in-toto digest names. The record's git blob id is its identity.
 *
 * A signed record is a DSSE envelope (core/dsse.ts) whose payload is exactly those Statement bytes;
 * the envelope's canonical bytes are the stored file, so its blob id is the record id, and its file
 * name ends in `.dsse.json` instead of `.json`.
 */
import { VfiError } from '../errors.js';
import { canonicalText, type JsonObject, type JsonValue } from './canonical.js';
import { looksLikeEnvelope, parseEnvelope, signEnvelope, type Envelope, type SigningKey } from './dsse.js';
import { blobId } from './gitObject.js';
import { checkClaim, nameProblem } from './names.js';
import type { VfiRef } from './vfiRef.js';
import { componentSubjectOf, formatComponentSubject, parseSubject, type AssertionSubject, type ComponentSubject } from './subject.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://vfi.dev/assertion/v1';
/** The claim `vfi release` records. */
export const RELEASED = 'released';

export type AssertionResult = 'pass' | 'fail';

/** What one record says. */
export interface Assertion {
  /** the lineage name the subject is published under */
  name: string;
  /** the VFI id (git blob id of its canonical bytes) */
  vfi: string;
  /** sha256 of the VFI's canonical bytes */
  sha256: string;
  claim: string;
  result: AssertionResult;
  by: string;
  /**
   * RFC 3339 UTC in microseconds, 2026-11-01T12:00:00.000001Z: the records one command appends
   * about a VFI get consecutive microseconds after the clock and after every record already there
   * (firstNewAt), so recording order is the order. Records made by earlier versions carry whole
   * seconds or milliseconds and are read alike.
   */
  at: string;
  note?: string;
  evidence?: string;
  /**
   * Set when the record is about a component, not a VFI (`vfi` and `sha256` are then ""): the
   * subject is the image or commit itself, `name` its repository.
   */
  component?: ComponentSubject;
}

/** A record as stored: the assertion, its canonical bytes and their blob id. */
export interface AssertionRecord extends Assertion {
  record: string;
  bytes: Buffer;
  /** for a signed record: its envelope (whose payload is the Statement) and the signer's keyid */
  signed?: { keyid: string; envelope: Envelope; statement: Buffer };
}

/** The in-toto Statement v1 of an assertion. */
export function statementOf(a: Assertion): JsonObject {
  const predicate: JsonObject = { claim: a.claim, result: a.result, by: a.by, at: a.at };
  if (a.note !== undefined) predicate.note = a.note;
  if (a.evidence !== undefined) predicate.evidence = a.evidence;
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: a.name, digest: subjectDigest(a) }],
    predicateType: PREDICATE_TYPE,
    predicate,
  };
}

function subjectDigest(a: Assertion): JsonObject {
  if (!a.component) return { gitBlob: a.vfi, sha256: a.sha256 };
  return a.component.type === 'dockerImage' ? { sha256: a.component.digest } : { gitCommit: a.component.digest };
}

const q = JSON.stringify;

/**
 * canonicalText(statementOf(a)), written straight from the assertion: the Statement's keys and
 * layout are fixed, so no object is built and no key sorted (a pull checks 100,000 records this way).
 */
export function statementText(a: Assertion): string {
  const digest = !a.component ? `        "gitBlob": ${q(a.vfi)},\n        "sha256": ${q(a.sha256)}`
    : a.component.type === 'dockerImage' ? `        "sha256": ${q(a.component.digest)}` : `        "gitCommit": ${q(a.component.digest)}`;
  return `{\n  "_type": ${q(STATEMENT_TYPE)},\n  "predicate": {\n    "at": ${q(a.at)},\n    "by": ${q(a.by)},\n    "claim": ${q(a.claim)},\n${
    a.evidence !== undefined ? `    "evidence": ${q(a.evidence)},\n` : ''}${a.note !== undefined ? `    "note": ${q(a.note)},\n` : ''}    "result": ${q(a.result)}\n  },\n  "predicateType": ${q(PREDICATE_TYPE)},\n  "subject": [\n    {\n      "digest": {\n${
    digest}\n      },\n      "name": ${q(a.name)}\n    }\n  ]\n}\n`;
}

/** The record of an assertion: canonical Statement bytes and their git blob id. */
export function makeRecord(a: Assertion): AssertionRecord {
  const bytes = Buffer.from(statementText(a), 'utf8');
  return { ...a, record: blobId(bytes), bytes };
}

/** The signed record of an assertion: a DSSE envelope around the Statement, signed with `key`. */
export function makeSignedRecord(a: Assertion, key: SigningKey): AssertionRecord {
  const statement = makeRecord(a).bytes;
  const bytes = signEnvelope(statement, key);
  const envelope = JSON.parse(bytes.toString('utf8')) as Envelope;
  return { ...a, record: blobId(bytes), bytes, signed: { keyid: key.keyid, envelope, statement } };
}

/** Read a stored record back (a Statement, or an envelope around one); throws an Error saying what is wrong. */
export function parseRecord(bytes: Buffer, record: string = blobId(bytes)): AssertionRecord {
  const s = parseJson(bytes);
  if (looksLikeEnvelope(s)) {
    const { envelope, payload } = parseEnvelope(s);
    let inner: AssertionRecord;
    try {
      inner = parseStatement(parseJson(payload), payload, record);
    } catch (e) {
      throw new Error(`envelope payload: ${(e as Error).message}`);
    }
    return { ...inner, bytes, signed: { keyid: envelope.signatures[0]!.keyid, envelope, statement: payload } };
  }
  return parseStatement(s, bytes, record);
}

function parseJson(bytes: Buffer): JsonValue {
  try {
    return JSON.parse(bytes.toString('utf8')) as JsonValue;
  } catch {
    throw new Error('not JSON');
  }
}

function parseStatement(s: JsonValue, bytes: Buffer, record: string): AssertionRecord {
  const obj = (v: JsonValue | undefined, what: string): JsonObject => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what} is not an object`);
    return v;
  };
  const str = (v: JsonValue | undefined, what: string): string => {
    if (typeof v !== 'string') throw new Error(`${what} is not a string`);
    return v;
  };
  const st = obj(s, 'the statement');
  if (st._type !== STATEMENT_TYPE) throw new Error(`_type is not ${STATEMENT_TYPE}`);
  if (st.predicateType !== PREDICATE_TYPE) throw new Error(`predicateType is not ${PREDICATE_TYPE}`);
  if (!Array.isArray(st.subject) || st.subject.length !== 1) throw new Error('subject must hold exactly one VFI');
  const subject = obj(st.subject[0], 'subject[0]');
  const digest = obj(subject.digest, 'subject[0].digest');
  const p = obj(st.predicate, 'predicate');
  const result = str(p.result, 'predicate.result');
  if (result !== 'pass' && result !== 'fail') throw new Error('predicate.result is neither "pass" nor "fail"');
  const name = str(subject.name, 'subject[0].name');
  // A VFI is digested as gitBlob and sha256; an image by sha256 alone; a git component by gitCommit.
  const component: ComponentSubject | undefined = digest.gitBlob !== undefined ? undefined
    : digest.gitCommit !== undefined ? { type: 'git', name, digest: str(digest.gitCommit, 'subject[0].digest.gitCommit') }
    : { type: 'dockerImage', name, digest: str(digest.sha256, 'subject[0].digest.sha256') };
  const a = {
    name,
    vfi: component ? '' : str(digest.gitBlob, 'subject[0].digest.gitBlob'),
    sha256: component ? '' : str(digest.sha256, 'subject[0].digest.sha256'),
    claim: str(p.claim, 'predicate.claim'),
    result,
    by: str(p.by, 'predicate.by'),
    at: str(p.at, 'predicate.at'),
  } as AssertionRecord;
  if (p.note !== undefined) a.note = str(p.note, 'predicate.note');
  if (p.evidence !== undefined) a.evidence = str(p.evidence, 'predicate.evidence');
  if (component) a.component = component;
  // in the order a spread of the assertion would give (listings print records as they are)
  a.record = record;
  a.bytes = bytes;
  return a;
}

/** Why a parsed record is not one `makeRecord` could have written, or undefined. */
export function recordProblem(r: AssertionRecord): string | undefined {
  const bad = assertionProblem(r);
  if (bad) return bad;
  // the bytes compared, not re-hashed: equal bytes have the same id (a pull checks 100,000 records this way)
  if (!Buffer.from(statementText(r), 'utf8').equals(r.signed ? r.signed.statement : r.bytes)) return 'not in canonical form';
  if (r.signed && canonicalText(JSON.parse(r.bytes.toString('utf8')) as JsonValue) !== r.bytes.toString('utf8')) return 'envelope not in canonical form';
  return undefined;
}

/** Why what a record says is not what `vfi assert` could have recorded (its fields, not its bytes), or undefined. */
export function assertionProblem(r: Assertion): string | undefined {
  if (r.component) {
    const c = r.component;
    const address = c.type === 'git' ? `${c.name}@${c.digest}` : `${c.name}@sha256:${c.digest}`;
    const parsed = componentSubjectOf(c.type, address);
    if (typeof parsed === 'string' || parsed.name !== c.name || parsed.digest !== c.digest) {
      return `subject is not a pinned ${c.type === 'git' ? 'git commit' : 'image, its name normalized'}: ${address}`;
    }
  } else {
    if (!/^[0-9a-f]{40}$/.test(r.vfi)) return 'subject gitBlob is not a 40-hex id';
    if (!/^[0-9a-f]{64}$/.test(r.sha256)) return 'subject sha256 is not 64 hex digits';
    const np = nameProblem(r.name);
    if (np) return `subject name ${np}`;
  }
  const cp = nameProblem(r.claim);
  if (cp) return `claim ${cp}`;
  if (parseAt(r.at) === undefined) return `"at" ${JSON.stringify(r.at)} is not RFC 3339 UTC (seconds, with 3 or 6 fractional digits)`;
  const by = textProblem(r.by, 200);
  if (by) return `"by" ${by}`;
  if (r.note !== undefined && textProblem(r.note, 1000)) return `"note" ${textProblem(r.note, 1000)}`;
  if (r.evidence !== undefined && evidenceProblem(r.evidence)) return `"evidence" ${evidenceProblem(r.evidence)}`;
  return undefined;
}

/** `at` as records write it: whole seconds (the first records), milliseconds, or microseconds (now). */
const AT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{3}|\d{6}))?Z$/;

/** RFC 3339 UTC with microseconds of a time in microseconds since the epoch (as parseAt reads it). */
export function formatMicros(total: number): string {
  const ms = Math.floor(total / 1000);
  const shifted = new Date(ms);
  const year = shifted.getUTCFullYear();
  if (!Number.isSafeInteger(total) || Number.isNaN(shifted.getTime()) || year < 0 || year > 9999) {
    throw new VfiError('INVALID_INPUT', `time ${Number.isNaN(shifted.getTime()) ? String(total) : shifted.toISOString()} cannot be written as RFC 3339`, {});
  }
  return `${shifted.toISOString().slice(0, -1)}${String(total - ms * 1000).padStart(3, '0')}Z`;
}

/**
 * When the first of the records a command appends about one VFI is dated (microseconds since the
 * epoch; the n-th is n microseconds later): at the clock's reading, unless the VFI already has a
 * record at or after it, then one microsecond after the latest of those. So a record is never dated
 * before a record already in the store about the same VFI: the record appended later is the later
 * one, whatever the clocks say (fixed, or behind another machine's).
 */
export function firstNewAt(clock: number, latestInStore: number | undefined, count = 1): number {
  const after = latestInStore !== undefined && latestInStore >= clock ? latestInStore + 1 : clock;
  // A record dated where no later one can be written (a crafted one, say 9999-12-31T23:59:59.999999Z)
  // does not stop the VFI from being asserted: those records are dated at the clock.
  return after + count - 1 > Number.MAX_SAFE_INTEGER ? clock : after;
}

/** An `at` to the second, for people: listings and explanations (`--json` keeps the full precision). */
export function shownAt(at: string): string {
  return at.replace(/\.\d+Z$/, 'Z');
}

/**
 * Microseconds since the epoch of an `at` in one of the forms records use, or undefined. Exact for
 * every time before the year 2255 (2^53 microseconds); later ones still compare in order.
 */
export function parseAt(at: string): number | undefined {
  const m = AT.exec(at);
  if (!m) return undefined;
  const ms = secondOf(m[1]!);
  if (ms === undefined) return undefined;
  return ms * 1000 + (m[2] === undefined ? 0 : Number(m[2].padEnd(6, '0')));
}

// Records written together share their second: the last one read is kept (a pull reads 100,000).
let lastSecond: { text: string; ms: number | undefined } = { text: '', ms: undefined };

/** Milliseconds since the epoch of "yyyy-mm-ddThh:mm:ss" when it names a real second, else undefined. */
function secondOf(text: string): number | undefined {
  if (lastSecond.text === text) return lastSecond.ms;
  const ms = Date.parse(`${text}Z`);
  const valid = Number.isNaN(ms) || !fallsOn(new Date(ms), text) ? undefined : ms;
  lastSecond = { text, ms: valid };
  return valid;
}

/**
 * Is `date` exactly the second "yyyy-mm-ddThh:mm:ss" names (in UTC)? Compared field by field:
 * toISOString gives the same answer, but its first call loads the local time zone, ~1 ms of
 * every `vfi assertions` start.
 */
function fallsOn(date: Date, text: string): boolean {
  const f = text.split(/[-T:]/).map(Number);
  return date.getUTCFullYear() === f[0] && date.getUTCMonth() + 1 === f[1] && date.getUTCDate() === f[2]
    && date.getUTCHours() === f[3] && date.getUTCMinutes() === f[4] && date.getUTCSeconds() === f[5] && date.getUTCMilliseconds() === 0;
}

/*
 * File names in the assertions tree: `<yyyymmddThhmmss.ffffffZ>-<claim>-<pass|fail>-<record id>.json`
 * (records made by earlier versions: `<yyyymmddThhmmssZ>` or `<yyyymmddThhmmss.mmmZ>`, their `at`
 * compacted the same way). Every part comes from the record's content, so two stores that hold
 * the same record name it the same way and a union of their trees never conflicts; `git ls-tree`
 * shows what each record says without opening it. The suffix has a fixed length, so a claim
 * containing "-pass-" still parses. A signed record's name ends in `.dsse.json`.
 */
const NAME_SUFFIX = /-(pass|fail)-([0-9a-f]{40})(\.dsse)?\.json$/;
const COMPACT_AT = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\.\d{3}|\.\d{6})?Z-/;

/** The tree entry name of a record. */
export function recordFileName(r: { at: string; claim: string; result: AssertionResult; record: string; signed?: unknown }): string {
  return `${r.at.replace(/[-:]/g, '')}-${r.claim}-${r.result}-${r.record}${r.signed ? '.dsse' : ''}.json`;
}

/** What a record's file name says; undefined for names that are not records. */
export interface RecordName {
  claim: string;
  result: AssertionResult;
  /** microseconds since the epoch */
  at: number;
  record: string;
  /** the record is a DSSE envelope */
  signed?: true;
}

export function parseRecordFileName(file: string): RecordName | undefined {
  const suffix = NAME_SUFFIX.exec(file);
  const time = COMPACT_AT.exec(file);
  if (!suffix || !time) return undefined;
  const claim = file.slice(time[0].length, suffix.index);
  if (nameProblem(claim)) return undefined;
  const at = parseAt(`${time[1]}-${time[2]}-${time[3]}T${time[4]}:${time[5]}:${time[6]}${time[7] ?? ''}Z`);
  if (at === undefined) return undefined;
  const n: RecordName = { claim, result: suffix[1] as AssertionResult, at, record: suffix[2]! };
  if (suffix[3]) n.signed = true;
  return n;
}

/** Why `s` is not acceptable free text (a note, a name in `by`), or undefined. */
function textProblem(s: string, max: number): string | undefined {
  if (s.trim() === '') return 'is empty';
  if (s.length > max) return `is longer than ${max} characters`;
  // One line each, so listings stay one record per line.
  if (/[\u0000-\u001f\u007f]/.test(s)) return 'contains a control character (a newline or tab, say)';
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return 'contains a lone surrogate';
  return undefined;
}

function evidenceProblem(s: string): string | undefined {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (/[\s\u0000-\u001f\u007f]/.test(s)) return 'contains white space';
  if (s.length > 2000) return 'is longer than 2000 characters';
  return undefined;
}

export function checkResult(s: string): AssertionResult {
  if (s !== 'pass' && s !== 'fail') throw new VfiError('INVALID_INPUT', `result must be "pass" or "fail", not ${JSON.stringify(s)}`, { result: s });
  return s;
}

export function checkEvidence(s: string): string {
  const problem = evidenceProblem(s);
  if (problem) throw new VfiError('INVALID_INPUT', `evidence ${JSON.stringify(s)} ${problem}`, { evidence: s });
  return s;
}

export function checkNote(s: string): string {
  const problem = textProblem(s, 1000);
  if (problem) throw new VfiError('INVALID_INPUT', `note ${problem}`, { note: s });
  return s;
}

export function checkBy(s: string): string {
  const problem = textProblem(s, 200);
  if (problem) throw new VfiError('INVALID_INPUT', `"by" ${JSON.stringify(s)} ${problem}`, { by: s });
  return s;
}

/** What one `vfi assert` call or batch line asks to record, checked. */
export interface AssertionRequest {
  ref: string;
  vfiRef: VfiRef;
  /** the subject as parsed; a component subject has no vfiRef worth reading */
  subject?: AssertionSubject;
  claim: string;
  result: AssertionResult;
  note?: string;
  evidence?: string;
  by?: string;
}

const BATCH_KEYS = new Set(['vfi', 'claim', 'result', 'note', 'evidence', 'by']);

/**
 * One line of `vfi assert --batch`: `{"vfi": REF, "claim": C, "result": "pass"|"fail", "note"?,
 * "evidence"?, "by"?}`, already parsed as I-JSON. Unknown keys are refused (typo protection).
 */
export function batchRequest(value: JsonValue): AssertionRequest {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new VfiError('INVALID_INPUT', 'expected a JSON object {"vfi", "claim", "result"}');
  }
  for (const key of Object.keys(value)) {
    if (!BATCH_KEYS.has(key)) {
      throw new VfiError('INVALID_INPUT', `unknown key ${JSON.stringify(key)} (expected vfi, claim, result, note, evidence, by)`, { key });
    }
  }
  const field = (key: string, required: boolean): string | undefined => {
    const v = value[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string') {
      throw new VfiError('INVALID_INPUT', v === undefined ? `missing "${key}"` : `"${key}" must be a string`, { key });
    }
    return v;
  };
  const ref = field('vfi', true)!;
  const subject = parseSubject(ref);
  const req: AssertionRequest = {
    ref,
    vfiRef: subject.kind === 'vfi' ? subject.ref : COMPONENT_REF,
    ...(subject.kind === 'component' ? { subject } : {}),
    claim: checkClaim(field('claim', true)!),
    result: checkResult(field('result', true)!),
  };
  const note = field('note', false);
  const evidence = field('evidence', false);
  const by = field('by', false);
  if (note !== undefined) req.note = checkNote(note);
  if (evidence !== undefined) req.evidence = checkEvidence(evidence);
  if (by !== undefined) req.by = checkBy(by);
  return req;
}

/** What a request about a component carries as its (unused) VFI reference. */
export const COMPONENT_REF: VfiRef = Object.freeze({ kind: 'bare', prefix: '', alsoName: false });

/** The line `vfi assert` prints for a record: `Runtime@<id> tests-passed pass`, `docker.io/x/router@sha256:… tests-passed pass`. */
export const formatRecordLine = (r: { name: string; vfi: string; claim: string; result: AssertionResult; component?: ComponentSubject }): string =>
  `${r.component ? formatComponentSubject(r.component) : `${r.name}@${r.vfi}`} ${r.claim} ${r.result}`;

/** A record as `--json` outputs show it: id, claim, result, by, at, and note and evidence when present. */
export function recordJson(r: AssertionRecord): { record: string; claim: string; result: AssertionResult; by: string; at: string; note?: string; evidence?: string } {
  return {
    record: r.record,
    claim: r.claim,
    result: r.result,
    by: r.by,
    at: r.at,
    ...(r.note !== undefined ? { note: r.note } : {}),
    ...(r.evidence !== undefined ? { evidence: r.evidence } : {}),
  };
}
