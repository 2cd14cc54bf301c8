/** Git's pack formats (core/pack.ts): indexes git writes (v1, v2), and ones the tests' pack writer makes, checked by git; entry headers; deltas. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyDelta, inflateEntry, OFS_DELTA, PackFormatError, packHeaderProblem, PackIndex, readEntryHeader, REF_DELTA } from '../../src/core/pack.js';
import { gitBytes, tempDir } from '../helpers/cli.js';
import { encodePackIndex } from '../helpers/packWriter.js';

const tmp = tempDir('vfi-pack-');
const repo = path.join(tmp, 'repo.git');
const git = (args: string[], input?: string | Buffer) => gitBytes(repo, args, input);

/** `git show-index`'s reading of an idx: offset, id and CRC-32 of each entry. */
function showIndex(idx: Buffer): { offset: number; id: string; crc?: number }[] {
  return git(['show-index'], idx).toString().split('\n').filter(Boolean).map((l) => {
    const [offset, id, crc] = l.split(' ');
    return { offset: Number(offset), id: id!, ...(crc ? { crc: parseInt(crc.slice(1, -1), 16) } : {}) };
  });
}

describe('pack indexes', () => {
  let pack = '';
  beforeAll(() => {
    git(['init', '--bare', '--quiet']);
    const ids = Array.from({ length: 300 }, (_, i) => git(['hash-object', '-w', '--stdin'], `object ${i}\n`).toString().trim());
    pack = path.join(tmp, 'all.pack');
    fs.writeFileSync(pack, git(['pack-objects', '--stdout', '-q'], `${ids.join('\n')}\n`));
  });

  it.each([
    ['v2, as git writes it', 2],
    ['v1, as git index-pack --index-version=1 writes it', 1],
  ])('finds every object of an idx %s at the offset git reads', (_what, version) => {
    const file = path.join(tmp, `v${version}.idx`);
    git(['index-pack', `--index-version=${version}`, '-o', file, pack]);
    const idx = fs.readFileSync(file);
    const index = PackIndex.parse(idx);
    const rows = showIndex(idx);
    expect(rows).toHaveLength(300);
    expect(index.version).toBe(version);
    expect(index.count).toBe(300);
    expect(index.checksumOk()).toBe(true);
    for (const { id, offset } of rows) expect(index.find(id)).toBe(offset);
    rows.forEach(({ id, offset }, i) => expect([index.idAt(i), index.offsetAt(i)]).toEqual([id, offset]));
    // absent ids: below, between and above the stored ones, and in an empty fanout bucket
    for (const id of ['0'.repeat(40), 'f'.repeat(40), `${rows[0]!.id.slice(0, 39)}${rows[0]!.id.endsWith('0') ? '1' : '0'}`]) {
      if (!rows.some((r) => r.id === id)) expect(index.find(id)).toBeUndefined();
    }
  });

  it('the tests\' pack writer makes the very idx v2 that git index-pack writes', () => {
    const file = path.join(tmp, 'again.idx');
    git(['index-pack', '-o', file, pack]);
    const idx = fs.readFileSync(file);
    const rows = showIndex(idx).map(({ id, offset, crc }) => ({ id, offset, crc: crc! }));
    expect(encodePackIndex(rows, PackIndex.parse(idx).packChecksum).equals(idx)).toBe(true);
  });

  it('finds every id of a crowded fanout range, evenly spread or bunched, and none that is absent', () => {
    // A lookup first probes either side of where an evenly spread id would be: ids bunched at one
    // end of their range (the guess far off) must be found as surely as SHA-1s.
    const hex = (n: number) => n.toString(16).padStart(6, '0');
    const even = Array.from({ length: 2000 }, (_, i) => `ab${hex(Math.floor((i * 0xffffff) / 2000) + 1)}${'0'.repeat(32)}`);
    const bunched = Array.from({ length: 600 }, (_, i) => `cd${hex(i * 3)}${'1'.repeat(32)}`);
    const entries = [...even, ...bunched].map((id, i) => ({ id, offset: 12 + i * 10, crc: 0 }));
    const index = PackIndex.parse(encodePackIndex(entries, Buffer.alloc(20)));
    for (const e of entries) expect(index.find(e.id)).toBe(e.offset);
    const absent = [...even.map((id) => `${id.slice(0, 39)}f`), ...bunched.map((id) => `${id.slice(0, 8)}${'2'.repeat(32)}`), `ab${'f'.repeat(38)}`, `ab${'0'.repeat(38)}`];
    for (const id of absent) expect(index.find(id)).toBeUndefined();
  });

  it('writes offsets past 2 GiB in the large-offset table, as git reads them', () => {
    const entries = [
      { id: '1'.repeat(40), offset: 12, crc: 0x01020304 },
      { id: 'a'.repeat(40), offset: 2 ** 31, crc: 0xfffffffe },
      { id: '5'.repeat(40), offset: 2 ** 33 + 7, crc: 0 },
      { id: '0'.repeat(39) + '1', offset: 2 ** 31 - 1, crc: 77 },
    ];
    const idx = encodePackIndex(entries, Buffer.alloc(20, 0xab));
    const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(showIndex(idx)).toEqual(sorted.map(({ id, offset, crc }) => ({ offset, id, crc })));
    const index = PackIndex.parse(idx);
    for (const e of entries) expect(index.find(e.id)).toBe(e.offset);
    expect(index.packChecksum.equals(Buffer.alloc(20, 0xab))).toBe(true);
    expect(index.checksumOk()).toBe(true);
    expect(idx.length).toBe(8 + 1024 + 4 * 28 + 2 * 8 + 40); // two rows in the large table
  });

  const good = encodePackIndex([{ id: '2'.repeat(40), offset: 12, crc: 0 }, { id: '9'.repeat(40), offset: 40, crc: 0 }], Buffer.alloc(20));
  const mutate = (f: (b: Buffer) => Buffer) => f(Buffer.from(good));
  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['a truncated index', good.subarray(0, good.length - 7)],
    ['version 3', mutate((b) => (b.writeUInt32BE(3, 4), b))],
    ['a count that does not match the size', mutate((b) => (b.writeUInt32BE(3, 8 + 255 * 4), b))],
    ['a fanout table that goes down', mutate((b) => (b.writeUInt32BE(5, 8 + 0x10 * 4), b))],
    ['a v1 index of the wrong size', Buffer.alloc(1024 + 24 + 40 + 1)],
  ])('refuses %s', (_what, bad) => {
    expect(() => PackIndex.parse(bad)).toThrowError(PackFormatError);
  });

  it('refuses a large offset the table does not hold', () => {
    const idx = encodePackIndex([{ id: '3'.repeat(40), offset: 12, crc: 0 }], Buffer.alloc(20));
    idx.writeUInt32BE(0x80000000, 8 + 1024 + 24);
    expect(() => PackIndex.parse(idx).find('3'.repeat(40))).toThrowError(PackFormatError);
  });
});

