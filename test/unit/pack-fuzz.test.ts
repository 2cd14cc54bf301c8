/**
 * The native pack reader on 2,000 mutated packs (bit flips, truncations, oversized size headers,
 * oversized delta results, delta chains pointing anywhere), from a seeded PRNG so every run reads
 * the same packs: every read gives the object or a one-line STORE_DAMAGED, never another error,
 * and memory stays bounded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VfiError } from '../../src/errors.js';
import { PackSet } from '../../src/git/packs.js';
import { applyDelta, inflateEntry, OBJECT_SIZE_LIMIT, PackFormatError, readEntryHeader } from '../../src/core/pack.js';
import { gitBytes, tempDir } from '../helpers/cli.js';
import { prng } from '../helpers/prng.js';

const tmp = tempDir('vfi-pack-fuzz-');

const git = (repo: string, args: string[], input?: string): string => gitBytes(repo, args, input).toString('utf8');

describe('reading mutated packs', () => {
  const repo = path.join(tmp, 'repo');
  let pack: Buffer;
  let packFile = '';
  let ids: string[] = [];

  beforeAll(() => {
    git(repo, ['init', '-q', '--bare']);
    // one file growing over 12 commits: deltas on deltas
    let parent = '';
    let text = '';
    for (let i = 0; i < 12; i++) {
      text += `line ${i} ${'x'.repeat(i * 7)}\n`;
      const blob = git(repo, ['hash-object', '-w', '--stdin'], text).trim();
      const tree = git(repo, ['mktree'], `100644 blob ${blob}\tvfi.json\n`).trim();
      parent = git(repo, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', `c${i}`]).trim();
    }
    git(repo, ['update-ref', 'refs/vfi/Runtime', parent]);
    git(repo, ['repack', '-a', '-d', '-q', '--depth=50', '--window=50']);
    const dir = path.join(repo, 'objects', 'pack');
    packFile = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.pack'))!);
    pack = fs.readFileSync(packFile);
    ids = git(repo, ['rev-list', '--objects', '--all']).split('\n').filter(Boolean).map((l) => l.slice(0, 40));
    const verify = git(repo, ['verify-pack', '-v', packFile.replace(/\.pack$/, '.idx')]);
    expect(verify).toMatch(/chain length = [2-9]/);
  });

  it('2,000 mutations: each read is the object or STORE_DAMAGED, never a crash', () => {
    const random = prng(0x5eed);
    const pick = (n: number) => Math.floor(random() * n);
    const outcomes = { read: 0, damaged: 0 };
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    for (let round = 0; round < 2000; round++) {
      let bytes = Buffer.from(pack);
      const kind = round % 5;
      if (kind === 0) {
        for (let k = 1 + pick(8); k > 0; k--) bytes[12 + pick(bytes.length - 32)]! ^= 1 << pick(8);
      } else if (kind === 1) {
        bytes = Buffer.concat([bytes.subarray(0, 12 + pick(bytes.length - 12)), Buffer.alloc(20)]);
      } else if (kind === 2) {
        // an entry header claiming an enormous size: continuation bits on, large groups
        const at = 12 + pick(bytes.length - 40);
        bytes[at] = (bytes[at]! & 0x70) | 0x8f;
        for (let k = 1; k <= 1 + pick(9); k++) bytes[at + k] = 0xff;
        bytes[at + 10] = 0x7f;
      } else if (kind === 3) {
        // a delta header claiming a huge result: overwrite bytes just after an entry header
        const at = 12 + pick(bytes.length - 40);
        for (let k = 0; k < 6; k++) bytes[at + k] = 0xff;
        bytes[at + 6] = 0x0f;
      } else {
        // an OFS_DELTA pointing back to a random place (chains into garbage or loops)
        const at = 12 + pick(bytes.length - 40);
        bytes[at] = 0x60 | (bytes[at]! & 0x0f);
        bytes[at + 1] = pick(0x80);
      }
      fs.writeFileSync(packFile, bytes);
      const packs = new PackSet(repo, () => undefined);
      try {
        for (const id of ids) {
          try {
            if (packs.read(id, false)) outcomes.read++;
          } catch (e) {
            if (!(e instanceof VfiError) || e.code !== 'STORE_DAMAGED') throw new Error(`round ${round} (${kind}), ${id}: ${(e as Error).stack}`);
            expect(e.message).not.toMatch(/\n/);
            outcomes.damaged++;
          }
        }
      } finally {
        packs.close();
      }
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    fs.writeFileSync(packFile, pack);
    expect(outcomes.damaged).toBeGreaterThan(1000);
    expect(outcomes.read).toBeGreaterThan(1000);
    expect(rssPeak - rssBefore).toBeLessThan(512 * 2 ** 20);
  }, 300_000);
});

describe('sizes a pack claims', () => {
  const varint = (n: number) => {
    const b: number[] = [];
    do {
      b.push((n % 128) | (n >= 128 ? 0x80 : 0));
      n = Math.floor(n / 128);
    } while (n > 0);
    return b;
  };

  it('a delta whose result claims 1 TiB, or more than the limit, is refused before anything is allocated', () => {
    const base = Buffer.from('abc');
    for (const size of [2 ** 40, 2 ** 31, OBJECT_SIZE_LIMIT + 1]) {
      const delta = Buffer.from([...varint(3), ...varint(size), 0x91, 0, 3]);
      expect(() => applyDelta(base, delta)).toThrowError(PackFormatError);
    }
    // within the limit but beyond what its instructions can make
    expect(() => applyDelta(base, Buffer.from([...varint(3), ...varint(2 ** 20), 0x91, 0, 3]))).toThrowError(PackFormatError);
    expect(applyDelta(base, Buffer.from([...varint(3), ...varint(3), 0x91, 0, 3])).toString()).toBe('abc');
  });

  it('an entry claiming more than the limit, or more than its bytes can inflate to, is refused', () => {
    const data = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    expect(() => inflateEntry(data, 0, 2 ** 40)).toThrowError(PackFormatError);
    expect(() => inflateEntry(data, 0, 2 ** 20)).toThrowError(PackFormatError);
    expect(() => readEntryHeader(Buffer.alloc(16, 0xff), 12, 0)).toThrowError(PackFormatError);
  });
});
