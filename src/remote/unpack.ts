/**
 * Unpack a fetched packfile into loose objects, the way the store keeps everything it writes
 * (store/objects.ts), instead of keeping the pack: reads of a deltified pack through isomorphic-git
 * resolve every delta chain again on each read, which made the first `vfi log` after pulling a
 * 10,000-publication lineage take seconds. Format: git's Documentation/gitformat-pack.txt ("pack-*.pack
 * files", "Deltified representation"). Objects are written one by one, atomically, before any ref
 * moves, so an interrupted unpack leaves only unreferenced objects behind.
 */
import { inflateSync } from 'node:zlib';
import type { ObjectType } from '../core/gitObject.js';
import type { GitObject } from '../store/objects.js';

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;

export class PackFormatError extends Error {}

/** A REF_DELTA whose base is neither resolved yet nor in the store: try again after the others. */
class BaseNotYetKnown extends Error {}

interface Entry {
  offset: number;
  type: number;
  /** inflated data: the object, or the delta */
  data: Buffer;
  baseOffset?: number;
  baseId?: string;
}

/** Inflate one zlib stream at `at`; returns the data and how many input bytes it used. */
function inflateAt(pack: Buffer, at: number, size: number): { data: Buffer; used: number } {
  let res: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // One output chunk of the object's size: zlib's default 16 KiB per call is most of the cost.
    res = inflateSync(pack.subarray(at), { info: true, chunkSize: Math.max(64, Math.min(size, 1 << 20)), maxOutputLength: Math.max(size, 1) }) as unknown as typeof res;
  } catch (e) {
    throw new PackFormatError(`object at ${at} does not inflate: ${(e as Error).message}`);
  }
  if (res.buffer.length !== size) throw new PackFormatError(`object at ${at} inflates to ${res.buffer.length} bytes, not ${size}`);
  return { data: res.buffer, used: res.engine.bytesWritten };
}

/** Apply a git delta to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let i = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    let c: number;
    do {
      c = delta[i++]!;
      n |= (c & 0x7f) << shift;
      shift += 7;
    } while (c & 0x80);
    return n >>> 0;
  };
  if (varint() !== base.length) throw new PackFormatError('delta does not match its base');
  const size = varint();
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  while (i < delta.length) {
    const op = delta[i++]!;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      for (let b = 0; b < 4; b++) if (op & (1 << b)) off |= delta[i++]! << (8 * b);
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) len |= delta[i++]! << (8 * b);
      off >>>= 0;
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > size) throw new PackFormatError('delta copies outside its base');
      base.copy(out, o, off, off + len);
      o += len;
    } else if (op !== 0) {
      if (o + op > size || i + op > delta.length) throw new PackFormatError('delta inserts past its end');
      delta.copy(out, o, i, i + op);
      i += op;
      o += op;
    } else {
      throw new PackFormatError('delta has a reserved instruction');
    }
  }
  if (o !== size) throw new PackFormatError('delta result has the wrong size');
  return out;
}

/**
 * Every object of a (checked) pack, resolved: calls `write` once per object, bases before deltas.
 * `readBase` fetches a REF_DELTA base that is not in the pack (thin packs; vfi does not ask for them).
 */
export async function unpackObjects(
  pack: Buffer,
  write: (type: ObjectType, body: Buffer) => string,
  readBase: (id: string) => Promise<GitObject | undefined>,
): Promise<number> {
  if (pack.toString('ascii', 0, 4) !== 'PACK') throw new PackFormatError('not a pack');
  const count = pack.readUInt32BE(8);
  const end = pack.length - 20;
  const entries: Entry[] = [];
  let at = 12;
  for (let n = 0; n < count; n++) {
    if (at >= end) throw new PackFormatError('the pack ends early');
    const offset = at;
    let c = pack[at++]!;
    const type = (c >> 4) & 7;
    let size = c & 15;
    let shift = 4;
    while (c & 0x80) {
      c = pack[at++]!;
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
    }
    const entry: Entry = { offset, type, data: Buffer.alloc(0) };
    if (type === OFS_DELTA) {
      c = pack[at++]!;
      let back = c & 0x7f;
      while (c & 0x80) {
        c = pack[at++]!;
        back = (back + 1) * 128 + (c & 0x7f);
      }
      entry.baseOffset = offset - back;
    } else if (type === REF_DELTA) {
      entry.baseId = pack.toString('hex', at, at + 20);
      at += 20;
    } else if (!TYPES[type]) {
      throw new PackFormatError(`unknown object type ${type} at ${offset}`);
    }
    const { data, used } = inflateAt(pack, at, size);
    entry.data = data;
    at += used;
    entries.push(entry);
  }
  if (at !== end) throw new PackFormatError('the pack has trailing bytes');

  // Resolve: each object once, its base first (iteratively: delta chains can be 50 deep).
  const byOffset = new Map(entries.map((e) => [e.offset, e]));
  const resolved = new Map<number, GitObject>();
  const byId = new Map<string, GitObject>();
  const resolve = async (root: Entry): Promise<GitObject> => {
    const chain: Entry[] = [];
    let e: Entry | undefined = root;
    let base: GitObject | undefined;
    while (e && !base) {
      const known = resolved.get(e.offset);
      if (known) {
        base = known;
        break;
      }
      chain.push(e);
      if (e.type === OFS_DELTA) {
        e = byOffset.get(e.baseOffset!);
        if (!e) throw new PackFormatError('a delta names a base that is not in the pack');
      } else if (e.type === REF_DELTA) {
        base = byId.get(e.baseId!) ?? (await readBase(e.baseId!));
        if (!base) throw new BaseNotYetKnown();
      } else {
        base = { type: TYPES[e.type]!, body: e.data };
        chain.pop();
        resolved.set(e.offset, base);
        byId.set(write(base.type, base.body), base);
      }
    }
    for (let k = chain.length - 1; k >= 0; k--) {
      const d = chain[k]!;
      base = { type: base!.type, body: applyDelta(base!.body, d.data) };
      resolved.set(d.offset, base);
      byId.set(write(base.type, base.body), base);
    }
    return base!;
  };
  for (const e of entries) if (TYPES[e.type]) await resolve(e);
  // A REF_DELTA's base may be a delta that comes later in the pack: go round until none is left.
  let pending = entries.filter((e) => !TYPES[e.type]);
  while (pending.length > 0) {
    const waiting: Entry[] = [];
    for (const e of pending) {
      if (resolved.has(e.offset)) continue;
      try {
        await resolve(e);
      } catch (x) {
        if (!(x instanceof BaseNotYetKnown)) throw x;
        waiting.push(e);
      }
    }
    if (waiting.length === pending.length) throw new PackFormatError(`${waiting.length} deltas name bases that are neither in the pack nor in the store`);
    pending = waiting;
  }
  return count;
}
