/**
 * Objects written as they come into one new pack, for the writers that make hundreds of thousands
 * of objects at once (`vfi import`, `vfi assert --batch`): one sequential file instead of a loose
 * file (and three system calls) per object, and a fixed memory for the index whatever the count. The
 * pack is a temp file that no reader sees until `finish` renames it and its idx into place, so a
 * writer that fails on line 900,000 (a bad line, a reference that does not resolve) or is killed
 * leaves the store as it was: `abandon` removes the temp file, and fsck names a left-over one.
 * Objects are stored whole and uncompressed (zlib's stored blocks: a deflate per object costs Node
 * more than everything else a record takes), so the pack is about twice the size of a compressed
 * one; `git gc` repacks and compresses it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { VfiError } from '../errors.js';
import { objectId, type ObjectType } from '../core/gitObject.js';
import { crc32, encodeEntryHeader } from '../core/pack.js';
import { syncDir } from './durable.js';
import { IdSet } from '../core/rows.js';
import { mkdirs, namingPath } from '../errno.js';

const FLUSH_BYTES = 1 << 20;
const LOOSE_FIRST = 10_000;
const HELD_BYTES = 16 << 20;

/**
 * Write all of `data` at `position` of `file` (open as `fd`): a write may take only part (a
 * file-size limit), and the next then fails with its errno, which names the file.
 */
function writeAll(fd: number, file: string, data: Buffer, position: number): void {
  namingPath(file, () => {
    for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done, position + done);
  });
}

export class PackWriter {
  private readonly dir: string;
  private readonly tmp: string;
  private fd: number | undefined;
  private offset = 12;
  private buf = Buffer.allocUnsafe(FLUSH_BYTES);
  private used = 0;
  /**
   * per object: its id (20 bytes), pack offset (8, as a double) and CRC-32 (4), for the idx; held
   * RUN at a time, each full run sorted and spilled to a temp file, so that memory does not grow
   * with the objects (a million records' runs are 32 MB on disk, merged when the idx is written)
   */
  private run = Buffer.allocUnsafe(RUN * ROW);
  private inRun = 0;
  private spilled = 0;
  private runsFd: number | undefined;
  private readonly runs: string;
  /** objects whose id starts with each byte: the idx's fanout */
  private readonly fanout = new Uint32Array(256);
  /** ids written that may be written again (trees, VFIs); records are unique by their time */
  private seen = new IdSet();

  /**
   * The first LOOSE_FIRST objects are held in memory; when there are no more, `finish` writes
   * them with `loose` (the store's loose objects): a small import or batch writes no pack, as
   * before, which also keeps it within a small file-size limit. Past that, they go into the pack.
   */
  constructor(gitdir: string, private readonly loose: (type: ObjectType, body: Buffer) => string) {
    this.dir = path.join(gitdir, 'objects', 'pack');
    this.tmp = path.join(this.dir, `tmp_pack_${process.pid}_${randomBytes(4).toString('hex')}`);
    this.runs = path.join(this.dir, `tmp_idx_${process.pid}_${randomBytes(4).toString('hex')}`);
  }

  private held: { type: ObjectType; body: Buffer; known?: string }[] | undefined = [];
  private heldBytes = 0;

  private open(): number {
    mkdirs(this.dir, path.dirname(path.dirname(this.dir))); // not the store itself, were it moved meanwhile
    this.fd = fs.openSync(this.tmp, 'wx+', 0o444);
    writeAll(this.fd, this.tmp, Buffer.alloc(12), 0); // the header, written with its count at the end
    return this.fd;
  }

  /** objects in the pack (not those written loose) */
  get count(): number {
    return this.spilled + this.inRun;
  }

