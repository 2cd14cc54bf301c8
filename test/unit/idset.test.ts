import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/core/rows.js';

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
