import { describe, expect, it } from 'vitest';
import { formatTable, plural } from '../../src/commands/table.js';

const ID = 'b383463cf0f42b9a2095b40fc4cc597443da47f2';

describe('formatTable', () => {
  it('aligns columns under a header row and leaves the last column unpadded', () => {
    expect(formatTable([['Runtime', ID, '2'], ['Base', ID, '10']], { header: ['NAME', 'HEAD', 'N'] })).toEqual([
      `NAME     HEAD${' '.repeat(38)}N`,
      `Runtime  ${ID}  2`,
      `Base     ${ID}  10`,
    ]);
  });

  it('prints nothing, not even the header, for no rows', () => {
    expect(formatTable([], { header: ['X', 'Y'] })).toEqual([]);
  });

  it('leaves the header out with headers: false (--no-headers)', () => {
    expect(formatTable([['a', 'b']], { header: ['X', 'Y'], headers: false })).toEqual(['a  b']);
  });

  it('cuts only the shrinkable columns, widest first, with …, to fit 100 columns', () => {
    const message = 'm'.repeat(120);
    const rows = [[ID, '2026-11-01T12:00:00Z', 'Alice Example', message]];
    const [header, line] = formatTable(rows, { header: ['ID', 'AT', 'AUTHOR', 'MESSAGE'], shrink: [2, 3] });
    expect(line).toHaveLength(100);
    expect(line!.startsWith(`${ID}  2026-11-01T12:00:00Z  Alice Example  m`)).toBe(true);
    expect(line!.endsWith('m…')).toBe(true);
    expect(header!.indexOf('MESSAGE')).toBe(line!.lastIndexOf('  ') + 2);
  });

  it('never cuts a column that is not shrinkable, even when the row is wider than 100', () => {
    const address = `registry.example.com/team/router@sha256:${'a'.repeat(64)}`;
    const [line] = formatTable([[ID, address, address]], { shrink: [] });
    expect(line).toBe(`${ID}  ${address}  ${address}`);
  });

  it('shrinks a column no further than its header or 8 characters', () => {
    const [, line] = formatTable([[ID, ID, 'Alice Example Person', 'x'.repeat(50)]], { header: ['A', 'B', 'AUTHOR', 'NOTE'], shrink: [2, 3] });
    expect(line!.split('  ')[2]).toBe('Alice E…');
    expect(line!.split('  ')[3]).toBe('xxxxxxx…');
  });

  it('fits a narrower width when asked', () => {
    for (const line of formatTable([['abc', 'd'.repeat(40)]], { shrink: [1], width: 20 })) expect(line.length).toBeLessThanOrEqual(20);
  });
});

describe('plural', () => {
  it.each([
    [0, 'assertion', '0 assertions'],
    [1, 'assertion', '1 assertion'],
    [2, 'assertion', '2 assertions'],
    [1, 'VFI', '1 VFI'],
    [3, 'VFI', '3 VFIs'],
  ])('%i %s', (n, one, expected) => expect(plural(n, one)).toBe(expected));
  it('takes an irregular plural', () => expect(plural(2, 'index', 'indexes')).toBe('2 indexes'));
});
