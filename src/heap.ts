/**
 * `vfi assert --batch` streams an input of any size keeping a few tens of MB live, yet V8 sizes
 * its heap for speed: it lets the old generation grow to several times what is live, and a
 * 1M-record batch peaked at 250-300 MiB against its 256 MiB budget. V8's optimize-for-size mode
 * grows the heap only as far as it must, and is read as the heap grows, so it can be turned on
 * here, for this command only. Given to node at start (a launcher line), it or any other V8 flag
 * made every command slower (`vfi show Runtime~50000` on the big store 150 -> 162 ms, medians of
 * 24). Measured on that batch: 195-209 MiB peak, the same wall time. `vfi import` of 100,000
 * VFIs peaks at 228 MiB either way (its memory is not the heap's), so it does not ask.
 */
import { setFlagsFromString } from 'node:v8';

export function favourMemoryOverSpeed(): void {
  setFlagsFromString('--optimize-for-size');
}
