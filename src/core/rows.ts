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
