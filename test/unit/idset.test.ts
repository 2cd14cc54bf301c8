import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdMap, IdSet } from '../../src/core/rows.js';

const id = (n: number) => createHash('sha1').update(String(n)).digest('hex');

describe('IdSet (the pack writer\'s objects already written)', () => {
  it('says whether each id is new, through many growths, and knows the all-zero id and near-equal ids apart', () => {
    const set = new IdSet();
    for (let n = 0; n < 50_000; n++) expect(set.add(id(n))).toBe(true);
    for (let n = 0; n < 50_000; n += 7) expect(set.add(id(n))).toBe(false);
    expect(set.add('0'.repeat(40))).toBe(true);
    expect(set.add('0'.repeat(40))).toBe(false);
    // Same first four bytes (same slot), different last byte.
    expect(set.add(`${'0'.repeat(39)}1`)).toBe(true);
    expect(set.add(`${'0'.repeat(39)}1`)).toBe(false);
    expect(set.add(id(50_000))).toBe(true);
  });
});

describe('IdMap (what a batch knows of each VFI it met)', () => {
  it('keeps each id\'s value through many growths, the all-zero id too, and refuses to overwrite', () => {
    const map = new IdMap(32);
    const value = (n: number) => createHash('sha256').update(String(n)).digest();
    for (let n = 0; n < 30_000; n++) expect(map.add(id(n), value(n))).toBe(true);
    for (let n = 0; n < 30_000; n += 3) expect(map.get(id(n))?.equals(value(n))).toBe(true);
    expect(map.get(id(30_000))).toBeUndefined();
    expect(map.add(id(5), value(6))).toBe(false);
    expect(map.get(id(5))?.equals(value(5))).toBe(true);
    expect(map.get('0'.repeat(40))).toBeUndefined();
    expect(map.add('0'.repeat(40), value(1))).toBe(true);
    expect(map.get('0'.repeat(40))?.equals(value(1))).toBe(true);
    expect(map.get(`${'0'.repeat(39)}1`)).toBeUndefined();
    expect(map.count).toBe(30_001);
  });
});