  /**
   * Add an object; returns its id. With `known`, its id as the caller computed it (a record's
   * blob id), and the caller knows it was not added before.
   */
  write(type: ObjectType, body: Buffer, known?: string): string {
    if (this.held) {
      if (this.held.length < LOOSE_FIRST && this.heldBytes < HELD_BYTES) {
        this.held.push({ type, body, ...(known !== undefined ? { known } : {}) });
        this.heldBytes += body.length;
        return known ?? objectId(type, body);
      }
      const held = this.held;
      this.held = undefined;
      this.fd = this.open();
      for (const h of held) this.write(h.type, h.body, h.known);
    }
    const unique = known !== undefined;
    const id = known ?? objectId(type, body);
    if (!unique) {
      if (!this.seen.add(id)) return id;
    }
    const header = encodeEntryHeader(type, body.length);
    const size = header.length + storedZlibSize(body.length);
    if (this.used + size > this.buf.length) this.flush();
    // Entries are laid out straight into the write buffer: no allocation per object.
    const inBuffer = size <= this.buf.length;
    const out = inBuffer ? this.buf.subarray(this.used, this.used + size) : Buffer.allocUnsafe(size);
    header.copy(out, 0);
    storedZlib(body, out, header.length);
    if (this.inRun === RUN) this.spill();
    const at = this.inRun++ * ROW;
    this.run.write(id, at, 20, 'hex');
    this.run.writeDoubleLE(this.offset, at + 20);
    this.run.writeUInt32LE(crc32(out) >>> 0, at + 28);
    this.fanout[this.run[at]!]!++;
    this.offset += size;
    if (inBuffer) this.used += size;
    else writeAll(this.fd!, this.tmp, out, this.offset - size);
    return id;
  }

  /** Sort the run in memory and append it to the runs file. */
  private spill(): void {
    const sorted = sortRows(this.run, this.inRun);
    if (this.runsFd === undefined) this.runsFd = fs.openSync(this.runs, 'wx+', 0o444);
    writeAll(this.runsFd, this.runs, sorted, this.spilled * ROW);
    this.spilled += this.inRun;
    this.inRun = 0;
  }

  private flush(): void {
    if (this.used === 0) return;
    writeAll(this.fd!, this.tmp, this.buf.subarray(0, this.used), this.offset - this.used);
    this.used = 0;
  }

