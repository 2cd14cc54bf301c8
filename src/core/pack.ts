/**
 * Git's pack formats, pure: bytes in, values out. One pack entry's header, its inflated data, the
 * delta that rebuilds an object from its base, and the pack index (idx v1 and v2) that finds an
 * entry by object id, for reading the store's packs (git/packs.ts; git fetch writes them). Format: git's Documentation/gitformat-pack.txt ("pack-*.pack
 * files", "Deltified representation", "pack-*.idx files have the following format").
 */
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { compareAt, type ObjectType } from './gitObject.js';

export const PACK_TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

/** What is wrong with a pack's first 12 bytes ("PACK", version 2 or 3, the object count), or undefined. */
export function packHeaderProblem(head: Buffer): string | undefined {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'PACK') return 'not a pack';
  const version = head.readUInt32BE(4);
  return version === 2 || version === 3 ? undefined : `pack version ${version} is not supported`;
}

/** A pack or index that is not what the format says. */
export class PackFormatError extends Error {
  /** the input ended inside a zlib stream: a reader holding part of the file may read more and retry */
  readonly truncated: boolean;

  constructor(message: string, truncated = false) {
    super(message);
    this.truncated = truncated;
  }
}

export interface EntryHeader {
  /** 1-4 (PACK_TYPES), OFS_DELTA or REF_DELTA */
  type: number;
  /** the size of the inflated data: the object, or the delta */
  size: number;
  /** where the zlib stream starts */
  dataAt: number;
  /** OFS_DELTA: the offset of the base entry in the same pack */
  baseOffset?: number;
  /** REF_DELTA: the id of the base object */
  baseId?: string;
}

/**
 * The largest object vfi rebuilds or inflates from a pack, 256 MiB: far above any VFI, assertion
 * or tree vfi writes, and a bound on what a malformed or hostile pack can make it allocate.
 */
export const OBJECT_SIZE_LIMIT = 256 * 2 ** 20;
/** zlib cannot expand input by more than ~1032:1; a size claimed beyond that is a lie. */
const MAX_INFLATE_RATIO = 1032;

/** Parse the header of the entry at `at` of a pack (`buf` holds the pack from `base` on). */
export function readEntryHeader(buf: Buffer, at: number, base = 0): EntryHeader {
  let i = at - base;
  const byte = () => {
    if (i >= buf.length) throw new PackFormatError(`the entry at ${at} ends early`);
    return buf[i++]!;
  };
  let c = byte();
  const type = (c >> 4) & 7;
  let size = c & 15;
  let shift = 4;
  while (c & 0x80) {
    c = byte();
    size += (c & 0x7f) * 2 ** shift;
    shift += 7;
    if (shift > 60) throw new PackFormatError(`the size of the entry at ${at} does not end`);
  }
  const header: EntryHeader = { type, size, dataAt: 0 };
  if (type === OFS_DELTA) {
    c = byte();
    let back = c & 0x7f;
    while (c & 0x80) {
      c = byte();
      back = (back + 1) * 128 + (c & 0x7f);
      if (back > at) throw new PackFormatError(`the delta at ${at} names a base outside the pack`);
    }
    if (back <= 0 || back > at) throw new PackFormatError(`the delta at ${at} names a base outside the pack`);
    header.baseOffset = at - back;
  } else if (type === REF_DELTA) {
    if (i + 20 > buf.length) throw new PackFormatError(`the entry at ${at} ends early`);
    header.baseId = buf.toString('hex', i, i + 20);
    i += 20;
  } else if (!PACK_TYPES[type]) {
    throw new PackFormatError(`unknown object type ${type} at ${at}`);
  }
  header.dataAt = i + base;
  return header;
}

/**
 * Inflate the zlib stream at `at` (of a pack held from `base` on) that must give `size` bytes;
 * returns the data and how many input bytes the stream took.
 */