describe('pack entry headers', () => {
  it.each([
    ['a small blob', [0x35], 100, { type: 3, size: 5, dataAt: 101 }],
    ['a commit of 300 bytes', [0x9c, 0x12], 100, { type: 1, size: 300, dataAt: 102 }],
    ['an OFS_DELTA 72 bytes back', [0x6a, 0x48], 100, { type: OFS_DELTA, size: 10, dataAt: 102, baseOffset: 28 }],
    // two bytes, with git's bias: ((0 + 1) << 7) + 0x48 = 200
    ['an OFS_DELTA 200 bytes back', [0x6a, 0x80, 0x48], 300, { type: OFS_DELTA, size: 10, dataAt: 303, baseOffset: 100 }],
    ['a REF_DELTA', [0x75, ...Buffer.from('c'.repeat(40), 'hex')], 100, { type: REF_DELTA, size: 5, dataAt: 121, baseId: 'c'.repeat(40) }],
  ])('reads %s', (_what, bytes, at, want) => {
    expect(readEntryHeader(Buffer.from([...bytes, 0, 0]), at, at)).toEqual(want);
    // the same entry inside a whole pack held from offset 0
    expect(readEntryHeader(Buffer.concat([Buffer.alloc(at), Buffer.from(bytes)]), at)).toEqual(want);
  });

  it.each([
    ['type 5 (reserved)', Buffer.from([0x55])],
    ['a header cut inside its size', Buffer.from([0xb5])],
    ['a REF_DELTA cut inside its base id', Buffer.from([0x75, 1, 2, 3])],
    ['an OFS_DELTA whose base would be before the pack', Buffer.from([0x6a, 0x80, 0x48])],
  ])('refuses %s', (_what, bad) => {
    expect(() => readEntryHeader(bad, 12, 12)).toThrowError(PackFormatError);
  });

  it('reads stored (uncompressed) streams as zlib does, and leaves zlib every stream it would refuse', () => {
    // What zlib makes of the stream at 2 of `buf`: the data and bytes used, or the error.
    const byZlib = (buf: Buffer, size: number) => {
      try {
        const r = inflateSync(buf.subarray(2), { info: true, maxOutputLength: Math.max(size, 1) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
        return r.buffer.length === size ? { data: r.buffer, used: r.engine.bytesWritten } : 'wrong size';
      } catch {
        return 'refused';
      }
    };
    const outcome = (buf: Buffer, size: number) => {
      try {
        return inflateEntry(buf, 2, size);
      } catch (e) {
        return e instanceof PackFormatError ? (e.message.includes('inflates to') ? 'wrong size' : 'refused') : e;
      }
    };
    let seed = 3;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    // Two stored blocks, as zlib writes a stream it was asked not to compress, by hand.
    const twoBlocks = (data: Buffer, cut: number) => {
      const block = (part: Buffer, final: number) => Buffer.concat([Buffer.from([final, part.length & 0xff, part.length >> 8, ~part.length & 0xff, (~part.length >> 8) & 0xff]), part]);
      const z = deflateSync(data, { level: 0 });
      return Buffer.concat([z.subarray(0, 2), block(data.subarray(0, cut), 0), block(data.subarray(cut), 1), z.subarray(z.length - 4)]);
    };
    for (let k = 0; k < 400; k++) {
      const data = Buffer.from(Array.from({ length: random(3000) }, () => random(256)));
      const streams = [deflateSync(data, { level: 0 }), deflateSync(data, { level: 1 }), twoBlocks(data, random(data.length + 1))];
      for (const z of streams) {
        const buf = Buffer.concat([Buffer.from('xx'), z, Buffer.from('next entry')]);
        expect(outcome(buf, data.length)).toEqual(byZlib(buf, data.length));
        // one byte changed anywhere (header, lengths, data, checksum), or the stream cut
        const bad = Buffer.from(buf);
        const at = 2 + random(z.length);
        bad[at] = bad[at]! ^ (1 << random(8));
        expect(outcome(bad, data.length)).toEqual(byZlib(bad, data.length));
        const cut = buf.subarray(0, 2 + random(z.length));
        expect(outcome(cut, data.length)).toEqual(byZlib(cut, data.length));
        if (data.length > 0) expect(outcome(buf, data.length - 1)).toEqual(byZlib(buf, data.length - 1));
      }
    }
    // each byte of a stored stream's header and block header changed, one bit at a time
    const z = Buffer.concat([Buffer.from('xx'), deflateSync(Buffer.from('a record'), { level: 0 }), Buffer.from('next entry')]);
    for (let at = 2; at < 9; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Buffer.from(z);
        bad[at] = bad[at]! ^ (1 << bit);
        expect(outcome(bad, 8)).toEqual(byZlib(bad, 8));
      }
    }
  });

  it('inflates an entry, and tells a cut stream (read more) from a damaged one', () => {
    const data = Buffer.from('the body of an object, '.repeat(50));
    const z = deflateSync(data);
    const buf = Buffer.concat([Buffer.from('xx'), z, Buffer.from('next entry')]);
    expect(inflateEntry(buf, 2, data.length)).toEqual({ data, used: z.length });
    const cut = (() => { try { inflateEntry(buf.subarray(0, 20), 2, data.length); } catch (e) { return e; } })() as PackFormatError;
    expect(cut).toBeInstanceOf(PackFormatError);
    expect(cut.truncated).toBe(true);
    const bad = Buffer.from(buf);
    bad[5]! ^= 0xff;
    const damaged = (() => { try { inflateEntry(bad, 2, data.length); } catch (e) { return e; } })() as PackFormatError;
    expect(damaged).toBeInstanceOf(PackFormatError);
    expect(damaged.truncated).toBe(false);
    expect(() => inflateEntry(buf, 2, data.length - 1)).toThrowError(PackFormatError);
  });
});

describe('applyDelta', () => {
  const base = Buffer.from('hello, world of compositions');
  // source size 28, target size 17: copy 7 bytes from offset 0, insert "vfi! ", copy 5 from offset 7
  const delta = Buffer.from([28, 17, 0x91, 0, 7, 5, ...Buffer.from('vfi! '), 0x91, 7, 5]);

  it('copies and inserts', () => {
    expect(applyDelta(base, delta).toString()).toBe('hello, vfi! world');
  });

  it.each([
    ['a base of the wrong size', Buffer.from([27, 1, 1, 0x41])],
    ['a copy outside the base', Buffer.from([28, 40, 0x91, 0, 40])],
    ['a result of the wrong size', Buffer.from([28, 9, 1, 0x41])],
    ['the reserved instruction 0', Buffer.from([28, 1, 0])],
    ['an insert past the delta\'s end', Buffer.from([28, 5, 5, 0x41])],
  ])('refuses %s', (_why, bad) => {
    expect(() => applyDelta(base, bad)).toThrowError(PackFormatError);
  });
});
