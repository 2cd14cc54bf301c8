/**
 * Writing git's pack formats, for tests that build packs git itself would not (a REF_DELTA on a base
 * outside its pack, damaged entries): an entry header and an idx v2. vfi writes no packs (git fetch
 * does); src/core/pack.ts reads them, and test/unit/pack.test.ts checks this writer against git's
 * own index-pack.
 */
import { createHash } from 'node:crypto';
import { encodeEntryHeader } from '../../src/core/pack.js';

const IDX_V2_MAGIC = Buffer.from([0xff, 0x74, 0x4f, 0x63]);
const FANOUT_BYTES = 256 * 4;

export { encodeEntryHeader };

export interface IndexEntry {
  /** 40 hex digits */
  id: string;
  offset: number;
  /** CRC-32 of the entry's bytes in the pack (header and deflated data) */
  crc: number;
}

/** An idx v2 for a pack whose trailing checksum is `packChecksum`. */
export function encodePackIndex(entries: readonly IndexEntry[], packChecksum: Buffer): Buffer {
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000);
  const buf = Buffer.alloc(8 + FANOUT_BYTES + n * 28 + large.length * 8 + 40);
  IDX_V2_MAGIC.copy(buf, 0);
  buf.writeUInt32BE(2, 4);
  const idsAt = 8 + FANOUT_BYTES;
  const crcAt = idsAt + n * 20;
  const offsetsAt = crcAt + n * 4;
  const largeAt = offsetsAt + n * 4;
  const counts = new Array<number>(256).fill(0);
  let row = 0;
  sorted.forEach((e, i) => {
    if (buf.write(e.id, idsAt + i * 20, 20, 'hex') !== 20) throw new Error(`not an object id: ${e.id}`);
    counts[buf[idsAt + i * 20]!]!++;
    buf.writeUInt32BE(e.crc >>> 0, crcAt + i * 4);
    if (e.offset < 0x80000000) buf.writeUInt32BE(e.offset, offsetsAt + i * 4);
    else {
      buf.writeUInt32BE((0x80000000 | row) >>> 0, offsetsAt + i * 4);
      buf.writeUInt32BE(Math.floor(e.offset / 2 ** 32), largeAt + row * 8);
      buf.writeUInt32BE(e.offset % 2 ** 32, largeAt + row * 8 + 4);
      row++;
    }
  });
  let total = 0;
  for (let b = 0; b < 256; b++) buf.writeUInt32BE((total += counts[b]!), 8 + b * 4);
  const end = buf.length - 40;
  packChecksum.copy(buf, end);
  createHash('sha1').update(buf.subarray(0, end + 20)).digest().copy(buf, end + 20);
  return buf;
}
