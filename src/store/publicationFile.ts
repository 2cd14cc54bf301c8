/**
 * A lineage's publications as fixed-width records, beside its lineage cache: `Name~N` is one read
 * at a known offset and `Name@prefix` a binary search, so neither loads a 100,000-long lineage.
 * Derived like the lineage cache (written whenever it is) and keyed by the head it was made from:
 * a file whose head is not the ref's is not used, and the caller loads the lineage instead.
 *
 * Layout: "VFIP", version, head (20 bytes), publication count, distinct id count (u32 BE each);
 * then the publications' VFI ids newest first (20 bytes each, `Name~0` first); then the distinct
 * ids sorted.
 */
import * as fs from 'node:fs';
import { VfiError } from '../errors.js';
import { compareAt } from '../core/gitObject.js';
import { readAt } from '../git/packs.js';
import { writeFileAtomic } from './lineageIndex.js';

const MAGIC = 'VFIP';
const VERSION = 1;
const HEADER = 4 + 4 + 20 + 4 + 4;

export class PublicationFile {
  private lookups = 0;
  private sorted: Buffer | undefined;

  private constructor(
    private readonly fd: number,
    /** publications, `Name~0` to `Name~(count-1)` */
    readonly count: number,
    private readonly distinct: number,
  ) {}

  /** The file for `head`, or undefined when it is missing, unreadable or made from another head. */
  static open(file: string, head: string): PublicationFile | undefined {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return undefined;
    }
    const h = Buffer.alloc(HEADER);
    const size = fs.fstatSync(fd).size;
    if (fs.readSync(fd, h, 0, HEADER, 0) === HEADER && h.toString('latin1', 0, 4) === MAGIC && h.readUInt32BE(4) === VERSION &&
      h.toString('hex', 8, 28) === head) {
      const count = h.readUInt32BE(28);
      const distinct = h.readUInt32BE(32);
      if (size === HEADER + 20 * (count + distinct)) return new PublicationFile(fd, count, distinct);
    }
    fs.closeSync(fd);
    return undefined;
  }

  static write(file: string, head: string, newestFirst: readonly string[]): void {
    const sorted = [...new Set(newestFirst)].sort();
    const buf = withHeader(head, newestFirst.length, sorted.length);
    let at = HEADER;
    for (const id of [...newestFirst, ...sorted]) at += buf.write(id, at, 20, 'hex');
    writeFileAtomic(file, buf);
  }

  /**
   * Write `file` for `head`: this file's publications with `newer` (ids, newest first) before
   * them. Bytes are copied, not read as ids: at 100,000 publications a rewrite through hex strings
   * and a sort took ~200 ms of every `vfi set` and of every pull that brought a publication.
   */
  writeWithNewer(file: string, head: string, newer: readonly string[]): void {
    const sorted = this.read(HEADER + 20 * this.count, 20 * this.distinct);
    // Where each id not yet among the sorted ones goes, in order (a few a publication).
    const inserts = [...new Set(newer)].map((id) => Buffer.from(id, 'hex'))
      .map((id) => ({ id, index: sortedIndex(sorted, this.distinct, id) }))
      .filter(({ id, index }) => !holds(sorted, this.distinct, index, id))
      .sort((a, b) => Buffer.compare(a.id, b.id));
    const buf = withHeader(head, this.count + newer.length, this.distinct + inserts.length);
    let at = HEADER;
    for (const id of newer) at += buf.write(id, at, 20, 'hex');
    if (fs.readSync(this.fd, buf, at, 20 * this.count, HEADER) !== 20 * this.count) throw cutShort();
    at += 20 * this.count;
    let from = 0;
    for (const { id, index } of inserts) {
      at += sorted.copy(buf, at, 20 * from, 20 * index);
      at += id.copy(buf, at);
      from = index;
    }
    sorted.copy(buf, at, 20 * from);
    writeFileAtomic(file, buf);
  }

  /** The VFI id of `Name~n`, or undefined past the oldest. */
  idAt(n: number): string | undefined {
    return n < this.count ? this.read(HEADER + 20 * n, 20).toString('hex') : undefined;
  }

  /** Every publication's VFI id, newest first. */
  newestFirst(): string[] {
    const all = this.read(HEADER, 20 * this.count);
    return Array.from({ length: this.count }, (_, i) => all.toString('hex', 20 * i, 20 * i + 20));
  }

  /** Distinct VFI ids published here that start with `prefix` (hex), sorted. */
  idsWithPrefix(prefix: string): string[] {
    const base = HEADER + 20 * this.count;
    // A few lookups read 20 bytes each; a batch's million read the sorted ids once (20 bytes per VFI).
    if (!this.sorted && ++this.lookups > 16) this.sorted = this.read(base, 20 * this.distinct);
    const sorted = this.sorted;
    if (sorted && prefix.length === 40) return this.hasId(sorted, prefix) ? [prefix] : [];
    const idAt = sorted ? (i: number) => sorted.toString('hex', 20 * i, 20 * i + 20) : (i: number) => this.read(base + 20 * i, 20).toString('hex');
    let lo = 0;
    let hi = this.distinct;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (idAt(mid) < prefix) lo = mid + 1;
      else hi = mid;
    }
    const found: string[] = [];
    for (let i = lo; i < this.distinct; i++) {
      const id = idAt(i);
      if (!id.startsWith(prefix)) break;
      found.push(id);
    }
    return found;
  }

  private readonly probe = Buffer.alloc(20);

  /** Is the full id among the sorted ids: a binary search over bytes, allocating nothing (a batch asks a million times). */
  private hasId(sorted: Buffer, id: string): boolean {
    this.probe.write(id, 0, 20, 'hex');
    return holds(sorted, this.distinct, sortedIndex(sorted, this.distinct, this.probe), this.probe);
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  /** `len` bytes at `at`: the size was checked at open, so fewer means the file was cut while open (a short read had left zeros, read as ids). */
  private read(at: number, len: number): Buffer {
    const buf = readAt(this.fd, at, len);
    if (buf.length !== len) throw cutShort();
    return buf;
  }
}

/** The file is replaced whole (a rename), never cut: one that shrinks while open was cut by something else. */
const cutShort = () =>
  new VfiError('STORE_IO', 'a lineage\'s publication cache (vfi-cache/lineages/*.pub) was cut short while it was read', {}, 'run the command again: the cache is rebuilt from git when it does not read');

/** A file's bytes for `head` with `count` publications and `distinct` ids, the header written. */
function withHeader(head: string, count: number, distinct: number): Buffer {
  const buf = Buffer.alloc(HEADER + 20 * (count + distinct));
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32BE(VERSION, 4);
  buf.write(head, 8, 'hex');
  buf.writeUInt32BE(count, 28);
  buf.writeUInt32BE(distinct, 32);
  return buf;
}

/** Where `id` is or would go among `n` sorted 20-byte ids: the first index whose id is not smaller. */
function sortedIndex(sorted: Buffer, n: number, id: Buffer): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAt(sorted, 20 * mid, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Is `id` the id at `index` of `n` sorted ones? */
const holds = (sorted: Buffer, n: number, index: number, id: Buffer): boolean => index < n && compareAt(sorted, 20 * index, id) === 0;
