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
    const buf = Buffer.alloc(HEADER + 20 * (newestFirst.length + sorted.length));
    buf.write(MAGIC, 0, 'latin1');
    buf.writeUInt32BE(VERSION, 4);
    buf.write(head, 8, 'hex');
    buf.writeUInt32BE(newestFirst.length, 28);
    buf.writeUInt32BE(sorted.length, 32);
    let at = HEADER;
    for (const id of [...newestFirst, ...sorted]) at += buf.write(id, at, 20, 'hex');
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
    let lo = 0;
    let hi = this.distinct;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = sorted.compare(this.probe, 0, 20, 20 * mid, 20 * mid + 20);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private read(at: number, len: number): Buffer {
    const buf = Buffer.alloc(len);
    fs.readSync(this.fd, buf, 0, len, at);
    return buf;
  }
}
