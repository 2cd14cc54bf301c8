import { describe, expect, it } from 'vitest';
import { lines } from '../../src/store/lineStream.js';

describe('lines (JSON Lines read as it arrives)', () => {
  it('gives the same numbered non-blank lines however the input is cut into chunks', async () => {
    const text = 'a\n\n  \nbb\r\n' + 'x'.repeat(50) + '\nccc\nlast';
    const want = text.split('\n').flatMap((l, i) => (/^[ \t\r]*$/.test(l) ? [] : [`${i + 1}:${l}`]));
    for (let size = 1; size <= 60; size++) {
      const bytes = Buffer.from(text);
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      const got: string[] = [];
      for await (const l of lines(chunks(), 'x')) got.push(`${l.line}:${l.bytes.toString()}`);
      expect(got).toEqual(want);
    }
  });
});
