/** The assertion record: in-toto Statement bytes, file names, batch lines. Pure, table-driven. */
import { describe, expect, it } from 'vitest';
import {
  batchRequest,
  checkEvidence,
  firstNewAt,
  formatMicros,
  makeRecord,
  parseAt,
  parseRecord,
  parseRecordFileName,
  recordFileName,
  recordProblem,
  shownAt,
  statementOf,
  statementText,
  type Assertion,
} from '../../src/core/assertion.js';
import { canonicalText } from '../../src/core/canonical.js';
import { blobId, sha256Hex } from '../../src/core/gitObject.js';
import { parseIJson } from '../../src/core/ijson.js';

const VFI_BYTES = Buffer.from('{\n  "nsq": {\n    "address": "nsqio/nsq:v0.3.8",\n    "type": "dockerImage"\n  }\n}\n');
const base: Assertion = {
  name: 'Runtime',
  vfi: blobId(VFI_BYTES),
  sha256: sha256Hex(VFI_BYTES),
  claim: 'tests-passed',
  result: 'pass',
  by: 'CI',
  at: '2026-11-01T12:00:00.000Z',
};

describe('the record', () => {
  it('is the canonical bytes of an in-toto Statement v1 about the VFI', () => {
    const r = makeRecord({ ...base, note: 'unit + integration', evidence: 'https://ci.example.com/run/812' });
    expect(r.bytes.toString()).toBe(`{
  "_type": "https://in-toto.io/Statement/v1",
  "predicate": {
    "at": "2026-11-01T12:00:00.000Z",
    "by": "CI",
    "claim": "tests-passed",
    "evidence": "https://ci.example.com/run/812",
    "note": "unit + integration",
    "result": "pass"
  },
  "predicateType": "https://vfi.dev/assertion/v1",
  "subject": [
    {
      "digest": {
        "gitBlob": "${base.vfi}",
        "sha256": "${base.sha256}"
      },
      "name": "Runtime"
    }
  ]
}
`);
    expect(r.record).toBe(blobId(r.bytes));
  });

  it('has an exact id for fixed content: stores that record the same assertion agree on it', () => {
    expect(base.vfi).toBe('0035197624f263a0e917fa2ab2a4279113c2eb0e');
    expect(base.sha256).toBe('4c509458748978db8e77be878d1c1a681859ab8cdb249ae94ee63dca4ffd4863');
    expect(makeRecord(base).record).toBe('63e7147e9fc19d63398b539a57d526ce11541004');
  });

  it('leaves out absent note and evidence', () => {
    expect(Object.keys(statementOf(base).predicate as object).sort()).toEqual(['at', 'by', 'claim', 'result']);
  });

  it('reads back what it wrote, and finds nothing wrong with it', () => {
    const r = makeRecord({ ...base, note: 'n' });
    const back = parseRecord(r.bytes);
    expect(back).toEqual(r);
    expect(recordProblem(back)).toBeUndefined();
  });

  it.each<[string, (b: Assertion) => Partial<Assertion>, RegExp]>([
    ['a short subject id', () => ({ vfi: 'abc' }), /gitBlob/],
    ['a bad sha256', () => ({ sha256: 'x' }), /sha256/],
    ['a bad claim', () => ({ claim: 'no spaces' }), /claim/],
    ['a time with one fractional digit', () => ({ at: '2026-11-01T12:00:00.5Z' }), /"at"/],
    ['a time in nanoseconds', () => ({ at: '2026-11-01T12:00:00.000000001Z' }), /"at"/],
    ['a time with an offset', () => ({ at: '2026-11-01T12:00:00+01:00' }), /"at"/],
    ['a multi-line note', () => ({ note: 'a\nb' }), /"note"/],
    ['ftp evidence', () => ({ evidence: 'ftp://example.com/x' }), /"evidence"/],
  ])('finds %s wrong', (_what, change, problem) => {
    const r = makeRecord({ ...base, ...change(base) });
    expect(recordProblem(r)).toMatch(problem);
  });

  it.each<[string, Partial<Assertion>]>([
    ['a plain record', {}],
    ['a note and evidence', { note: 'ran "all" \\ tests é 😀', evidence: 'https://ci.example.com/run/1?x=<y>' }],
    ['a note alone', { note: 'n' }],
    ['an image', { vfi: '', sha256: '', name: 'docker.io/library/nsq', component: { type: 'dockerImage', name: 'docker.io/library/nsq', digest: 'a'.repeat(64) } }],
    ['a git commit', { vfi: '', sha256: '', name: 'github.com/o/r', component: { type: 'git', name: 'github.com/o/r', digest: 'b'.repeat(40) } }],
    ['text JSON escapes', { by: 'a\u0001b\u2028c', claim: 'x.y_z-1' }],
  ])('writes the Statement of %s as canonicalText writes it', (_what, change) => {
    const a = { ...base, ...change };
    expect(statementText(a)).toBe(canonicalText(statementOf(a)));
  });

  it('finds non-canonical bytes wrong', () => {
    const r = makeRecord(base);
    const compact = Buffer.from(JSON.stringify(JSON.parse(r.bytes.toString())));
    expect(recordProblem(parseRecord(compact))).toBe('not in canonical form');
  });

  it.each<[string, string]>([
    ['not JSON', '{'],
    ['another _type', JSON.stringify({ ...statementOf(base), _type: 'https://in-toto.io/Statement/v0.1' })],
    ['another predicateType', JSON.stringify({ ...statementOf(base), predicateType: 'https://slsa.dev/provenance/v1' })],
    ['two subjects', JSON.stringify({ ...statementOf(base), subject: [1, 2] })],
    ['a result that is neither', JSON.stringify({ ...statementOf(base), predicate: { ...(statementOf(base).predicate as object), result: 'ok' } })],
  ])('refuses to read %s', (_what, text) => {
    expect(() => parseRecord(Buffer.from(text))).toThrow();
  });
});

