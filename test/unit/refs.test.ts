import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

describe('parseVfiRef: the ~N part', () => {
  it.each([
    ['Runtime~99999999999999999999', /"~99999999999999999999" is not a count of publications: too large/],
    ['Runtime~', /"~" is not a count of publications/],
    ['Runtime~-1', /"~-1" is not a count of publications/],
    ['Runtime~1.5', /"~1.5" is not a count of publications/],
    ['Runtime~x', /"~x" is not a count of publications/],
    ['Runtime~ 1', /"~ 1" is not a count of publications/],
  ])('%s says the count is wrong, not the name', (input, message) => {
    expect(() => parseVfiRef(input)).toThrowError(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
    expect(() => parseVfiRef(input)).toThrow(message);
    expect(() => parseVfiRef(input)).not.toThrow(/name/);
  });
  it.each([
    ['Run time~1', /name may contain only/],
    ['a.~1', /name must not end in "\."/],
  ])('%s still blames the name', (input, message) => {
    expect(() => parseVfiRef(input)).toThrow(message);
  });
  it('takes any count a number can hold exactly', () => {
    expect(parseVfiRef(`Runtime~${Number.MAX_SAFE_INTEGER}`)).toEqual({ kind: 'head', name: 'Runtime', back: Number.MAX_SAFE_INTEGER });
    expect(parseVfiRef('Runtime~0012')).toEqual({ kind: 'head', name: 'Runtime', back: 12 });
  });
});

/** Does git accept `refs/vfi/<name>` as a ref name? (the real git, as the store's readers use it) */
const gitAccepts = (name: string): boolean => spawnSync('git', ['check-ref-format', `refs/vfi/${name}`]).status === 0;
const schemaPattern = new RegExp(
  (JSON.parse(readFileSync(new URL('../../schemas/vfi.schema.json', import.meta.url), 'utf8')) as { propertyNames: { pattern: string } }).propertyNames.pattern, 'u');
const SPEC_CHARSET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

describe('nameProblem', () => {
  const accepted = ['Runtime', 'a', 'A1', '0', 'x'.repeat(128), 'a.b', 'a_b-c', 'a-', 'a_', 'x.LOCK', 'x.lockx', 'x.lock.y', 'a.b.c', '1.0.2'];
  const refused: [string, boolean][] = [
    // [name, does git refuse it too?]
    ['', true], ['../x', true], ['a..b', true], ['x.lock', true], ['a.', true], ['a.b.', true], ['x'.repeat(127) + '.', true],
    ['a..', true], ['.hidden', true], ['a@{b', true], ['a/b', false], ['a b', true], ['a\tb', true], ['a~1', true], ['a^', true], ['a:b', true],
    ['a?', true], ['a*', true], ['a[b', true], ['a\\b', true], ['_x', false], ['-x', false], ['x'.repeat(129), false], ['ü', false], ['a@b', false], ['@', false],
  ];

  it.each(accepted)('accepts %s, and so does git check-ref-format', (n) => {
    expect(nameProblem(n)).toBeUndefined();
    expect(gitAccepts(n)).toBe(true);
    expect(schemaPattern.test(n)).toBe(true);
  });
  it.each(refused)('refuses %j (git refuses it too: %s)', (n, gitRefuses) => {
    expect(nameProblem(n)).toBeTypeOf('string');
    expect(gitAccepts(n)).toBe(!gitRefuses);
    expect(schemaPattern.test(n)).toBe(false);
  });

  // Every string of up to 4 characters over an alphabet that hits git's rules about dots.
  it('within the SPEC charset, accepts exactly what git accepts (all strings up to 4 of "a", ".", "-", "_", "l")', () => {
    const alphabet = ['a', '.', '-', '_', 'l'];
    let words = [''];
    const all: string[] = [];
    for (let len = 1; len <= 4; len++) {
      words = words.flatMap((w) => alphabet.map((c) => w + c));
      all.push(...words);
    }
    all.push('a.lock', 'al.lock', 'a.lock.', 'a..lock', 'a.loc');
    const disagree = all.filter((n) => SPEC_CHARSET.test(n) && (nameProblem(n) === undefined) !== gitAccepts(n));
    expect(disagree).toEqual([]);
    const acceptedButNotByGit = all.filter((n) => nameProblem(n) === undefined && !gitAccepts(n));
    expect(acceptedButNotByGit).toEqual([]);
    expect(all.filter((n) => (nameProblem(n) === undefined) !== schemaPattern.test(n))).toEqual([]);
  });
});
