/**
 * Fixed-width rows kept off the heap in chunks allocated as they are needed and never copied:
 * growing to a million rows holds no second copy of the first half (as a doubling array does),
 * and the collector never walks them.
 */
const PER_CHUNK = 1 << 16;

export class Rows {
  private readonly chunks: Buffer[] = [];
  length = 0;

  constructor(readonly width: number) {}

  /** Add a zeroed row; returns its index. */
  push(): number {
    const i = this.length++;
    if (i === this.chunks.length * PER_CHUNK) this.chunks.push(Buffer.alloc(this.width * PER_CHUNK));
    return i;
  }

  /** The chunk that holds row `i`; the row starts at `at(i)` in it. */
  chunk(i: number): Buffer {
    return this.chunks[Math.floor(i / PER_CHUNK)]!;
  }

  at(i: number): number {
    return (i % PER_CHUNK) * this.width;
  }
}

/**
 * 20-byte object ids, each with a fixed-width value, kept off the heap in one open-addressed table
 * (20 + width bytes a slot, half the slots free at most), against 80-odd bytes a string in a Set
 * or Map: for a writer that must not write an object twice, and for what a batch knows of each
 * VFI it met.
 */
const ZERO = Buffer.alloc(20);

export class IdMap {
  private readonly slot: number;
  private table: Buffer;
  private size = 0;
  /** the value of the all-zero id, which marks a free slot in the table */
  private zero: Buffer | undefined;
  private readonly probe = Buffer.alloc(20);

  constructor(readonly width: number) {
    this.slot = 20 + width;
    this.table = Buffer.alloc(this.slot * 1024);
  }

  get count(): number {
    return this.size + (this.zero ? 1 : 0);
  }

  /** The value of the id (40 hex digits), a view valid until the next add; undefined when absent. */
  get(id: string): Buffer | undefined {
    this.probe.write(id, 0, 20, 'hex');
    if (this.probe.equals(ZERO)) return this.zero;
    const o = this.find(this.table, this.probe, 0);
    return this.table.readUInt32BE(o) === 0 && this.isFree(this.table, o) ? undefined : this.table.subarray(o + 20, o + this.slot);
  }

  /** Add the id with its value (zeroes when not given); false, and nothing changed, when it was there already. */
  add(id: string, value?: Buffer): boolean {
    this.probe.write(id, 0, 20, 'hex');
    if (this.probe.equals(ZERO)) {
      if (this.zero) return false;
      this.zero = Buffer.alloc(this.width);
      value?.copy(this.zero);
      return true;
    }
    const o = this.find(this.table, this.probe, 0);
    if (!this.isFree(this.table, o)) return false;
    this.probe.copy(this.table, o);
    value?.copy(this.table, o + 20, 0, this.width);
    if (++this.size * 2 > this.table.length / this.slot) this.grow();
    return true;
  }

  private isFree(table: Buffer, o: number): boolean {
    return table.readUInt32BE(o) === 0 && table.compare(ZERO, 0, 20, o, o + 20) === 0;
  }

  /** The slot of `table` holding the id at `at` of `from`, or the free slot where it would go. */
  private find(table: Buffer, from: Buffer, at: number): number {
    const mask = table.length / this.slot - 1;
    // An id is a hash already: its first four bytes spread the slots evenly.
    for (let slot = from.readUInt32BE(at) & mask; ; slot = (slot + 1) & mask) {
      const o = slot * this.slot;
      if (this.isFree(table, o) || table.compare(from, at, at + 20, o, o + 20) === 0) return o;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = Buffer.alloc(old.length * 2);
    for (let o = 0; o < old.length; o += this.slot) {
      if (!this.isFree(old, o)) old.copy(this.table, this.find(this.table, old, o), o, o + this.slot);
    }
  }
}

/** A set of ids off the heap (IdMap without values). */
export class IdSet {
  private readonly ids = new IdMap(0);

  /** Add the id (40 hex digits); false when it was there already. */
  add(id: string): boolean {
    return this.ids.add(id);
  }
}