const MICROS = '2026-11-01T12:00:00.000001Z';

describe('record file names', () => {
  it.each(['tests-passed', 'a', 'x-pass-y', 'a-fail-b-pass', 'v1.2_rc', 'A'.repeat(128)])('round-trip the claim %s', (claim) => {
    for (const result of ['pass', 'fail'] as const) {
      const r = makeRecord({ ...base, at: MICROS, claim, result });
      const file = recordFileName(r);
      expect(file).toBe(`20261101T120000.000001Z-${claim}-${result}-${r.record}.json`);
      expect(file.length).toBeLessThan(256);
      expect(parseRecordFileName(file)).toEqual({ claim, result, at: Date.parse('2026-11-01T12:00:00Z') * 1000 + 1, record: r.record });
    }
  });

  // What earlier versions wrote, spelt out here rather than made with today's code.
  it.each<[string, string, number]>([
    ['whole seconds (the first records)', '20261101T120000Z', 0],
    ['milliseconds', '20261101T120000.250Z', 250_000],
    ['microseconds', '20261101T120000.250001Z', 250_001],
  ])('read names in %s', (_what, stamp, micros) => {
    const record = 'b'.repeat(40);
    expect(parseRecordFileName(`${stamp}-tests-passed-fail-${record}.json`)).toEqual({
      claim: 'tests-passed', result: 'fail', at: Date.parse('2026-11-01T12:00:00Z') * 1000 + micros, record,
    });
  });

  it('order records by time whatever format named them', () => {
    const stamps = ['20261101T120000.000001Z', '20261101T115959.999Z', '20261101T120001Z', '20261101T120000.001Z', '20261101T115959Z'];
    const ats = stamps.map((t) => parseRecordFileName(`${t}-a-pass-${'c'.repeat(40)}.json`)!.at);
    expect(stamps.map((t, i) => [t, ats[i]]).sort((x, y) => (x[1] as number) - (y[1] as number)).map(([t]) => t)).toEqual([
      '20261101T115959Z', '20261101T115959.999Z', '20261101T120000.000001Z', '20261101T120000.001Z', '20261101T120001Z',
    ]);
  });

  it('give the same name to a record as its `at` says, in every format', () => {
    for (const at of ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00.000Z', MICROS]) {
      const r = makeRecord({ ...base, at });
      expect(parseRecordFileName(recordFileName(r))?.at).toBe(parseAt(at));
      expect(recordProblem(parseRecord(r.bytes))).toBeUndefined();
    }
  });

  it.each([
    'README.md',
    // a signed record's name is `….dsse.json` (test/unit/trust.test.ts); nothing else after the id
    `20261101T120000.000Z-tests-passed-pass-${'a'.repeat(40)}.sig.json`,
    `20261101T120000.000Z-tests-passed-ok-${'a'.repeat(40)}.json`,
    `20261101T120000.000Z-tests-passed-pass-${'a'.repeat(39)}.json`,
    `20261101T120000.000Z--pass-${'a'.repeat(40)}.json`,
    `20261101T120000.000Z-.x-pass-${'a'.repeat(40)}.json`,
    `20261301T120000Z-x-pass-${'a'.repeat(40)}.json`,
    `20261101T120000.5Z-x-pass-${'a'.repeat(40)}.json`,
    `20261101T120000.0000Z-x-pass-${'a'.repeat(40)}.json`,
    `2026-11-01T120000Z-x-pass-${'a'.repeat(40)}.json`,
  ])('are not read into %s', (file) => {
    expect(parseRecordFileName(file)).toBeUndefined();
  });
});