export function inflateEntry(buf: Buffer, at: number, size: number, base = 0, limit = OBJECT_SIZE_LIMIT): { data: Buffer; used: number } {
  if (size > limit) throw new PackFormatError(`the object at ${at} claims ${size} bytes, more than the limit of ${limit}`);
  if (size > (buf.length - (at - base)) * MAX_INFLATE_RATIO + 64) throw new PackFormatError(`the object at ${at} claims ${size} bytes, more than its data can hold`, true);
  const stored = size <= STORED_MAX ? storedStream(buf, at - base, size) : undefined;
  if (stored) return stored;
  let res: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // One output chunk of the object's size: zlib's default 16 KiB per call is most of the cost.
    res = zlib.inflateSync(buf.subarray(at - base), { info: true, chunkSize: Math.max(64, Math.min(size, 1 << 20)), maxOutputLength: Math.max(size, 1) }) as unknown as typeof res;
  } catch (e) {
    throw new PackFormatError(`the object at ${at} does not inflate: ${(e as Error).message}`, (e as { code?: string }).code === 'Z_BUF_ERROR');
  }
  if (res.buffer.length !== size) throw new PackFormatError(`the object at ${at} inflates to ${res.buffer.length} bytes, not ${size}`);
  return { data: res.buffer, used: res.engine.bytesWritten };
}

/** The largest object read from stored blocks without zlib: past it, checking the Adler-32 here costs more than zlib's set-up. */
const STORED_MAX = 4096;

/**
 * A zlib stream of stored (uncompressed) deflate blocks at `i`, as `vfi assert --batch` packs its
 * records, read without zlib: each node:zlib call builds a stream object (~0.1 ms cold), and `vfi
 * assertions` reads a few dozen such objects. Only a stream that is well formed to its Adler-32
 * and gives exactly `size` bytes is read here (RFC 1950/1951); anything else (compressed blocks, a
 * preset dictionary, damage, a cut) is undefined, for zlib to inflate or refuse as before.
 */
