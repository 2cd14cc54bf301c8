/** Scoring and release selection (SPEC §1 "Release candidate"), table-driven. */
import { describe, expect, it } from 'vitest';
import {
  Best,
  candidateOrder,
  claimsOf,
  exclusion,
  findNewest,
  firstCandidate,
  firstWith,
  newestOrder,
  latestPerClaim,
  noCandidateError,
  pickReleaseCandidate,
  publicationOrder,
  scoreOf,
  standingOf,
  type Candidate,
  type RecordKey,
} from '../../src/core/pick.js';

/** `claim=pass@10` → a record at t=10 (record ids from the optional `#id`, else generated). */
let seq = 0;
function rec(spec: string): RecordKey {
  const m = /^([\w.-]+)=(pass|fail)@(\d+)(?:#(\w+))?$/.exec(spec)!;
  return { claim: m[1]!, result: m[2] as 'pass' | 'fail', at: Number(m[3]), record: (m[4] ?? `r${String(seq++).padStart(6, '0')}`).padEnd(40, '0') };
}

describe('standing: the latest record of each claim counts', () => {
  it.each<[string, string[], string[], string[]]>([
    ['nothing asserted', [], [], []],
    ['one pass', ['tests=pass@1'], ['tests'], []],
    ['distinct claims each count once', ['tests=pass@1', 'tests=pass@2', 'smoke=pass@1'], ['smoke', 'tests'], []],
    ['a later fail disqualifies', ['tests=pass@1', 'tests=fail@2'], [], ['tests']],
    ['a later pass re-qualifies', ['tests=fail@1', 'tests=pass@2'], ['tests'], []],
    ['fail, pass, fail again', ['tests=fail@1', 'tests=pass@2', 'tests=fail@3'], [], ['tests']],
    ['order of arrival does not matter', ['tests=pass@2', 'tests=fail@1'], ['tests'], []],
    ['a fail of one claim leaves the others passing', ['tests=pass@1', 'smoke=fail@1', 'review=pass@5'], ['review', 'tests'], ['smoke']],
    ['same second: the larger record id is later', ['tests=pass@5#bbb', 'tests=fail@5#aaa'], ['tests'], []],
    ['same second the other way round', ['tests=pass@5#aaa', 'tests=fail@5#bbb'], [], ['tests']],
  ])('%s', (_what, specs, passing, failing) => {
    const s = standingOf(specs.map(rec));
    expect(s.passing).toEqual(passing);
    expect(s.failing.map((r) => r.claim)).toEqual(failing);
  });

  it('keeps the latest record itself', () => {
    const records = ['tests=pass@1', 'tests=fail@3', 'tests=pass@2'].map(rec);
    expect(latestPerClaim(records).get('tests')).toBe(records[1]);
  });
});

function candidate(id: string, recency: number, specs: string[], name = 'Runtime'): Candidate {
  return { id: id.padEnd(40, '0'), name, recency, ...claimsOf(standingOf(specs.map(rec))) };
}

const ids = (cs: { candidate: Candidate }[]) => cs.map((r) => r.candidate.id.replace(/0+$/, ''));

describe('score', () => {
  it.each<[string[], number]>([
    [[], 0],
    [['t'], 1],
    [['released', 's', 't'], 2],
    [['released'], 0],
  ])('of passing %j is %i: released is a decision, not evidence', (passing, score) => {
    expect(scoreOf({ passing })).toBe(score);
  });

  it('pick ranks and reports by it', () => {
    const pick = pickReleaseCandidate([candidate('a1', 0, ['t=pass@1', 'released=pass@2'])]);
    expect(pick.ranked[0]!.score).toBe(1);
  });
});

describe('pickReleaseCandidate', () => {
  it.each<[string, Candidate[], { require?: string[]; top?: number }, string[]]>([
    ['highest score wins',
      [candidate('a1', 0, ['t=pass@1', 's=pass@1']), candidate('b1', 1, ['t=pass@1']), candidate('c1', 2, [])], {}, ['a1', 'b1', 'c1']],
    ['a failing claim disqualifies, whatever the score',
      [candidate('a1', 0, ['t=pass@1', 's=pass@1', 'r=fail@2']), candidate('b1', 1, ['t=pass@1'])], {}, ['b1']],
    ['a later pass re-qualifies',
      [candidate('a1', 0, ['t=pass@1', 's=pass@1', 'r=fail@2', 'r=pass@3']), candidate('b1', 1, ['t=pass@1'])], {}, ['a1', 'b1']],
    ['ties go to the most recently published',
      [candidate('a1', 0, ['t=pass@9']), candidate('b1', 2, ['t=pass@1']), candidate('c1', 1, ['t=pass@5'])], {}, ['b1', 'c1', 'a1']],
    ['then to the smaller id',
      [candidate('b1', 3, ['t=pass@1']), candidate('a1', 3, ['t=pass@1'])], {}, ['a1', 'b1']],
    ['an unasserted VFI scores 0 and is still a candidate',
      [candidate('a1', 0, []), candidate('b1', 1, [])], {}, ['b1', 'a1']],
    ['require keeps only VFIs passing those claims',
      [candidate('a1', 0, ['t=pass@1', 's=pass@1']), candidate('b1', 1, ['t=pass@1', 'x=pass@1'])], { require: ['s'] }, ['a1']],
    ['require of several claims',
      [candidate('a1', 0, ['t=pass@1', 's=pass@1']), candidate('b1', 1, ['t=pass@1'])], { require: ['s', 't'] }, ['a1']],
    ['require of a claim nobody asserted leaves nothing',
      [candidate('a1', 0, ['t=pass@1'])], { require: ['nope'] }, []],
    ['everything disqualified leaves nothing',
      [candidate('a1', 0, ['t=fail@1']), candidate('b1', 1, ['s=fail@1'])], {}, []],
    ['released does not score: the newer VFI wins the tie',
      [candidate('a1', 0, ['t=pass@1', 'released=pass@2']), candidate('b1', 1, ['t=pass@3'])], {}, ['b1', 'a1']],
    ['released does not outweigh a claim',
      [candidate('a1', 1, ['t=pass@1', 'released=pass@2']), candidate('b1', 0, ['t=pass@3', 's=pass@3'])], {}, ['b1', 'a1']],
    ['a failing released (a release withdrawn) does not disqualify',
      [candidate('a1', 1, ['t=pass@1', 'released=pass@2', 'released=fail@3']), candidate('b1', 0, ['t=pass@1'])], {}, ['a1', 'b1']],
    ['require released keeps the released VFI',
      [candidate('a1', 0, ['t=pass@1', 'released=pass@2']), candidate('b1', 1, ['t=pass@3'])], { require: ['released'] }, ['a1']],
    ['require released: a withdrawn release does not count',
      [candidate('a1', 0, ['released=pass@1', 'released=fail@2'])], { require: ['released'] }, []],
  ])('%s', (_what, candidates, opts, expected) => {
    const pick = pickReleaseCandidate(candidates, { ...opts, limit: 100 });
    expect(ids(pick.ranked)).toEqual(expected);
    expect(ids(pick.top)).toEqual(expected.slice(0, 1));
  });

  it('returns the best `top`, best first', () => {
    const cs = [candidate('a1', 0, ['t=pass@1']), candidate('b1', 1, ['t=pass@1', 's=pass@1']), candidate('c1', 2, [])];
    expect(ids(pickReleaseCandidate(cs, { top: 2 }).top)).toEqual(['b1', 'a1']);
    expect(ids(pickReleaseCandidate(cs, { top: 9 }).top)).toEqual(['b1', 'a1', 'c1']);
  });

  it('says why each runner-up lost, and why the others are not candidates', () => {
    const cs = [
      candidate('a1', 0, ['t=pass@1', 's=pass@1']),
      candidate('b1', 1, ['t=pass@1']),
      candidate('c1', 2, ['t=pass@1', 's=pass@1']),
      candidate('d1', 3, ['t=pass@1', 's=pass@1', 'r=fail@4']),
      candidate('e1', 4, ['x=pass@1', 'y=pass@1']),
    ];
    const pick = pickReleaseCandidate(cs, { require: ['t'], limit: 10 });
    expect(pick.ranked.map((r) => [r.candidate.id.slice(0, 2), r.score, r.verdict])).toEqual([
      ['c1', 2, { kind: 'picked' }],
      ['a1', 2, { kind: 'tie-older', winner: cs[2]!.id }],
      ['b1', 1, { kind: 'lower-score', winner: cs[2]!.id, winnerScore: 2 }],
    ]);
    expect(pick.rejected.map((r) => [r.candidate.id.slice(0, 2), r.verdict])).toEqual([
      ['e1', { kind: 'missing', claims: ['t'] }],
      ['d1', { kind: 'disqualified', claims: ['r'] }],
    ]);
    expect(pick.counts).toEqual({ qualified: 3, disqualified: 1, missing: 1, unpinned: 0, lowScore: 0 });
  });

  it('keeps only `limit` of the ranking, and ranks as a full sort would', () => {
    let x = 7;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x);
    const claims = ['a', 'b', 'c', 'd'];
    const cs = Array.from({ length: 500 }, (_, i) =>
      candidate(`${i.toString(16)}f`, rand() % 50, claims.filter(() => rand() % 3 === 0).map((c) => `${c}=${rand() % 5 === 0 ? 'fail' : 'pass'}@${rand() % 9}`)));
    const full = pickReleaseCandidate(cs, { limit: 1000 });
    const short = pickReleaseCandidate(cs, { limit: 7, top: 3 });
    expect(full.ranked).toHaveLength(full.counts.qualified);
    expect(ids(short.ranked)).toEqual(ids(full.ranked).slice(0, 7));
    expect(ids(short.top)).toEqual(ids(full.ranked).slice(0, 3));
    expect(ids(short.rejected)).toEqual(ids(full.rejected).slice(0, 7));
    for (let i = 1; i < full.ranked.length; i++) {
      const [p, q] = [full.ranked[i - 1]!, full.ranked[i]!];
      expect(p.score > q.score || (p.score === q.score && p.candidate.recency >= q.candidate.recency)).toBe(true);
    }
  });
});