describe('times', () => {
  it.each([
    ['2026-11-01T12:00:00.999Z', '2026-11-01T12:00:00.999000Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000000Z'],
    ['2026-02-28T23:59:59.25+02:00', '2026-02-28T21:59:59.250000Z'],
  ])('write %s as %s, microseconds in UTC', (input, out) => {
    expect(formatMicros(Date.parse(input) * 1000)).toBe(out);
    expect(parseAt(out)).toBe(Date.parse(input) * 1000);
  });
  it.each<[number, string]>([
    [1, '2026-11-01T12:00:00.999001Z'],
    [999, '2026-11-01T12:00:00.999999Z'],
    [1000, '2026-11-01T12:00:01.000000Z'],
    [2_000_001, '2026-11-01T12:00:02.999001Z'],
  ])('write the clock reading plus %i microseconds as %s', (micros, out) => {
    expect(formatMicros(Date.parse('2026-11-01T12:00:00.999Z') * 1000 + micros)).toBe(out);
  });
  it('read the forms earlier versions wrote: whole seconds and milliseconds', () => {
    const second = Date.parse('2026-11-01T12:00:00Z') * 1000;
    expect(parseAt('2026-11-01T12:00:00Z')).toBe(second);
    expect(parseAt('2026-11-01T12:00:00.000Z')).toBe(second);
    expect(parseAt('2026-11-01T12:00:00.001Z')).toBe(second + 1000);
    expect(parseAt('2026-11-01T12:00:00.000001Z')).toBe(second + 1);
  });
  it('read a second again as the first time, valid or not', () => {
    for (let i = 0; i < 2; i++) {
      expect(parseAt('2026-02-30T00:00:00.000001Z')).toBeUndefined();
      expect(parseAt('2026-02-28T00:00:00.000001Z')).toBe(Date.parse('2026-02-28T00:00:00Z') * 1000 + 1);
    }
  });
  it('keep consecutive records in order', () => {
    const d = Date.parse('2026-11-01T12:00:00Z') * 1000;
    const ats = Array.from({ length: 2000 }, (_, i) => parseAt(formatMicros(d + i))!);
    for (let i = 1; i < ats.length; i++) expect(ats[i]! - ats[i - 1]!).toBe(1);
  });
  it.each<[string, number, number | undefined, number]>([
    ['an empty directory: the clock', 100, undefined, 100],
    ['records before the clock: the clock', 100, 99, 100],
    ['a record at the clock (a fixed clock, run again): just after it', 100, 100, 101],
    ['a record after the clock (a clock behind another machine\'s): just after it', 100, 5000, 5001],
    ['a record dated 9999-12-31T23:59:59.999999Z, after which none can be written: the clock', 100, parseAt('9999-12-31T23:59:59.999999Z')!, 100],
  ])('date new records after every record about the VFI: %s', (_what, clock, latest, first) => {
    expect(firstNewAt(clock, latest)).toBe(first);
  });
  it.each(['2026-11-01T12:00:00', '2026-11-01 12:00:00Z', '2026-02-30T00:00:00.000Z', '2026-11-01T12:00:00.5Z', '2026-11-01T12:00:00.0000Z',
    '2026-11-01T12:00:00.000000+00:00', ''])('do not read %j', (s) => {
    expect(parseAt(s)).toBeUndefined();
  });
  it('are shown to people to the second', () => {
    for (const at of ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00.123Z', '2026-11-01T12:00:00.123456Z']) expect(shownAt(at)).toBe('2026-11-01T12:00:00Z');
  });
  it('refuses a date RFC 3339 cannot write', () => {
    for (const micros of [Date.parse('+010000-01-01T00:00:00Z') * 1000, Date.parse('9999-12-31T23:59:59.999Z') * 1000 + 1000, Date.parse('-000001-01-01T00:00:00Z') * 1000, NaN, 0.5]) {
      expect(() => formatMicros(micros), String(micros)).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});

describe('evidence', () => {
  it.each(['https://ci.example.com/run/812', 'http://localhost:8080/x?y=1#z'])('accepts %s', (url) => {
    expect(checkEvidence(url)).toBe(url);
  });
  it.each(['ftp://example.com/x', 'ci.example.com/run', 'javascript:alert(1)', 'https://a b', ''])('refuses %j', (url) => {
    expect(() => checkEvidence(url)).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('batch lines', () => {
  const line = (s: string) => batchRequest(parseIJson(s));
  it('reads the fields of a line', () => {
    expect(line('{"vfi":"Runtime@b383463","claim":"reviewed","result":"fail","note":"n","evidence":"https://x/1","by":"Ann"}')).toEqual({
      ref: 'Runtime@b383463',
      vfiRef: { kind: 'id', name: 'Runtime', prefix: 'b383463' },
      claim: 'reviewed',
      result: 'fail',
      note: 'n',
      evidence: 'https://x/1',
      by: 'Ann',
    });
  });
  it.each<[string, string, string]>([
    ['not an object', '["Runtime"]', 'INVALID_INPUT'],
    ['no vfi', '{"claim":"a","result":"pass"}', 'INVALID_INPUT'],
    ['no claim', '{"vfi":"Runtime","result":"pass"}', 'INVALID_INPUT'],
    ['no result', '{"vfi":"Runtime","claim":"a"}', 'INVALID_INPUT'],
    ['a result that is neither', '{"vfi":"Runtime","claim":"a","result":"passed"}', 'INVALID_INPUT'],
    ['a boolean result', '{"vfi":"Runtime","claim":"a","result":true}', 'INVALID_INPUT'],
    ['an unknown key (typo)', '{"vfi":"Runtime","claim":"a","result":"pass","notes":"x"}', 'INVALID_INPUT'],
    ['a bad claim', '{"vfi":"Runtime","claim":"a b","result":"pass"}', 'INVALID_CLAIM'],
    ['a bad reference', '{"vfi":"Runtime@xyz","claim":"a","result":"pass"}', 'INVALID_REFERENCE'],
    ['bad evidence', '{"vfi":"Runtime","claim":"a","result":"pass","evidence":"file:///etc/passwd"}', 'INVALID_INPUT'],
    ['an empty by', '{"vfi":"Runtime","claim":"a","result":"pass","by":" "}', 'INVALID_INPUT'],
  ])('refuses %s', (_what, text, code) => {
    expect(() => line(text)).toThrowError(expect.objectContaining({ code }));
  });
  it('refuses duplicate keys (I-JSON)', () => {
    expect(() => line('{"vfi":"Runtime","claim":"a","claim":"b","result":"pass"}')).toThrowError(expect.objectContaining({ code: 'INVALID_JSON' }));
  });
});
