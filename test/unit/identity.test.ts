import { describe, expect, it } from 'vitest';
import { now, parseDate, recordNow } from '../../src/store/identity.js';

describe('the clock of publications and commits: VFI_NOW, else GIT_AUTHOR_DATE, else now', () => {
  it.each([
    ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00.000Z'],
    ['2026-11-01T12:00:00.123Z', '2026-11-01T12:00:00.123Z'],
    ['2026-11-01 13:00:00+01:00', '2026-11-01T12:00:00.000Z'],
    ['2026-11-01t12:00:00z', '2026-11-01T12:00:00.000Z'],
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['@1800000000', '2027-01-15T08:00:00.000Z'],
    ['@1800000000 +0000', '2027-01-15T08:00:00.000Z'],
    ['1800000000 +0200', '2027-01-15T08:00:00.000Z'],
    ['Fri, 15 Jan 2027 10:00:00 +0200', '2027-01-15T08:00:00.000Z'],
  ])('reads %j as %s', (value, iso) => {
    expect(parseDate(value)?.toISOString()).toBe(iso);
    expect(now({ VFI_NOW: value }).toISOString()).toBe(iso);
    expect(now({ GIT_AUTHOR_DATE: value }).toISOString()).toBe(iso);
  });

  it.each(['garbage', 'yesterday', '2026', '1800000000', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-01T25:00:00Z', '@', '2026-11-01T12:00:00Z trailing'])(
    'refuses %j, naming the variable, instead of using the real clock',
    (value) => {
      expect(parseDate(value)).toBeUndefined();
      for (const variable of ['VFI_NOW', 'GIT_AUTHOR_DATE']) {
        expect(() => now({ [variable]: value })).toThrowError(expect.objectContaining({ code: 'USAGE', data: { variable, value } }));
        expect(() => now({ [variable]: value })).toThrow(new RegExp(`^${variable}=`));
      }
    },
  );

  it('prefers VFI_NOW, and an empty variable counts as unset', () => {
    expect(now({ VFI_NOW: '2026-11-01T12:00:00Z', GIT_AUTHOR_DATE: '@0' }).toISOString()).toBe('2026-11-01T12:00:00.000Z');
    expect(now({ VFI_NOW: '', GIT_AUTHOR_DATE: '@0' }).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    const before = Date.now();
    const t = now({ VFI_NOW: '' }).getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

describe('the clock of assertion records: VFI_NOW, else now (never GIT_AUTHOR_DATE)', () => {
  it('reads VFI_NOW as publications do', () => {
    expect(recordNow({ VFI_NOW: '@1800000000', GIT_AUTHOR_DATE: '@0' }).toISOString()).toBe('2027-01-15T08:00:00.000Z');
    expect(() => recordNow({ VFI_NOW: 'garbage' })).toThrowError(expect.objectContaining({ code: 'USAGE', data: { variable: 'VFI_NOW', value: 'garbage' } }));
  });

  it.each(['2026-01-01T00:00:00Z', 'garbage'])('ignores GIT_AUTHOR_DATE=%j: git\'s variable, for commits', (value) => {
    const before = Date.now();
    const t = recordNow({ GIT_AUTHOR_DATE: value, VFI_NOW: '' }).getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});