describe('no candidate', () => {
  it.each<[string, Candidate[], string[], Record<string, unknown>]>([
    ['an empty scope', [], [], { scope: 'Runtime' }],
    ['a required claim nobody asserted', [candidate('a1', 0, ['t=pass@1'])], ['nope'], { neverAsserted: ['nope'] }],
    ['all disqualified', [candidate('a1', 0, ['t=fail@1'])], [], { disqualified: 1, missing: 0 }],
    ['asserted but failing where required', [candidate('a1', 0, ['t=fail@1']), candidate('b1', 1, [])], ['t'], { disqualified: 1, missing: 1 }],
  ])('is NO_CANDIDATE for %s', (_what, cs, require, data) => {
    const e = noCandidateError('Runtime', cs, pickReleaseCandidate(cs, { require }), require);
    expect(e.code).toBe('NO_CANDIDATE');
    expect(e.exitCode).toBe(3);
    expect(e.data).toMatchObject(data);
    expect(e.message).not.toContain('\n');
  });
});

describe('findNewest', () => {
  const cs = [
    candidate('a1', 0, ['scrambling=pass@1', 't=pass@1']),
    candidate('b1', 1, ['scrambling=pass@1', 't=fail@1']),
    candidate('c1', 2, ['scrambling=fail@1']),
    candidate('d1', 3, []),
  ];
  it.each<[string[], string | undefined]>([
    [['scrambling'], 'b1'], // other claims failing do not matter to find
    [['scrambling', 't'], 'a1'],
    [['t'], 'a1'],
    [['nope'], undefined],
  ])('--has %j finds %s', (has, expected) => {
    expect(findNewest(cs, has)?.id.slice(0, 2)).toBe(expected);
  });
});

