import { describe, expect, it } from 'vitest';
import { commitProblem } from '../../src/core/admission.js';
import { encodeCommit } from '../../src/core/gitObject.js';

const T = 'a'.repeat(40);
const P = 'b'.repeat(40);
const sig = { name: 'Ann', email: 'a@x', timestamp: 1800000000, tzOffset: 60 };
const raw = (headers: string) => Buffer.from(`${headers}\n\nmsg\n`);

describe('commitProblem', () => {
  it('accepts what encodeCommit writes', () => {
    expect(commitProblem(encodeCommit({ tree: T, parents: [P, T], author: sig, committer: sig, message: 'm' }))).toBeUndefined();
    expect(commitProblem(encodeCommit({ tree: T, parents: [], author: { ...sig, timestamp: 0, tzOffset: -300 }, committer: sig, message: 'm' }))).toBeUndefined();
  });
  it.each([
    ['no committer line', `tree ${T}\nauthor A <a@x> 1 +0000`],
    ['a committer date -5', `tree ${T}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> -5 +0000`],
    ['a date after the year 9999', `tree ${T}\nauthor A <a@x> 99999999999999 +0000\ncommitter A <a@x> 1 +0000`],
    ['a zero-padded date', `tree ${T}\nauthor A <a@x> 01 +0000\ncommitter A <a@x> 1 +0000`],
    ['a time zone without a sign', `tree ${T}\nauthor A <a@x> 1 0000\ncommitter A <a@x> 1 +0000`],
    ['a "<" in the name', `tree ${T}\nauthor A< <a@x> 1 +0000\ncommitter A <a@x> 1 +0000`],
    ['a short tree id', `tree abc\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000`],
    ['parents after the author', `tree ${T}\nauthor A <a@x> 1 +0000\nparent ${P}\ncommitter A <a@x> 1 +0000`],
    ['an extra header', `tree ${T}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\nencoding latin1`],
  ])('refuses %s', (_what, headers) => {
    expect(commitProblem(raw(headers))).toBeDefined();
  });
  it('refuses a commit without a message separator', () => {
    expect(commitProblem(Buffer.from(`tree ${T}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n`))).toBeDefined();
  });
});
