import { describe, expect, it } from 'vitest';
import { parseAt } from '../../src/core/assertion.js';

// parseAt's check that a time names a real second, as it was written before (toISOString).
function byIsoString(at: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{3}|\d{6}))?Z$/.exec(at);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== `${m[1]}.000Z`) return undefined;
  return ms * 1000 + (m[2] === undefined ? 0 : Number(m[2].padEnd(6, '0')));
}

describe('parseAt', () => {
  it('takes and refuses the very times it took and refused when it compared toISOString', () => {
    const texts = ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00.123Z', '2026-11-01T12:00:00.123456Z', '0000-01-01T00:00:00Z', '0099-12-31T23:59:59Z',
      '9999-12-31T23:59:59.999999Z', '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2000-02-29T12:00:00Z', '1900-02-29T12:00:00Z', '2026-11-01T24:00:00Z',
      '2026-12-31T23:59:60Z', '2026-00-10T00:00:00Z', '2026-13-10T00:00:00Z', '2026-04-31T00:00:00Z', '2026-04-00T00:00:00Z', '2026-11-01T12:60:00Z', '2026-11-01 12:00:00Z'];
    let seed = 11;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const two = (n: number) => String(n).padStart(2, '0');
    for (let k = 0; k < 3000; k++) {
      texts.push(`${String(random(10000)).padStart(4, '0')}-${two(random(14))}-${two(random(33))}T${two(random(26))}:${two(random(62))}:${two(random(62))}Z`);
    }
    for (const t of texts) expect([t, parseAt(t)]).toEqual([t, byIsoString(t)]);
    expect(texts.filter((t) => parseAt(t) !== undefined).length).toBeGreaterThan(100);
  });
});