describe('publicationOrder', () => {
  const e = (id: string, time: number) => ({ id, time });
  it('counts a VFI republished on one lineage at its latest publication', () => {
    const order = publicationOrder([{ name: 'Runtime', entries: [e('a', 1), e('b', 2), e('a', 3), e('c', 4)] }]);
    expect([...order].sort((x, y) => x[1].recency - y[1].recency).map(([id]) => id)).toEqual(['b', 'a', 'c']);
  });
  it('keeps a lineage in its own order even when its clock went backwards', () => {
    const order = publicationOrder([
      { name: 'Runtime', entries: [e('a', 10), e('b', 5), e('c', 20)] },
      { name: 'Canary', entries: [e('x', 7), e('y', 15)] },
    ]);
    const sorted = [...order].sort((p, q) => p[1].recency - q[1].recency).map(([id, v]) => `${v.name}:${id}`);
    expect(sorted).toEqual(['Canary:x', 'Runtime:a', 'Runtime:b', 'Canary:y', 'Runtime:c']);
  });
  it('ranks publications of two lineages at the same time equal, whatever the lineages are called', () => {
    for (const [first, second] of [['Q1', 'Q2'], ['Q2', 'Q1']]) {
      const order = publicationOrder([
        { name: first!, entries: [e('2520', 100)] },
        { name: second!, entries: [e('2e04', 100)] },
      ]);
      expect(order.get('2520')!.recency).toBe(order.get('2e04')!.recency);
    }
  });
  it('in one second, ranks the n-th publication of each lineage together, after the ones before it', () => {
    const order = publicationOrder([
      { name: 'A', entries: [e('a0', 50), e('a1', 100), e('a2', 100)] },
      { name: 'B', entries: [e('b1', 100)] },
    ]);
    const r = (id: string) => order.get(id)!.recency;
    expect(r('a0')).toBeLessThan(r('a1'));
    expect(r('a1')).toBe(r('b1'));
    expect(r('a2')).toBeGreaterThan(r('b1'));
  });
  it('so that a tie on score and time goes to the smaller id, said so', () => {
    const order = publicationOrder([
      { name: 'Q1', entries: [e('2520'.padEnd(40, '0'), 100)] },
      { name: 'Q2', entries: [e('2e04'.padEnd(40, '0'), 100)] },
    ]);
    const cs = [...order].map(([id, { name, recency }]) => ({ id, name, recency, passing: [], failing: [] }));
    const pick = pickReleaseCandidate(cs, { limit: 10 });
    expect(pick.ranked.map((r) => [r.candidate.name, r.verdict.kind])).toEqual([['Q1', 'picked'], ['Q2', 'tie-larger-id']]);
  });
  it('names a VFI by the lineage of its latest publication', () => {
    const order = publicationOrder([
      { name: 'Runtime', entries: [e('a', 1)] },
      { name: 'Canary', entries: [e('a', 2)] },
    ]);
    expect(order.get('a')?.name).toBe('Canary');
  });
});