  /** Put the pack and its idx in place, readable by vfi and git; a pack of nothing is just removed. The pack's file name, if one was written. */
  finish(): string | undefined {
    if (this.held) {
      for (const h of this.held) this.loose(h.type, h.body);
      this.held = undefined;
      return undefined;
    }
    if (this.count === 0) {
      this.abandon();
      return undefined;
    }
    this.flush();
    const fd = this.fd!;
    const header = Buffer.alloc(12);
    header.write('PACK', 0, 'latin1');
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(this.count, 8);
    writeAll(fd, this.tmp, header, 0);
    // The checksum covers the header, known only now: one more sequential read of the file.
    const hash = createHash('sha1');
    const chunk = Buffer.allocUnsafe(FLUSH_BYTES * 4);
    for (let pos = 0; pos < this.offset; ) {
      const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, this.offset - pos), pos);
      if (n <= 0) throw new VfiError('STORE_IO', `${this.tmp}: the pack being written ends early`, { file: this.tmp });
      hash.update(chunk.subarray(0, n));
      pos += n;
    }
    const checksum = hash.digest();
    writeAll(fd, this.tmp, checksum, this.offset);
    fs.fsyncSync(fd); // durable before the ref that needs it moves (durable.ts)
    fs.closeSync(fd);
    this.fd = undefined;
    const name = `pack-${checksum.toString('hex')}`;
    const idxTmp = path.join(this.dir, `tmp_idx_${process.pid}_${randomBytes(4).toString('hex')}`);
    try {
      this.writeIndex(idxTmp, checksum);
      // The pack before its idx, as git does: a reader finds packs by their idx.
      fs.renameSync(this.tmp, path.join(this.dir, `${name}.pack`));
      fs.renameSync(idxTmp, path.join(this.dir, `${name}.idx`));
      syncDir(this.dir);
    } finally {
      fs.rmSync(idxTmp, { force: true });
      fs.rmSync(this.tmp, { force: true });
      this.dropRuns();
    }
    // Nothing more is written: a batch advances the pick caches next, with this memory back.
    this.buf = Buffer.alloc(0);
    this.seen = new IdSet();
    return `${name}.pack`;
  }

  private dropRuns(): void {
    if (this.runsFd !== undefined) fs.closeSync(this.runsFd);
    this.runsFd = undefined;
    fs.rmSync(this.runs, { force: true });
  }

  /** Forget everything written: the store is as it was. */
  abandon(): void {
    this.held = undefined;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    fs.rmSync(this.tmp, { force: true });
    this.dropRuns();
  }

  /**
   * Write to `file` an idx v2 of the objects written, each section in id order: from the one run
   * in memory, or merged from the sorted runs on disk (read through a small window each, once
   * per section), through one small buffer.
   */
  private writeIndex(file: string, checksum: Buffer): void {
    const runs: RunReader[] = [];
    if (this.spilled === 0) runs.push(new RunReader(sortRows(this.run, this.inRun), undefined, 0, this.inRun));
    else {
      if (this.inRun > 0) this.spill();
      for (let from = 0; from < this.spilled; from += RUN) runs.push(new RunReader(undefined, this.runsFd!, from, Math.min(RUN, this.spilled - from)));
    }
    this.run = Buffer.alloc(0);
    const fd = fs.openSync(file, 'wx', 0o444);
    try {
      const out = new HashingWriter(fd, file);
      const head = Buffer.alloc(8 + 1024);
      head.writeUInt32BE(0xff744f63, 0);
      head.writeUInt32BE(2, 4);
      let total = 0;
      for (let b = 0; b < 256; b++) head.writeUInt32BE((total += this.fanout[b]!), 8 + b * 4);
      out.put(head);
      merged(runs, (row, at) => out.copy(row, at, 20));
      merged(runs, (row, at) => out.uint32(row.readUInt32LE(at + 28)));
      const large: number[] = [];
      merged(runs, (row, at) => {
        const offset = row.readDoubleLE(at + 20);
        if (offset < 0x80000000) out.uint32(offset);
        else out.uint32((0x80000000 | large.push(offset) - 1) >>> 0);
      });
      for (const offset of large) {
        out.uint32(Math.floor(offset / 2 ** 32));
        out.uint32(offset % 2 ** 32);
      }
      out.put(checksum);
      out.put(out.digest());
      out.flush();
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

const ROW = 32;
/** rows sorted in memory at a time: 4 MB */
const RUN = 1 << 17;
const WINDOW = 2048;

/** The first six bytes of a row's id as a number: compares as the id does, but for ties. */
const key = (rows: Buffer, at: number): number => rows.readUIntBE(at, 6);

/** The first `n` rows of `rows`, sorted by id, in a new buffer. */
function sortRows(rows: Buffer, n: number): Buffer {
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = key(rows, i * ROW);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => keys[a]! - keys[b]! || rows.compare(rows, b * ROW, b * ROW + 20, a * ROW, a * ROW + 20));
  const out = Buffer.allocUnsafe(n * ROW);
  for (let i = 0; i < n; i++) rows.copy(out, i * ROW, order[i]! * ROW, order[i]! * ROW + ROW);
  return out;
}

/** One sorted run, read from its start again for each section: in memory, or from the runs file a window at a time. */
class RunReader {
  private window: Buffer;
  private loaded = 0;
  private base = 0;
  pos = 0;

  constructor(
    private readonly whole: Buffer | undefined,
    private readonly fd: number | undefined,
    private readonly from: number,
    readonly length: number,
  ) {
    this.window = whole ?? Buffer.allocUnsafe(WINDOW * ROW);
  }

  rewind(): void {
    this.pos = 0;
    this.base = 0;
    this.loaded = this.whole ? this.length : 0;
  }

  /** The buffer holding the current row, and where in it; call only while pos < length. */
  row(): [Buffer, number] {
    if (this.pos - this.base >= this.loaded) {
      this.base = this.pos;
      const n = Math.min(WINDOW, this.length - this.pos);
      const bytes = n * ROW;
      for (let done = 0; done < bytes; ) {
        const got = fs.readSync(this.fd!, this.window, done, bytes - done, (this.from + this.pos) * ROW + done);
        if (got <= 0) throw new VfiError('STORE_IO', 'the sorted runs of the pack being written end early', {});
        done += got;
      }
      this.loaded = n;
    }
    return [this.window, (this.pos - this.base) * ROW];
  }
}

/** Visit every row of the runs in id order. */
function merged(runs: RunReader[], visit: (row: Buffer, at: number) => void): void {
  for (const r of runs) r.rewind();
  const keys = new Float64Array(runs.length);
  const load = (i: number) => {
    const r = runs[i]!;
    if (r.pos < r.length) {
      const [b, at] = r.row();
      keys[i] = key(b, at);
    } else keys[i] = Infinity;
  };
  runs.forEach((_, i) => load(i));
  for (;;) {
    let best = -1;
    for (let i = 0; i < runs.length; i++) {
      if (keys[i] === Infinity) continue;
      if (best < 0 || keys[i]! < keys[best]!) best = i;
      else if (keys[i] === keys[best]) {
        const [a, at] = runs[i]!.row();
        const [b, bt] = runs[best]!.row();
        if (a.compare(b, bt, bt + 20, at, at + 20) < 0) best = i;
      }
    }
    if (best < 0) return;
    const [b, at] = runs[best]!.row();
    visit(b, at);
    runs[best]!.pos++;
    load(best);
  }
}

/** Sequential writes to a file through one buffer, hashing what passes. */
class HashingWriter {
  private readonly buf = Buffer.allocUnsafe(FLUSH_BYTES);
  private used = 0;
  private position = 0;
  private readonly hash = createHash('sha1');

  constructor(
    private readonly fd: number,
    private readonly file: string,
  ) {}

  private room(n: number): void {
    if (this.used + n > this.buf.length) this.flush();
  }

  put(data: Buffer): void {
    this.room(data.length);
    data.copy(this.buf, this.used);
    this.used += data.length;
  }

  copy(from: Buffer, at: number, n: number): void {
    this.room(n);
    from.copy(this.buf, this.used, at, at + n);
    this.used += n;
  }

  uint32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v, this.used);
    this.used += 4;
  }

  /** The SHA-1 of everything put so far; what is put after it is written, not hashed. */
  digest(): Buffer {
    this.hash.update(this.buf.subarray(0, this.used));
    this.sealed = true;
    return this.hash.digest();
  }

  private sealed = false;

  flush(): void {
    if (this.used === 0) return;
    if (!this.sealed) this.hash.update(this.buf.subarray(0, this.used));
    writeAll(this.fd, this.file, this.buf.subarray(0, this.used), this.position);
    this.position += this.used;
    this.used = 0;
  }
}

const storedZlibSize = (n: number): number => 2 + Math.max(1, Math.ceil(n / 65535)) * 5 + n + 4;

/** Write into `out` at `at` a zlib stream of `body` in stored (uncompressed) deflate blocks, which any inflater reads. */
function storedZlib(body: Buffer, out: Buffer, at: number): void {
  const blocks = Math.max(1, Math.ceil(body.length / 65535));
  out[at] = 0x78;
  out[at + 1] = 0x01;
  at += 2;
  for (let b = 0; b < blocks; b++) {
    const from = b * 65535;
    const len = Math.min(65535, body.length - from);
    out[at] = b === blocks - 1 ? 1 : 0;
    out.writeUInt16LE(len, at + 1);
    out.writeUInt16LE(~len & 0xffff, at + 3);
    body.copy(out, at + 5, from, from + len);
    at += 5 + len;
  }
  out.writeUInt32BE(adler32(body), at);
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    // As zlib: at most 5552 bytes between reductions keeps the sums within 32 bits.
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
