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
 * A set of 20-byte object ids kept off the heap in one open-addressed table (28 bytes an id at
 * most, against 80-odd for a string in a Set), for a writer that must not write an object twice.
 */
const ZERO = Buffer.alloc(20);

export class IdSet {
  private table = Buffer.alloc(20 * 1024);
  private size = 0;
  private hasZero = false;
  private readonly probe = Buffer.alloc(20);

  /** Add the id (40 hex digits); false when it was there already. */
  add(id: string): boolean {
    this.probe.write(id, 0, 20, 'hex');
    if (this.probe.equals(ZERO)) return this.hasZero ? false : (this.hasZero = true);
    if (!this.place(this.table, this.probe, 0)) return false;
    if (++this.size * 2 > this.table.length / 20) this.grow();
    return true;
  }

  /** Put the id at `at` of `from` into `table` unless there; false when it was there. */
  private place(table: Buffer, from: Buffer, at: number): boolean {
    const mask = table.length / 20 - 1;
    // An id is a hash already: its first four bytes spread the slots evenly.
    for (let slot = from.readUInt32BE(at) & mask; ; slot = (slot + 1) & mask) {
      const o = slot * 20;
      if (table.readUInt32BE(o) === 0 && table.compare(ZERO, 0, 20, o, o + 20) === 0) {
        from.copy(table, o, at, at + 20);
        return true;
      }
      if (table.compare(from, at, at + 20, o, o + 20) === 0) return false;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = Buffer.alloc(old.length * 2);
    for (let o = 0; o < old.length; o += 20) if (old.compare(ZERO, 0, 20, o, o + 20) !== 0) this.place(this.table, old, o);
  }
}