describe('the ranked cache orders: reading them from the start answers as the full ranking does', () => {
  // Many VFIs, few claims, some failing, some unpinned, equal recencies: every rule against every order.
  const claims = ['a', 'b', 'c', 'released'];
  let x = 7;
  const rand = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31) % n);
  const candidates: Candidate[] = Array.from({ length: 400 }, (_, i) => {
    const passing = claims.filter(() => rand(3) === 0);
    const failing = claims.filter((c) => !passing.includes(c) && rand(9) === 0);
    return { id: (i * 7919 % 1000).toString(16).padStart(40, '0'), name: 'R', recency: Math.floor(i / 3), passing, failing, unpinned: rand(4) === 0 };
  });
  const rules = [{}, { minScore: 2 }, { minScore: 4 }, { require: ['b'] }, { require: ['a', 'c'], allowUnpinned: false }, { allowUnpinned: false, minScore: 1 }];
  it.each(rules)('pick under %j', (r) => {
    expect(firstCandidate(candidateOrder(candidates), r)?.id).toBe(pickReleaseCandidate(candidates, r).ranked[0]?.candidate.id);
  });
  it.each(rules)('find --has b under %j', (r) => {
    expect(firstWith(newestOrder(candidates), ['b'], r)?.id).toBe(findNewest(candidates.filter((c) => !exclusion(c, r)), ['b'])?.id);
  });
});

describe('Best', () => {
  // Keys with many ties, arriving in every kind of order: Best must equal a stable sort cut to n.
  const byKey = (a: { key: number }, b: { key: number }) => a.key - b.key;
  const arrivals = {
    random: (i: number) => (i * 7919) % 97,
    improving: (i: number) => 10_000 - i,
    worsening: (i: number) => i,
    ties: (i: number) => i % 3,
  };
  for (const [name, keyOf] of Object.entries(arrivals)) {
    for (const n of [1, 5, 64]) {
      it(`keeps the best ${n} of 1000 arriving ${name}, ties in the order added`, () => {
        const items = Array.from({ length: 1000 }, (_, i) => ({ key: keyOf(i), i }));
        const best = new Best(n, byKey);
        for (const x of items) best.add(x);
        expect(best.items).toEqual([...items].sort(byKey).slice(0, n));
        expect(best.count).toBe(1000);
      });
    }
  }

  it('keeps everything when fewer than n arrive', () => {
    const best = new Best(10, (a: number, b: number) => a - b);
    for (const x of [3, 1, 2]) best.add(x);
    expect(best.items).toEqual([1, 2, 3]);
  });
});
