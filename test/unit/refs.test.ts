import { describe, expect, it } from 'vitest';
import { parseVfiRef } from '../../src/core/vfiRef.js';
import { nameProblem } from '../../src/core/names.js';

describe('parseVfiRef (SPEC §2)', () => {
  const id = 'b383463cf0f42b9a2095b40fc4cc597443da47f2';
  it.each([
    [`Runtime@${id}`, { kind: 'id', name: 'Runtime', prefix: id }],
    ['Runtime@b383463', { kind: 'id', name: 'Runtime', prefix: 'b383463' }],
    ['Runtime@B383', { kind: 'id', name: 'Runtime', prefix: 'b383' }],
    [id, { kind: 'bare', prefix: id, alsoName: true }],
    ['b383', { kind: 'bare', prefix: 'b383', alsoName: true }],
    ['Runtime', { kind: 'head', name: 'Runtime', back: 0 }],
    ['Runtime~2', { kind: 'head', name: 'Runtime', back: 2 }],
    ['Runtime~0', { kind: 'head', name: 'Runtime', back: 0 }],
    ['my.app_v2-x', { kind: 'head', name: 'my.app_v2-x', back: 0 }],
    ['abc', { kind: 'head', name: 'abc', back: 0 }], // too short to be an id prefix
  ])('%s', (input, expected) => {
    expect(parseVfiRef(input)).toEqual(expected);
  });

  it.each([
    'Runtime@b38', // prefix shorter than 4
    'Runtime@xyz1',
    `Runtime@${id}0`, // 41 hex
    '@b383463',
    '../x',
    'a..b',
    'x.lock',
    'Runtime~',
    'Runtime~-1',
    '-Runtime',
    '',
    'Run time',
    'a/b',
  ])('refuses %j', (input) => {
    expect(() => parseVfiRef(input)).toThrowError(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
  });
});

describe('nameProblem', () => {
  it.each(['Runtime', 'a', 'A1', '0', 'x'.repeat(128), 'a.b', 'a_b-c'])('accepts %s', (n) => {
    expect(nameProblem(n)).toBeUndefined();
  });
  it.each(['', '../x', 'a..b', 'x.lock', '.hidden', '_x', 'x'.repeat(129), 'a/b', 'a b', 'ü', 'a@b', 'a~1'])('refuses %j', (n) => {
    expect(nameProblem(n)).toBeTypeOf('string');
  });
});