function storedStream(buf: Buffer, i: number, size: number): { data: Buffer; used: number } | undefined {
  const start = i;
  if (i + 2 > buf.length) return undefined;
  const cmf = buf[i]!;
  const flg = buf[i + 1]!;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || flg & 0x20 || ((cmf << 8) | flg) % 31 !== 0) return undefined;
  i += 2;
  const data = Buffer.allocUnsafe(size);
  let o = 0;
  for (let final = 0; !final;) {
    if (i + 5 > buf.length) return undefined;
    const head = buf[i]!;
    // BFINAL, BTYPE 00 (stored), the rest of the byte zero
    if (head > 1) return undefined;
    final = head;
    const len = buf.readUInt16LE(i + 1);
    if ((len ^ 0xffff) !== buf.readUInt16LE(i + 3) || i + 5 + len > buf.length || o + len > size) return undefined;
    buf.copy(data, o, i + 5, i + 5 + len);
    o += len;
    i += 5 + len;
  }
  if (o !== size || i + 4 > buf.length || adler32(data) !== buf.readUInt32BE(i)) return undefined;
  return { data, used: i + 4 - start };
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let k = 0; k < data.length;) {
    // 5552 bytes at most between reductions keep b within 2^32 (zlib's NMAX)
    for (const end = Math.min(k + 5552, data.length); k < end; k++) {
      a += data[k]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Apply a git delta to its base; a result larger than `limit` is refused before anything is allocated. */
export function applyDelta(base: Buffer, delta: Buffer, limit = OBJECT_SIZE_LIMIT): Buffer {
  let i = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    let c: number;
    do {
      c = delta[i++]!;
      n += (c & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 60) throw new PackFormatError('delta header does not end');
    } while (c & 0x80 && i < delta.length);
    return n;
  };
  if (varint() !== base.length) throw new PackFormatError('delta does not match its base');
  const size = varint();
  if (size > limit) throw new PackFormatError(`delta result of ${size} bytes is over the limit of ${limit}`);
  // an instruction gives at most 127 inserted bytes, or one copy of at most 16 MiB of the base
  if (size > delta.length * Math.max(127, Math.min(2 ** 24, base.length))) throw new PackFormatError(`delta claims a result of ${size} bytes that its instructions cannot make`);
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
      if (i > delta.length || off + len > base.length || o + len > size) throw new PackFormatError('delta copies outside its base');
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

const IDX_V2_MAGIC = Buffer.from([0xff, 0x74, 0x4f, 0x63]);
const FANOUT_BYTES = 256 * 4;
/** Ids either side of where a lookup guesses its id is: an evenly spread id's place in a fanout range of n ids is off the guess by at most sqrt(n)/2 as a standard deviation (32 at a million objects). */
const GUESS_WINDOW = 64;

/**
 * The bytes of an index file where the index needs them: a Buffer held whole (bufferBytes), or the
 * file read in pages with positioned reads (git/packs.ts), so that finding one id in a 30 MB index
 * touches its fanout table and a few pages, as git's mmap does.
 */
export interface IndexBytes {
  readonly length: number;
  /** `len` bytes from `at`, within `length` */
  slice(at: number, len: number): Buffer;
  /** The bytes at `at` against `key`, ordered as Buffer.compare orders them, with nothing allocated (a lookup compares ~15 ids). */
  compare(at: number, key: Uint8Array): number;
}

export const bufferBytes = (buf: Buffer): IndexBytes => ({ length: buf.length, slice: (at, len) => buf.subarray(at, at + len), compare: (at, key) => compareAt(buf, at, key) });

/** A pack index, read in place: the fanout table, the sorted ids, the offsets. */
export class PackIndex {
  private constructor(
    private readonly src: IndexBytes,
    readonly version: 1 | 2,
    readonly count: number,
    private readonly fanout: Buffer,
    private readonly idsAt: number,
    /** bytes from one id to the next (20 in v2; 24 in v1, where each id follows its offset) */
    private readonly idStride: number,
    private readonly offsetsAt: number,
    private readonly largeAt: number,
    private readonly largeCount: number,
  ) {}

  /** Parse an idx file held whole; PackFormatError when its layout is not one of v1 or v2. */
  static parse(buf: Buffer): PackIndex {
    return PackIndex.open(bufferBytes(buf));
  }

  /** Read an idx file's layout (its first 1,032 bytes); the rest is read as lookups need it. */
  static open(src: IndexBytes): PackIndex {
    const len = src.length;
    if (len >= 8 && src.slice(0, 4).equals(IDX_V2_MAGIC)) {
      const version = src.slice(4, 4).readUInt32BE(0);
      if (version !== 2) throw new PackFormatError(`pack index version ${version} is not supported (only 1 and 2 are)`);
      if (len < 8 + FANOUT_BYTES + 40) throw new PackFormatError('the pack index is too short');
      const fanout = Buffer.from(src.slice(8, FANOUT_BYTES));
      const count = fanout.readUInt32BE(255 * 4);
      const fixed = 8 + FANOUT_BYTES + count * 28 + 40;
      const large = len - fixed;
      if (large < 0 || large % 8 !== 0) throw new PackFormatError('the pack index has the wrong size for its object count');
      const idsAt = 8 + FANOUT_BYTES;
      return new PackIndex(src, 2, count, checkFanout(fanout), idsAt, 20, idsAt + count * 24, idsAt + count * 28, large / 8);
    }
    if (len < FANOUT_BYTES + 40) throw new PackFormatError('the pack index is too short');
    const fanout = Buffer.from(src.slice(0, FANOUT_BYTES));
    const count = fanout.readUInt32BE(255 * 4);
    if (len !== FANOUT_BYTES + count * 24 + 40) throw new PackFormatError('the pack index has the wrong size for its object count');
    return new PackIndex(src, 1, count, checkFanout(fanout), FANOUT_BYTES + 4, 24, FANOUT_BYTES, 0, 0);
  }

  private u32(at: number): number {
    return this.src.slice(at, 4).readUInt32BE(0);
  }

  /** The checksum of the pack this index belongs to. */
  get packChecksum(): Buffer {
    return this.src.slice(this.src.length - 40, 20);
  }

  /** Does the index's own trailing SHA-1 match its content? */
  checksumOk(): boolean {
    const len = this.src.length;
    const sum = createHash('sha1').update(this.src.slice(0, len - 20)).digest();
    return sum.equals(this.src.slice(len - 20, 20));
  }

  idAt(i: number): string {
    return this.src.slice(this.idsAt + i * this.idStride, 20).toString('hex');
  }

  offsetAt(i: number): number {
    if (this.version === 1) return this.u32(this.offsetsAt + i * 24);
    const small = this.u32(this.offsetsAt + i * 4);
    if (!(small & 0x80000000)) return small;
    const row = small & 0x7fffffff;
    if (row >= this.largeCount) throw new PackFormatError('the pack index names a large offset it does not hold');
    const at = this.largeAt + row * 8;
    return this.u32(at) * 2 ** 32 + this.u32(at + 4);
  }

  /** The offset of the object `id` (40 hex digits) in the pack, or undefined if the pack lacks it. */
  find(id: string): number | undefined {
    const key = Buffer.from(id, 'hex');
    if (key.length !== 20) return undefined;
    const first = key[0]!;
    let lo = first === 0 ? 0 : this.fanout.readUInt32BE((first - 1) * 4);
    let hi = this.fanout.readUInt32BE(first * 4);
    // Ids are SHA-1s, spread evenly: the key's next bytes say about where it sits in its fanout
    // range, so the first two probes bracket a window around that guess, which a lookup then
    // searches within one or two pages of the index (halving from the middle of a million-object
    // index's range read five pages). Any probe only narrows the range: a poor guess costs two probes.
    if (hi - lo > 2 * GUESS_WINDOW) {
      const guess = lo + Math.floor((key.readUIntBE(1, 3) / 0x1000000) * (hi - lo));
      for (const at of [Math.max(lo, guess - GUESS_WINDOW), guess + GUESS_WINDOW]) {
        if (at < lo || at >= hi) continue;
        const c = this.compareAt(at, key);
        if (c === 0) return this.offsetAt(at);
        if (c > 0) hi = at;
        else lo = at + 1;
      }
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareAt(mid, key);
      if (c === 0) return this.offsetAt(mid);
      if (c > 0) hi = mid;
      else lo = mid + 1;
    }
    return undefined;
  }

  private compareAt(i: number, key: Buffer): number {
    return this.src.compare(this.idsAt + i * this.idStride, key);
  }
}

function checkFanout(fanout: Buffer): Buffer {
  let last = 0;
  for (let b = 0; b < 256; b++) {
    const n = fanout.readUInt32BE(b * 4);
    if (n < last) throw new PackFormatError('the pack index\'s fanout table is not sorted');
    last = n;
  }
  return fanout;
}

const TYPE_CODES = Object.fromEntries(Object.entries(PACK_TYPES).map(([code, type]) => [type, Number(code)])) as Record<ObjectType, number>;

/** The header of a whole object's entry: the type in bits 4-6 of the first byte, the size in 7-bit groups (readEntryHeader reads it). */
export function encodeEntryHeader(type: ObjectType, size: number): Buffer {
  const bytes: number[] = [];
  let c = (TYPE_CODES[type] << 4) | (size & 15);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(c | 0x80);
    c = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(c);
  return Buffer.from(bytes);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (the zlib/PNG one, as idx v2 records): node:zlib's from Node 20.15, else a table. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  return native ? native(data) : crc32ByTable(data);
}

export function crc32ByTable(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
