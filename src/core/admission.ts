/**
 * What vfi admits from another store, pure: a commit exactly as encodeCommit writes it (what `git
 * fsck --strict` also accepts), with dates RFC 3339 can write; a record filed where it says. store/admit.ts applies it.
 */
import { assertionProblem, parseRecord, recordFileName, recordProblem, statementText, type Assertion } from './assertion.js';

/** Size bounds (README, "What a pull admits"): vfi reads no VFI or record larger. */
export const MAX_VFI_BYTES = 64 * 1024 * 1024;
export const MAX_RECORD_BYTES = 1024 * 1024;

/** The last second RFC 3339 can write (9999-12-31T23:59:59Z), in seconds since the epoch. */
export const LAST_WRITABLE_SECOND = 253402300799;

const HEX40 = /^[0-9a-f]{40}$/;
// git's fsck: no "<", ">" or newline in the name, one "<email>", a date without leading zeros, a +hhmm zone
const SIGNATURE = /^([^<>\n]*) <([^<>\n]*)> (0|[1-9]\d{0,15}) [+-](\d\d)(\d\d)$/;

/** Why a commit object's bytes are not a commit vfi would write, or undefined. */
export function commitProblem(body: Buffer): string | undefined {
  const text = body.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(body)) return 'it is not UTF-8';
  const split = text.indexOf('\n\n');
  if (split < 0) return 'it has no message';
  const lines = text.slice(0, split).split('\n');
  let i = 0;
  if (!lines[i]?.startsWith('tree ') || !HEX40.test(lines[i]!.slice(5))) return 'its first line is not "tree <id>"';
  for (i = 1; lines[i]?.startsWith('parent '); i++) {
    if (!HEX40.test(lines[i]!.slice(7))) return `malformed parent line ${JSON.stringify(lines[i])}`;
  }
  for (const who of ['author', 'committer']) {
    const line = lines[i++];
    if (!line?.startsWith(`${who} `)) return `it has no ${who} line where git expects one`;
    const problem = signatureProblem(line.slice(who.length + 1));
    if (problem) return `its ${who} ${problem}`;
  }
  if (i < lines.length) return `unexpected header ${JSON.stringify(lines[i]!.slice(0, 40))}`;
  return undefined;
}

function signatureProblem(s: string): string | undefined {
  const m = SIGNATURE.exec(s);
  if (!m) return `is malformed (${JSON.stringify(s.slice(0, 80))}): expected "Name <email> seconds +hhmm"`;
  const seconds = Number(m[3]);
  if (seconds > LAST_WRITABLE_SECOND) return `date ${m[3]} is after the year 9999`;
  if (Number(m[4]) > 23 || Number(m[5]) > 59) return `time zone is not +hhmm`;
  return undefined;
}

/** What a record file is about: a VFI (its id) or a component (its digest), as the tree files it. */
export interface FiledRecord {
  /** the record's blob id */
  id: string;
  bytes: Buffer;
  /** its file name in the assertions tree */
  name: string;
  /** the VFI id or component digest its directory names */
  subject: string;
  component: boolean;
}

/**
 * Why a record's bytes are not what `vfi assert` writes under that name and directory (a message),
 * or, when they are, the sha256 it states of its VFI (checked against the VFI by the caller, which
 * reads objects).
 */
export function filedRecordProblem(f: FiledRecord): { problem: string } | { sha256: string } {
  let r;
  try {
    r = parseRecord(f.bytes, f.id);
  } catch (err) {
    return { problem: (err as Error).message };
  }
  const bad = recordProblem(r);
  if (bad) return { problem: bad };
  if (f.component) {
    if (r.component?.digest !== f.subject) return { problem: `is about ${r.component ? r.component.digest : `VFI ${r.vfi}`}, filed under component ${f.subject}` };
  } else if (r.vfi !== f.subject || r.component) return { problem: `is about VFI ${r.vfi}, filed under ${f.subject}` };
  if (recordFileName(r) !== f.name) return { problem: 'its file name does not say what the record says' };
  return { sha256: r.sha256 };
}

/** The fields of an unsigned record about a VFI with neither note nor evidence, in the order statementText writes them. */
const PLAIN_FIELDS = ['at', 'by', 'claim', 'result', 'vfi', 'sha256', 'name'] as const;
type PlainField = (typeof PLAIN_FIELDS)[number];
let plainTemplate: { pieces: Buffer[]; fields: PlainField[]; tail: Buffer } | undefined;

/**
 * statementText of such a record cut around its values, found by rendering it with marks: each
 * piece ends with a value's opening quote, the next begins with its closing one. A plain value
 * (printable ASCII but `"` and `\`) is written as itself, so bytes that are these pieces around
 * plain values are exactly statementText of those values.
 */
function template(): { pieces: Buffer[]; fields: PlainField[]; tail: Buffer } {
  if (plainTemplate) return plainTemplate;
  const mark = (f: PlainField) => `\x7f${PLAIN_FIELDS.indexOf(f)}`;
  const text = statementText(Object.fromEntries(PLAIN_FIELDS.map((f) => [f, mark(f)])) as unknown as Assertion);
  const found = PLAIN_FIELDS.map((f) => ({ f, at: text.indexOf(JSON.stringify(mark(f))) })).sort((a, b) => a.at - b.at);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const { f, at } of found) {
    pieces.push(Buffer.from(text.slice(from, at + 1), 'latin1'));
    from = at + JSON.stringify(mark(f)).length - 1;
  }
  plainTemplate = { pieces, fields: found.map((x) => x.f), tail: Buffer.from(text.slice(from), 'latin1') };
  return plainTemplate;
}

const startsAt = (bytes: Buffer, piece: Buffer, at: number): boolean => {
  if (at + piece.length > bytes.length) return false;
  for (let i = 0; i < piece.length; i++) if (bytes[at + i] !== piece[i]) return false;
  return true;
};

/** Where a plain value starting at `at` ends (its closing quote), or -1. */
function plainEnd(bytes: Buffer, at: number): number {
  for (let i = at; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x22) return i;
    if (b < 0x20 || b > 0x7e || b === 0x5c) return -1;
  }
  return -1;
}

/**
 * The common case of filedRecordProblem, read from the bytes without a JSON tree: an unsigned
 * record about a VFI, with neither note nor evidence, in plain values, that is exactly
 * statementText of what it says and is filed under the name recordFileName gives it. Returns the
 * sha256 it states only where filedRecordProblem returns it too (parsing such bytes gives the
 * values read here, and the same field checks follow); undefined leaves the record to
 * filedRecordProblem, which says why it is refused, if it is.
 */
export function plainRecordSha256(f: Omit<FiledRecord, 'component'>): string | undefined {
  const { pieces, fields, tail } = template();
  const bytes = f.bytes;
  const v = {} as Record<PlainField, string>;
  let pos = 0;
  for (let i = 0; i < pieces.length; i++) {
    if (!startsAt(bytes, pieces[i]!, pos)) return undefined;
    pos += pieces[i]!.length;
    const end = plainEnd(bytes, pos);
    if (end < 0) return undefined;
    v[fields[i]!] = bytes.toString("latin1", pos, end);
    pos = end;
  }
  if (pos + tail.length !== bytes.length || !startsAt(bytes, tail, pos)) return undefined;
  if ((v.result !== 'pass' && v.result !== 'fail') || v.vfi !== f.subject) return undefined;
  const a: Assertion = { ...v, result: v.result };
  if (assertionProblem(a) !== undefined) return undefined;
  return recordFileName({ ...a, record: f.id }) === f.name ? a.sha256 : undefined;
}
