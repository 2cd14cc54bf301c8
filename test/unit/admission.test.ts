import { describe, expect, it } from 'vitest';
import { commitProblem, filedRecordProblem, plainRecordSha256 } from '../../src/core/admission.js';
import { makeRecord, makeSignedRecord, recordFileName, type Assertion } from '../../src/core/assertion.js';
import { generateKeyPair, parsePrivateKey } from '../../src/core/dsse.js';
import { blobId, encodeCommit, sha256Hex } from '../../src/core/gitObject.js';

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

describe('plainRecordSha256 (the read of a record without a JSON tree)', () => {
  const vfiBytes = Buffer.from('{\n  "nsq": {\n    "address": "nsqio/nsq:v0.3.8",\n    "type": "dockerImage"\n  }\n}\n');
  const base: Assertion = { name: 'Runtime', vfi: blobId(vfiBytes), sha256: sha256Hex(vfiBytes), claim: 'tests-passed', result: 'pass', by: 'CI', at: '2026-11-01T12:00:00.000001Z' };
  const filed = (bytes: Buffer, id: string, name: string, subject = base.vfi) => ({ id, bytes, name, subject });
  /** what the full check says, and the fast read must not accept anything it refuses, nor state another sha256 */
  const agree = (f: ReturnType<typeof filed>) => {
    const full = filedRecordProblem({ ...f, component: false });
    const fast = plainRecordSha256(f);
    if (fast !== undefined) expect(full).toEqual({ sha256: fast });
    return { full, fast };
  };

  it('accepts what vfi assert writes, and takes the full check for notes, evidence and signed records', () => {
    const r = makeRecord(base);
    expect(agree(filed(r.bytes, r.record, recordFileName(r))).fast).toBe(base.sha256);
    for (const extra of [{ note: 'n' }, { evidence: 'https://ci.example.com/1' }]) {
      const n = makeRecord({ ...base, ...extra });
      const { full, fast } = agree(filed(n.bytes, n.record, recordFileName(n)));
      expect(full).toEqual({ sha256: base.sha256 });
      expect(fast).toBeUndefined();
    }
    const key = parsePrivateKey(generateKeyPair().privatePem, 'k');
    const s = makeSignedRecord(base, key);
    expect(agree(filed(s.bytes, s.record, recordFileName(s))).fast).toBeUndefined();
  });

  it('refuses nothing the full check accepts and accepts nothing it refuses: wrong name, subject, fields, and 3,000 mutated records', () => {
    const r = makeRecord(base);
    const name = recordFileName(r);
    expect(agree(filed(r.bytes, r.record, name.replace('pass', 'fail'))).fast).toBeUndefined();
    expect(agree(filed(r.bytes, 'c'.repeat(40), name)).fast).toBeUndefined();
    expect(agree(filed(r.bytes, r.record, name, 'd'.repeat(40))).fast).toBeUndefined();
    for (const change of [{ by: ' ' }, { by: 'x'.repeat(201) }, { claim: 'a..b' }, { at: '2026-02-30T12:00:00Z' }, { name: '-x' }, { sha256: 'A'.repeat(64) }, { by: 'Zoë' }]) {
      const bad = makeRecord({ ...base, ...change });
      agree(filed(bad.bytes, bad.record, recordFileName(bad)));
    }
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(r.bytes);
      const kind = rand(4);
      if (kind === 0) bytes[rand(bytes.length)] = rand(256);
      else if (kind === 1) bytes[rand(bytes.length)] = [0x22, 0x5c, 0x0a, 0x20, 0x7b, 0x30, 0x61][rand(7)]!;
      const mutated = kind === 2 ? bytes.subarray(0, rand(bytes.length)) : kind === 3 ? Buffer.concat([bytes.subarray(0, rand(bytes.length)), Buffer.from(' '), bytes.subarray(rand(bytes.length))]) : bytes;
      if (agree(filed(mutated, r.record, name)).fast !== undefined) accepted++;
    }
    // a mutation that leaves the bytes as they were (a byte set to itself) is still accepted
    expect(accepted).toBeLessThan(3000);
  });
});
