/**
 * Git's object encodings (blob, tree, commit), pure: bytes in, bytes and ids out.
 * Format reference: git's Documentation/technical/hash-function-transition.txt ("object format")
 * and the tree sort order of git's fsck (entries compare as if directories ended in "/").
 */
import { createHash } from 'node:crypto';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export function objectHeader(type: ObjectType, size: number): Buffer {
  return Buffer.from(`${type} ${size}\0`, 'latin1');
}

/** The git object id (SHA-1) of an object of `type` with content `body`. */
export function objectId(type: ObjectType, body: Uint8Array): string {
  return createHash('sha1').update(objectHeader(type, body.length)).update(body).digest('hex');
}

export const blobId = (body: Uint8Array): string => objectId('blob', body);

export function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

export interface TreeEntry {
  mode: '100644' | '40000' | '100755' | '120000' | '160000';
  name: string;
  id: string;
}

const treeSortKey = (e: TreeEntry) => (e.mode === '40000' ? `${e.name}/` : e.name);

export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => compareBytes(treeSortKey(a), treeSortKey(b)));
  const parts: Buffer[] = [];
  for (const e of sorted) {
    parts.push(Buffer.from(`${e.mode} ${e.name}\0`, 'utf8'), Buffer.from(e.id, 'hex'));
  }
  return Buffer.concat(parts);
}

export function decodeTree(body: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    const nul = body.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > body.length) throw new Error('malformed tree object');
    const mode = body.toString('latin1', i, space) as TreeEntry['mode'];
    const name = body.toString('utf8', space + 1, nul);
    const id = body.toString('hex', nul + 1, nul + 21);
    entries.push({ mode, name, id });
    i = nul + 21;
  }
  return entries;
}

/**
 * The first entry of a tree named `name` (and of `mode`, if given), as decodeTree's entries would
 * give it, decoding no other entry (a fanout tree holds hundreds); a malformed tree throws as
 * decodeTree does, wherever the damage is.
 */
export function findTreeEntry(body: Buffer, name: string, mode?: TreeEntry['mode']): TreeEntry | undefined {
  const want = Buffer.from(name, 'utf8');
  let found: TreeEntry | undefined;
  let i = 0;
  while (i < body.length) {
    // One search per entry (its NUL), the mode's few bytes scanned for the space before it; an
    // entry with no space before its NUL is read as decodeTree reads it.
    let nul = body.indexOf(0, i);
    let space = i;
    while (space < nul && body[space] !== 0x20) space++;
    if (space >= nul) {
      space = body.indexOf(0x20, i);
      nul = body.indexOf(0, space);
    }
    if (space < 0 || nul < 0 || nul + 21 > body.length) throw new Error('malformed tree object');
    if (!found && nul - space - 1 === want.length && (want.length === 0 || body[space + 1] === want[0]) && body.compare(want, 0, want.length, space + 1, nul) === 0) {
      const m = body.toString('latin1', i, space) as TreeEntry['mode'];
      if (mode === undefined || m === mode) found = { mode: m, name, id: body.toString('hex', nul + 1, nul + 21) };
    }
    i = nul + 21;
  }
  return found;
}

/** `key` against the same number of bytes of `buf` from `at`: <0, 0 or >0, as Buffer.compare. */
export function compareAt(buf: Uint8Array, at: number, key: Uint8Array): number {
  for (let k = 0; k < key.length; k++) {
    const d = buf[at + k]! - key[k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface Signature {
  name: string;
  email: string;
  /** seconds since the epoch */
  timestamp: number;
  /** minutes east of UTC */
  tzOffset: number;
}

export interface Commit {
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
}

function formatSignature(s: Signature): string {
  const sign = s.tzOffset < 0 ? '-' : '+';
  const abs = Math.abs(s.tzOffset);
  const tz = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${s.name} <${s.email}> ${s.timestamp} ${tz}`;
}

function parseSignature(s: string, lenient: boolean): Signature {
  // s: a name may hold a CR or U+2028, which git keeps and `.` would not match
  const m = /^(.*) <(.*)> (\d+) ([+-])(\d\d)(\d\d)$/s.exec(s);
  if (m) {
    const offset = Number(m[5]) * 60 + Number(m[6]);
    return { name: m[1]!, email: m[2]!, timestamp: Number(m[3]), tzOffset: m[4] === '-' ? -offset : offset };
  }
  if (!lenient) throw new Error(`malformed signature: ${s}`);
  // What git itself makes of an odd one (an odd time zone, no date): the name, the email, the date if any.
  const loose = /^(.*?) ?<([^>]*)>(?: (\d+))?/s.exec(s);
  return { name: loose?.[1] ?? s, email: loose?.[2] ?? '', timestamp: Number(loose?.[3] ?? 0), tzOffset: 0 };
}

export function encodeCommit(c: Commit): Buffer {
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`)];
  lines.push(`author ${formatSignature(c.author)}`, `committer ${formatSignature(c.committer)}`);
  const message = c.message.endsWith('\n') ? c.message : `${c.message}\n`;
  return Buffer.from(`${lines.join('\n')}\n\n${message}`, 'utf8');
}

/**
 * The one commit parser. Strict by default: a commit vfi reads as its own must have a tree, an
 * author and a committer it can parse. `lenient` reads what git accepts but vfi would not write
 * (an odd time zone, a missing signature, extra headers) as far as it goes: only the tree is required.
 */
export function decodeCommit(body: Buffer, { lenient = false }: { lenient?: boolean } = {}): Commit {
  const text = body.toString('utf8');
  const split = text.indexOf('\n\n');
  const headers = (split < 0 ? text : text.slice(0, split)).split('\n');
  const message = split < 0 ? '' : text.slice(split + 2);
  let tree = '';
  const parents: string[] = [];
  let author: Signature | undefined;
  let committer: Signature | undefined;
  for (const h of headers) {
    const sp = h.indexOf(' ');
    const key = h.slice(0, sp);
    const value = h.slice(sp + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') author = parseSignature(value, lenient);
    else if (key === 'committer') committer = parseSignature(value, lenient);
  }
  if (lenient) {
    if (!/^[0-9a-f]{40}$/.test(tree)) throw new Error('names no tree');
    const none = { name: '', email: '', timestamp: 0, tzOffset: 0 };
    return { tree, parents, author: author ?? committer ?? none, committer: committer ?? none, message };
  }
  if (!tree || !author || !committer) throw new Error('malformed commit object');
  return { tree, parents, author, committer, message };
}
