/**
 * A packfile of whole objects (gitformat-pack(5): "PACK", version 2, the object count, each object
 * as a type-and-size header and its zlib-deflated body, then the SHA-1 of all that), written as a
 * list of chunks so a large push is never copied into one buffer. No deltas: vfi's objects are
 * small, most are new, and the server stores and re-deltifies them as it likes.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { ObjectType } from '../core/gitObject.js';
import { encodeEntryHeader } from '../core/pack.js';

export interface PackChunks {
  chunks: Buffer[];
  bytes: number;
}

/**
 * Collects small buffers into large ones. zlib's synchronous calls return views into a 16 KiB
 * buffer each, so keeping one per object would hold 16 KiB per object in memory.
 */
class Chunks {
  readonly list: Buffer[] = [];
  bytes = 0;
  private current = Buffer.allocUnsafe(1 << 20);
  private used = 0;

  add(b: Buffer): void {
    if (this.used + b.length > this.current.length) {
      this.seal();
      if (b.length > this.current.length) this.current = Buffer.allocUnsafe(b.length);
    }
    b.copy(this.current, this.used);
    this.used += b.length;
    this.bytes += b.length;
  }

  seal(): void {
    if (this.used > 0) this.list.push(this.current.subarray(0, this.used));
    this.current = Buffer.allocUnsafe(Math.max(1 << 20, this.current.length));
    this.used = 0;
  }
}

/** A pack of `count` objects, read one by one from `next`. */
export async function writePack(count: number, next: (i: number) => Promise<{ type: ObjectType; body: Buffer }>): Promise<PackChunks> {
  const sha = createHash('sha1');
  const out = new Chunks();
  const add = (b: Buffer) => {
    sha.update(b);
    out.add(b);
  };
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'ascii');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(count, 8);
  add(head);
  for (let i = 0; i < count; i++) {
    const { type, body } = await next(i);
    add(encodeEntryHeader(type, body.length));
    // Level 1: most objects are a few hundred bytes, where higher levels gain little and cost more.
    add(deflateSync(body, { level: 1 }));
  }
  out.add(sha.digest());
  out.seal();
  return { chunks: out.list, bytes: out.bytes };
}
