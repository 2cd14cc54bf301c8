/** Release history (core/releases.ts) and release notes (core/notes.ts, core/shortAddress.ts), table-driven. */
import { describe, expect, it } from 'vitest';
import type { AssertionRecord } from '../../src/core/assertion.js';
import { buildNotes, commitRanges, notesMarkdown } from '../../src/core/notes.js';
import { parseSince, releaseHistory } from '../../src/core/releases.js';
import { fitAddress, fitCell, shortAddress } from '../../src/core/shortAddress.js';
import { diffVfis, type Vfi } from '../../src/core/vfi.js';

const ID_A = 'a'.repeat(40);
const ID_B = 'b'.repeat(40);
let seq = 0;
/** `claim=pass@2026-11-01T12:00:00Z by` → a record about `vfi`. */
function rec(vfi: string, spec: string): AssertionRecord {
  const m = /^([\w.-]+)=(pass|fail)@(\S+)(?: (\S+))?$/.exec(spec)!;
  return {
    name: 'Runtime', vfi, sha256: '0'.repeat(64), claim: m[1]!, result: m[2] as 'pass' | 'fail', at: m[3]!, by: m[4] ?? 'ci',
    record: String(seq++).padStart(40, '0'), bytes: Buffer.alloc(0),
  };
}

describe('releaseHistory', () => {
  const a = { id: ID_A, name: 'Runtime', records: [
    rec(ID_A, 'tests=pass@2026-11-01T10:00:00Z'),
    rec(ID_A, 'released=pass@2026-11-01T11:00:00Z rm'),
    rec(ID_A, 'smoke=fail@2026-11-03T09:00:00Z bot'),
  ] };
  const b = { id: ID_B, name: 'Runtime', records: [
    rec(ID_B, 'tests=pass@2026-11-05T10:00:00Z'),
    rec(ID_B, 'reviewed=pass@2026-11-05T10:30:00Z'),
    rec(ID_B, 'released=pass@2026-11-05T11:00:00Z rm'),
    rec(ID_B, 'soak=pass@2026-11-06T11:00:00Z'),
  ] };

  it('newest first, score then (records up to the release) and now', () => {
    const h = releaseHistory([a, b]);
    expect(h.map((r) => [r.id, r.by, r.scoreThen, r.scoreNow, r.candidateThen, r.candidate])).toEqual([
      [ID_B, 'rm', 2, 3, true, true],
      [ID_A, 'rm', 1, 1, true, false],
    ]);
    // a release that later got a failing claim stays in the history, marked
    expect(h[1]!.failingNow).toEqual(['smoke']);
  });

  it('--since keeps releases at or after it', () => {
    expect(releaseHistory([a, b], parseSince('2026-11-02')).map((r) => r.id)).toEqual([ID_B]);
  });

  it('a withdrawn release (released fail) is marked, and a second release is a second row', () => {
    const c = { id: ID_A, name: 'Runtime', records: [
      rec(ID_A, 'released=pass@2026-11-01T11:00:00Z'),
      rec(ID_A, 'released=fail@2026-11-02T11:00:00Z'),
    ] };
    expect(releaseHistory([c]).map((r) => r.withdrawn)).toEqual([true]);
    const twice = { ...c, records: [...c.records, rec(ID_A, 'released=pass@2026-11-03T11:00:00Z')] };
    expect(releaseHistory([twice]).map((r) => [r.at, r.withdrawn])).toEqual([['2026-11-03T11:00:00Z', false], ['2026-11-01T11:00:00Z', false]]);
  });

  it.each([['2026-11-01', '2026-11-01T00:00:00Z'], ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00Z'], ['2026-11-01T13:00:00+01:00', '2026-11-01T12:00:00Z']])('parseSince(%s)', (s, iso) => {
    expect(parseSince(s)).toBe(Date.parse(iso) * 1000);
  });

  it.each(['yesterday', '2026-13-01', ''])('parseSince refuses %j (exit 2)', (s) => {
    expect(() => parseSince(s)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('shortAddress and fitCell', () => {
  it.each([
    [`nsqio/nsq:v0.3.8@sha256:${'ab'.repeat(32)}`, 'nsqio/nsq:v0.3.8@sha256:abababababab'],
    [`https://github.com/p/api.git@${'1'.repeat(40)}`, 'https://github.com/p/api.git@111111111111'],
    [`Base@${'c'.repeat(40)}`, 'Base@cccccccccccc'],
    ['polyverse/status:5c0fd5d38f55b49565253c8d469beb9f3fcf9003', 'polyverse/status:5c0fd5d38f55b49565253c8d469beb9f3fcf9003'],
  ])('%s', (address, short) => {
    expect(shortAddress(address)).toBe(short);
  });

  it.each([['abcdef', 10, 'abcdef'], ['abcdefghij', 5, 'ab…ij'], ['abcdefghij', 6, 'ab…hij']])('fitCell(%s, %i)', (cell, width, out) => {
    expect(fitCell(cell, width)).toBe(out);
    expect(out.length).toBeLessThanOrEqual(width);
  });

  it.each([
    // the tag that tells two versions apart is never the part cut
    ['registry.example.com/platform/edge/router:1.0.3@sha256:8d3f0a1b2c3d', 40, 'registr…router:1.0.3@sha256:8d3f0a1b2c3d'],
    ['registry.example.com/platform/edge/router:1.0.3@sha256:8d3f0a1b2c3d', 34, '…router:1.0.3@sha256:8d3f0a1b2c3d'],
    ['git:https://git.example.com/platform/api.git@0123456789ab', 30, 'git:https…api.git@0123456789ab'],
    ['short/name:tag', 34, 'short/name:tag'],
    ['x/a-very-long-image-name-without-room:tag@sha256:0123456789ab', 20, 'x/a-very-…23456789ab'],
  ])('fitAddress(%s, %i) = %s', (cell, width, out) => {
    expect(fitAddress(cell, width)).toBe(out);
    expect(out.length).toBeLessThanOrEqual(width);
  });
});

describe('release notes', () => {
  const C1 = '1'.repeat(40);
  const C2 = '2'.repeat(40);
  const before: Vfi = {
    api: { type: 'git', address: `https://github.com/polyverse/api.git@${C1}` },
    router: { type: 'dockerImage', address: 'polyverse/router:5c0fd5d' },
    nsq: { type: 'dockerImage', address: 'nsqio/nsq:v0.3.8' },
    old: { type: 'dockerImage', address: 'old:1' },
  };
  const after: Vfi = {
    api: { type: 'git', address: `https://github.com/polyverse/api.git@${C2}` },
    router: { type: 'dockerImage', address: `polyverse/router:72e5e550d1835013832f64597cb1368b7155bd53@sha256:${'d'.repeat(64)}` },
    nsq: { type: 'dockerImage', address: 'nsqio/nsq:v1.2.1' },
    fresh: { type: 'dockerImage', address: 'fresh:1' },
  };

  it('commit ranges: git components and images tagged with a commit, by repository name', () => {
    expect(commitRanges(diffVfis(before, after))).toEqual([
      { component: 'api', repository: 'api', from: C1, to: C2 },
      { component: 'router', repository: 'router', from: '5c0fd5d', to: '72e5e550d1835013832f64597cb1368b7155bd53' },
    ]);
  });

  it('markdown: components, commits, assertions with who and evidence', () => {
    const d = diffVfis(before, after);
    const records = [rec(ID_B, 'tests=pass@2026-11-05T10:00:00.000001Z ci')];
    records[0]!.evidence = 'https://ci.example.com/1';
    const md = notesMarkdown(buildNotes(`Runtime@${ID_A}`, `Runtime@${ID_B}`, d, records, [
      { component: 'api', repository: 'api', from: C1, to: C2, subjects: ['Fix login', 'Add metrics'] },
      { component: 'router', repository: 'router', from: '5c0fd5d', to: '72e5e55', missing: 'no clone of router under /src' },
    ]));
    expect(md).toContain(`# Runtime@${ID_B}`);
    expect(md).toContain('- added `fresh`: `fresh:1`');
    expect(md).toContain('- removed `old` (was `old:1`)');
    expect(md).toContain('- changed `nsq`: `nsqio/nsq:v0.3.8` → `nsqio/nsq:v1.2.1`');
    expect(md).toContain(`\`polyverse/router:72e5e550d1835013832f64597cb1368b7155bd53@sha256:dddddddddddd\``);
    expect(md).toContain('  - Fix login\n  - Add metrics');
    expect(md).toContain('no clone of router under /src');
    expect(md).toContain('- tests: pass by ci at 2026-11-05T10:00:00Z (https://ci.example.com/1)');
  });
});
