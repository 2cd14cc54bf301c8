/** `vfi pick`, `vfi find` and `vfi release` end to end; the index is a cache, git is the truth. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { at, cliWith, publishRuntimes, useRuntimes, git, idOf, PICK_ANY, runtimeVfi, snapshot, tempDir } from '../helpers/cli.js';

/**
 * These tests are about scoring and ranking, so pick is asked for every VFI as a candidate
 * (`--allow-unpinned --min-score 0`: tags and score 0 allowed); the safe defaults of a release
 * gate are tested in trust.test.ts.
 */
const { vfi, ok } = cliWith(PICK_ANY);

const REF = 'refs/vfi-assertions/main';
const T0 = at('2026-11-01T12:00:00Z');
const T1 = at('2026-11-01T13:00:00Z');
const T2 = at('2026-11-01T14:00:00Z');

/** Runtime published four times (different routers). */
const FOUR = ['1.0.3', '1.0.4', '1.0.5'];

describe('vfi pick', () => {
  const { dir, store, ids } = useRuntimes(FOUR);
  beforeAll(() => {
    ok(store, ['assert', `Runtime@${ids[0]}`, 'tests-passed', 'reviewed'], T0);
    ok(store, ['assert', `Runtime@${ids[1]}`, 'tests-passed', 'reviewed', 'smoke-verified'], T0);
    ok(store, ['assert', `Runtime@${ids[1]}`, 'smoke-verified', '--fail', '--by', 'Smoke Bot'], T1);
    ok(store, ['assert', `Runtime@${ids[2]}`, 'tests-passed', 'reviewed'], T0);
  });

  it('picks the highest score, ties to the most recently published; a failing claim disqualifies', () => {
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${ids[2]}\n`);
  });

  it('--explain writes the ranking and each loser\'s reason to stderr, the pick alone to stdout', () => {
    const r = vfi(store, ['pick', 'Runtime', '--explain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Runtime@${ids[2]}\n`);
    const lines = r.stderr.trim().split('\n');
    const row = (id: string) => lines.find((l) => l.includes(id)) ?? '';
    expect(row(ids[2]!)).toMatch(/^\s+#1\s.*score 2\s+picked$/);
    expect(row(ids[0]!)).toMatch(/^\s+#2\s.*score 2\s+tie/);
    expect(row(ids[0]!)).toContain(ids[2]!.slice(0, 12));
    expect(row(ids[3]!)).toMatch(/^\s+#3\s.*score 0\s+lower score/);
    expect(row(ids[1]!)).toMatch(/^\s+-\s.*disqualified: smoke-verified failed at 2026-11-01T13:00:00Z by Smoke Bot$/);
  });

  it('--json gives ref, name, id, score, candidate and the latest record of each claim', () => {
    expect(JSON.parse(ok(store, ['pick', 'Runtime', '--json']))).toEqual({
      ok: true,
      ref: `Runtime@${ids[2]}`,
      name: 'Runtime',
      id: ids[2],
      score: 2,
      candidate: true,
      claims: {
        reviewed: { result: 'pass', at: '2026-11-01T12:00:00.000001Z', by: 'Test Author' },
        'tests-passed': { result: 'pass', at: '2026-11-01T12:00:00.000000Z', by: 'Test Author' },
      },
    });
  });

  it('--top N prints the best N, best first (an array with --json)', () => {
    expect(ok(store, ['pick', 'Runtime', '--top', '3'])).toBe(`Runtime@${ids[2]}\nRuntime@${ids[0]}\nRuntime@${ids[3]}\n`);
    expect(JSON.parse(ok(store, ['pick', 'Runtime', '--top', '9', '--json'])).map((x: { id: string }) => x.id)).toEqual([ids[2], ids[0], ids[3]]);
    expect(vfi(store, ['pick', 'Runtime', '--top', '0']).code).toBe(2);
  });

  it('--require keeps only VFIs passing those claims', () => {
    expect(ok(store, ['pick', 'Runtime', '--require', 'tests-passed,reviewed'])).toBe(`Runtime@${ids[2]}\n`);
    expect(ok(store, ['pick', 'Runtime', '--require', 'reviewed', '--require', 'tests-passed'])).toBe(`Runtime@${ids[2]}\n`);
  });

  it.each<[string, string[], number]>([
    ['--require of a claim nobody asserted', ['pick', 'Runtime', '--require', 'nope'], 3],
    ['--require of a claim only a disqualified VFI passed', ['pick', 'Runtime', '--require', 'smoke-verified'], 3],
    ['an unknown lineage', ['pick', 'Nope'], 3],
    ['an invalid name', ['pick', 'a/b'], 2],
    ['an invalid required claim', ['pick', 'Runtime', '--require', 'a b'], 2],
    ['find of a claim nobody passes', ['find', '--has', 'nope', 'Runtime'], 3],
    ['find without --has', ['find', 'Runtime'], 2],
  ])('%s: the exit code, one line, nothing written', (_what, args, code) => {
    const before = snapshot(store);
    const r = vfi(store, args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot(store)).toEqual(before);
  });

  it('--explain still explains when there is no candidate', () => {
    const r = vfi(store, ['pick', 'Runtime', '--require', 'smoke-verified', '--explain']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(ids[1]);
  });

  it('find --has: the newest VFI whose latest records pass those claims', () => {
    expect(ok(store, ['find', '--has', 'reviewed', 'Runtime'])).toBe(`Runtime@${ids[2]}\n`);
    expect(ok(store, ['find', '--has', 'tests-passed,reviewed'])).toBe(`Runtime@${ids[2]}\n`);
    expect(vfi(store, ['find', '--has', 'smoke-verified', 'Runtime']).code).toBe(3);
    expect(JSON.parse(ok(store, ['find', '--has', 'reviewed', '--json']))).toMatchObject({ ok: true, id: ids[2], score: 2 });
  });

  it('a later pass re-qualifies a disqualified VFI', () => {
    ok(store, ['assert', `Runtime@${ids[1]}`, 'smoke-verified', '--note', 'fixed the flaky probe'], T2);
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${ids[1]}\n`);
    expect(ok(store, ['pick', 'Runtime', '--require', 'smoke-verified'])).toBe(`Runtime@${ids[1]}\n`);
    expect(ok(store, ['find', '--has', 'smoke-verified', 'Runtime'])).toBe(`Runtime@${ids[1]}\n`);
  });

  it('a fail and a re-run\'s pass within one second: the later one counts, whatever the record ids', () => {
    // Records carry the clock's milliseconds, so order within a second is by time, not by the records' hashes.
    for (const [claim, first, second, ms] of [['flaky-a', 'fail', 'pass', 100], ['flaky-b', 'pass', 'fail', 300]] as const) {
      ok(store, ['assert', `Runtime@${ids[3]}`, claim, ...(first === 'fail' ? ['--fail'] : [])], at(`2026-11-01T15:00:00.${ms}Z`));
      ok(store, ['assert', `Runtime@${ids[3]}`, claim, ...(second === 'fail' ? ['--fail'] : [])], at(`2026-11-01T15:00:00.${ms + 100}Z`));
      const latest = JSON.parse(ok(store, ['assertions', `Runtime@${ids[3]}`, '--json'])).claims[claim];
      expect(latest).toMatchObject({ result: second, at: `2026-11-01T15:00:00.${ms + 100}000Z` });
    }
    expect(JSON.parse(ok(store, ['assertions', `Runtime@${ids[3]}`, '--json'])).candidate).toBe(false);
  });

  it('release records `released` on the pick, which git shows', () => {
    const picked = ok(store, ['pick', 'Runtime']).trim();
    expect(ok(store, ['release', picked])).toBe(`${picked} released pass\n`);
    expect(git(store, ['log', '-1', '--format=%s', REF]).stdout).toBe(`assert ${picked} released=pass\n`);
    expect(JSON.parse(ok(store, ['assertions', picked, '--json'])).claims.released).toMatchObject({ result: 'pass' });
  });

  it('without NAME looks across every lineage and names the VFI by its lineage', () => {
    expect(ok(store, ['pick'])).toBe(ok(store, ['pick', 'Runtime']));
    const canary = idOf(ok(store, ['set', 'Canary', 'nsq=nsqio/nsq:v1.3.0', '--from', `Runtime@${ids[1]}`]));
    ok(store, ['assert', 'Canary', 'tests-passed', 'reviewed', 'smoke-verified', 'released', 'perf-ok']);
    expect(ok(store, ['pick'])).toBe(`Canary@${canary}\n`);
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${ids[1]}\n`);
    expect(ok(store, ['find', '--has', 'perf-ok'])).toBe(`Canary@${canary}\n`);
  });
});

describe('the release loop: `released` is a decision, not evidence', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  let app1 = '';
  let app2 = '';
  beforeAll(() => {
    app1 = idOf(ok(store, ['add', 'App', '-'], { input: JSON.stringify({ a: { type: 'dockerImage', address: 'app:1' } }), ...T0 }));
    ok(store, ['assert', 'App', 'tests-passed', 'smoke-verified'], T0);
    const picked = ok(store, ['pick', 'App']).trim();
    expect(picked).toBe(`App@${app1}`);
    expect(ok(store, ['release', picked], T0)).toBe(`App@${app1} released pass\n`);
    app2 = idOf(ok(store, ['set', 'App', 'a=app:2'], T1));
    ok(store, ['assert', 'App', 'tests-passed', 'smoke-verified'], T1);
  });

  it('the next pick is the new VFI, equally tested and newer, not the one released before', () => {
    expect(ok(store, ['pick', 'App'])).toBe(`App@${app2}\n`);
    const top = JSON.parse(ok(store, ['pick', 'App', '--top', '2', '--json']));
    expect(top.map((c: { id: string; score: number }) => [c.id, c.score])).toEqual([[app2, 2], [app1, 2]]);
    expect(top[1].claims.released).toMatchObject({ result: 'pass' });
    const r = vfi(store, ['pick', 'App', '--explain']);
    expect(r.stderr.split('\n').find((l) => l.includes(app1))).toMatch(/score 2\s+tie on score, lost to the more recently published/);
  });

  it('vfi assertions does not count it either, and shows it apart', () => {
    expect(JSON.parse(ok(store, ['assertions', `App@${app1}`, '--json']))).toMatchObject({ score: 2, candidate: true, claims: { released: { result: 'pass' } } });
    expect(ok(store, ['assertions', `App@${app1}`]).trim().split('\n').at(-1)).toBe('score 2: smoke-verified, tests-passed; released pass (not scored)');
  });

  it('--require released and find --has released still find the released VFI', () => {
    expect(ok(store, ['pick', 'App', '--require', 'released'])).toBe(`App@${app1}\n`);
    expect(ok(store, ['find', '--has', 'released', 'App'])).toBe(`App@${app1}\n`);
    expect(ok(store, ['pick', 'App', '--require', 'released,tests-passed'])).toBe(`App@${app1}\n`);
  });

  it('there is no `vfi release --fail`: exit 2, nothing written', () => {
    const before = snapshot(store);
    const r = vfi(store, ['release', `App@${app1}`, '--fail']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(snapshot(store)).toEqual(before);
  });

  it('a failing `released` (a release withdrawn) neither disqualifies nor scores; --require released no longer matches', () => {
    ok(store, ['assert', `App@${app1}`, 'released', '--fail', '--note', 'rolled back'], T2);
    expect(JSON.parse(ok(store, ['assertions', `App@${app1}`, '--json']))).toMatchObject({ score: 2, candidate: true });
    expect(ok(store, ['assertions', `App@${app1}`]).trim().split('\n').at(-1)).toBe('score 2: smoke-verified, tests-passed; released fail (not scored)');
    expect(ok(store, ['pick', 'App', '--top', '2'])).toBe(`App@${app2}\nApp@${app1}\n`);
    expect(vfi(store, ['find', '--has', 'released', 'App']).code).toBe(3);
    const r = vfi(store, ['pick', 'App', '--require', 'released', '--explain']);
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n').find((l) => l.includes(app1))).toMatch(/missing required claim released/);
    // a real failure still disqualifies
    ok(store, ['assert', `App@${app2}`, 'smoke-verified', '--fail'], T2);
    expect(ok(store, ['pick', 'App'])).toBe(`App@${app1}\n`);
  });
});

describe('--json when nothing is found', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  beforeAll(() => {
    publishRuntimes(store, FOUR);
    ok(store, ['assert', 'Runtime', 'tests-passed', '--fail'], T0);
  });

  it.each<[string, string[], unknown]>([
    ['pick --require', ['pick', 'Runtime', '--require', 'tests-passed', '--json'], { ok: false, code: 'NO_CANDIDATE', reason: expect.stringContaining('Runtime') }],
    ['pick --top', ['pick', 'Runtime', '--require', 'tests-passed', '--top', '2', '--json'], []],
    ['find --has', ['find', '--has', 'tests-passed', 'Runtime', '--json'], { ok: false, code: 'NO_CANDIDATE', reason: expect.stringContaining('tests-passed') }],
    ['find across the store', ['find', '--has', 'nope', '--json'], { ok: false, code: 'NO_CANDIDATE', reason: expect.any(String) }],
  ])('%s: a result on stdout, one line on stderr, exit 3', (_what, args, expected) => {
    const r = vfi(store, args);
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual(expected);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    if (!Array.isArray(expected)) expect(r.stderr).toContain(JSON.parse(r.stdout).reason);
  });

  it.each<[string, string[], number]>([
    ['an unknown lineage', ['pick', 'Nope', '--json'], 3],
    ['bad usage', ['pick', 'Runtime', '--top', '0', '--json'], 2],
    ['find without --has', ['find', 'Runtime', '--json'], 2],
  ])('%s is an error, not an answer: nothing on stdout', (_what, args, code) => {
    const r = vfi(store, args);
    expect([r.code, r.stdout]).toEqual([code, '']);
  });
});

describe('claims and NAME on the command line', () => {
  const { dir, store, ids } = useRuntimes(FOUR);
  beforeAll(() => {
    ok(store, ['add', 'App', '-'], { input: JSON.stringify(runtimeVfi({ api: 'polyverse/api:v9' })), ...T1 });
    ok(store, ['add', 'reviewed', '-'], { input: JSON.stringify(runtimeVfi({ api: 'polyverse/api:v8' })) }); // a lineage named like a claim
    ok(store, ['assert', `Runtime@${ids[1]}`, 'tests-passed', 'reviewed'], T0);
    ok(store, ['assert', 'App', 'tests-passed', 'reviewed', 'perf-ok'], T1); // the store's best, and its newest
  });

  it.each<[string, string[]]>([
    ['--has CLAIM… NAME (SPEC §3)', ['find', '--has', 'tests-passed', 'reviewed', 'Runtime']],
    ['NAME first', ['find', 'Runtime', '--has', 'tests-passed', 'reviewed']],
    ['NAME after --', ['find', '--has', 'tests-passed', 'reviewed', '--', 'Runtime']],
    ['comma-separated', ['find', '--has', 'tests-passed,reviewed', 'Runtime']],
    ['repeated', ['find', '--has', 'tests-passed', '--has', 'reviewed', 'Runtime']],
    ['--json between', ['find', '--has', 'tests-passed', 'reviewed', '--json', 'Runtime']],
    ['pick --require CLAIM… NAME', ['pick', '--require', 'tests-passed', 'reviewed', 'Runtime']],
    ['pick NAME --require CLAIM…', ['pick', 'Runtime', '--require', 'tests-passed', 'reviewed']],
    ['pick --require a,b NAME', ['pick', '--require', 'tests-passed,reviewed', 'Runtime']],
  ])('%s', (_what, args) => {
    const out = ok(store, args);
    expect(out.startsWith('{') ? JSON.parse(out).ref : out.trim()).toBe(`Runtime@${ids[1]}`);
  });

  it('a last word that is no lineage is a claim: all the words are claims, across every lineage', () => {
    const app = ok(store, ['pick', 'App']);
    expect(app).toMatch(/^App@/);
    expect(ok(store, ['pick', '--require', 'tests-passed', 'perf-ok'])).toBe(app);
    expect(vfi(store, ['find', '--has', 'perf-ok', 'Nope']).code).toBe(3); // a claim nobody passes
  });

  it('a last word that is a lineage and also a claim of some record stays a claim, and stderr says so', () => {
    const r = vfi(store, ['find', '--has', 'tests-passed', 'reviewed']);
    expect([r.code, r.stdout]).toEqual([0, ok(store, ['pick', 'App'])]);
    expect(r.stderr).toMatch(/^vfi: "reviewed" is taken as a claim[^\n]*\n$/);
    // written first or after --, it is the lineage, whose VFI passes nothing
    expect(vfi(store, ['find', '--has', 'tests-passed', '--', 'reviewed']).code).toBe(3);
    expect(vfi(store, ['find', 'reviewed', '--has', 'tests-passed', 'reviewed']).code).toBe(3);
  });

  it.each<[string, string[]]>([
    ['--require \'\'', ['pick', '--require', '']],
    ['--require ,', ['pick', '--require', ',']],
    ['--require a,', ['pick', 'Runtime', '--require', 'tests-passed,']],
    ['--require \'\' among others', ['pick', '--require', 'tests-passed', '', 'Runtime']],
    ['--has \'\'', ['find', '--has', '']],
    ['--has ,', ['find', '--has', ',', 'Runtime']],
    ['--has with nothing after it', ['find', '--has']],
  ])('an empty claim is refused, not ignored: %s', (_what, args) => {
    const before = snapshot(store);
    const r = vfi(store, args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot(store)).toEqual(before);
  });
});

describe('publication order', () => {
  const dir = tempDir();

  it('two lineages published at the same time with equal scores: the smaller id, said so', () => {
    const store = path.join(dir, 'tie');
    const q = ['Q1', 'Q2'].map((name, i) => idOf(ok(store, ['add', name, '-'], { input: JSON.stringify(runtimeVfi({ api: `polyverse/api:q${i}` })), ...T0 })));
    const [smaller, larger] = [...q].sort();
    const winner = q.indexOf(smaller!) === 0 ? 'Q1' : 'Q2';
    const loser = winner === 'Q1' ? 'Q2' : 'Q1';
    const r = vfi(store, ['pick', '--explain']);
    expect(r.stdout).toBe(`${winner}@${smaller}\n`);
    const row = r.stderr.split('\n').find((l) => l.includes(larger!))!;
    expect(row).toContain(`${loser}@${larger}`);
    expect(row).toMatch(/tie on score and time, lost to the smaller id/);
    expect(row).toContain(smaller!.slice(0, 12));
    expect(ok(store, ['pick', '--top', '2'])).toBe(`${winner}@${smaller}\n${loser}@${larger}\n`);
    // a later publication on the other lineage is more recent, whatever its id
    const later = idOf(ok(store, ['set', loser, 'nsq=nsqio/nsq:v1.3.0'], T1));
    expect(ok(store, ['pick'])).toBe(`${loser}@${later}\n`);
  });

  it('a VFI published again counts at its latest publication', () => {
    const store = path.join(dir, 'republish');
    const ids = publishRuntimes(store, FOUR);
    for (const id of ids) ok(store, ['assert', `Runtime@${id}`, 'tests-passed']);
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${ids[3]}\n`);
    // Publishing the first composition again makes it the newest publication.
    const again = idOf(ok(store, ['set', 'Runtime', 'router=polyverse/router:1.0.2']));
    expect(again).toBe(ids[0]);
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${ids[0]}\n`);
  });

  it('with no assertions at all the head is picked (every VFI scores 0)', () => {
    const store = path.join(dir, 'bare');
    const ids = publishRuntimes(store, FOUR);
    expect(ok(store, ['pick', 'Runtime'])).toBe(`Runtime@${ids[3]}\n`);
  });
});

describe('everything pick needs comes from git', () => {
  const { dir, store, ids } = useRuntimes(FOUR);
  const answers = (s: string) => [
    ok(s, ['pick', 'Runtime', '--top', '4', '--json']),
    ok(s, ['pick', 'Runtime', '--require', 'smoke-verified']),
    ok(s, ['find', '--has', 'reviewed']),
    ...ids.map((id) => ok(s, ['assertions', id, '--json'])),
  ];
  beforeAll(() => {
    ok(store, ['assert', `Runtime@${ids[0]}`, 'tests-passed', 'reviewed', 'smoke-verified'], T0);
    ok(store, ['assert', `Runtime@${ids[1]}`, 'tests-passed', 'reviewed'], T0);
    ok(store, ['assert', `Runtime@${ids[2]}`, 'tests-passed', 'smoke-verified'], T0);
    ok(store, ['assert', `Runtime@${ids[2]}`, 'smoke-verified', '--fail'], T1);
  });

  it('a plain `git clone --mirror` (objects packed, no cache) picks the same VFI', () => {
    const expected = answers(store);
    expect(expected[1]).toBe(`Runtime@${ids[0]}\n`);
    const mirror = path.join(dir, 'mirror.git');
    expect(git('.', ['clone', '-q', '--mirror', '--no-local', store, mirror]).code).toBe(0);
    expect(fs.readdirSync(path.join(mirror, 'objects', 'pack')).some((f) => f.endsWith('.pack'))).toBe(true);
    expect(fs.existsSync(path.join(mirror, 'vfi-cache'))).toBe(false);
    expect(fs.readdirSync(path.join(mirror, 'objects')).filter((d) => /^[0-9a-f]{2}$/.test(d))).toEqual([]);
    expect(answers(mirror)).toEqual(expected);
    expect(vfi(mirror, ['fsck']).code).toBe(0);
  });

  it('a missing, corrupt or stale cache gives the same answers', () => {
    const expected = answers(store);
    const cache = path.join(store, 'vfi-cache');
    fs.rmSync(cache, { recursive: true, force: true });
    expect(answers(store)).toEqual(expected);
    // every cache file garbage, then every cache file valid JSON of the wrong shape
    const files = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? files(path.join(d, e.name)) : [path.join(d, e.name)]));
    for (const content of ['{"v":', '{"v":3,"commit":"x"}', '[]', 'null']) {
      for (const f of files(cache)) fs.writeFileSync(f, content);
      expect(answers(store)).toEqual(expected);
    }
    // a cache left behind by a newer assertion is caught up
    ok(store, ['assert', `Runtime@${ids[3]}`, 'tests-passed', 'reviewed', 'smoke-verified', 'perf-ok'], T1);
    const caughtUp = answers(store);
    expect(caughtUp[1]).toBe(`Runtime@${ids[3]}\n`);
    fs.rmSync(cache, { recursive: true, force: true });
    expect(answers(store)).toEqual(caughtUp);
  });

  it('a cache kept up to date step by step answers as one rebuilt from scratch', () => {
    const s = path.join(dir, 'steps');
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ api: { type: 'dockerImage', address: `polyverse/api:v${i}` } }));
    const all = ok(s, ['import', 'Runtime', '-'], { input: lines.join('\n') }).trim().split('\n').map((l) => l.split('@')[1]!);
    let x = 42;
    const rand = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n);
    const claims = ['tests-passed', 'smoke-verified', 'reviewed', 'perf-ok'];
    const probe = (store: string) => [
      ok(store, ['pick', 'Runtime', '--top', '100', '--json']),
      ...[['find', '--has', 'reviewed,perf-ok'], ['pick', 'Runtime', '--require', 'tests-passed,smoke-verified,reviewed']].map((args) => {
        const r = vfi(store, args);
        return `${r.code} ${r.stdout}`;
      }),
    ];
    for (let step = 0; step < 12; step++) {
      // a few records (one or two fanout directories) or a batch touching most of them
      const n = step % 4 === 3 ? 40 : 1 + rand(3);
      const batch = Array.from({ length: n }, () => JSON.stringify({
        vfi: `Runtime@${all[rand(all.length)]}`, claim: claims[rand(claims.length)], result: rand(4) === 0 ? 'fail' : 'pass',
      }));
      ok(s, ['assert', '--batch', '-'], { input: batch.join('\n'), ...at(`2026-11-02T00:${String(step).padStart(2, '0')}:00Z`) });
      if (step % 5 === 4) ok(s, ['set', 'Runtime', `router=polyverse/router:s${step}`]);
      const warm = probe(s);
      const cold = path.join(dir, `steps-cold-${step}`);
      fs.cpSync(s, cold, { recursive: true });
      fs.rmSync(path.join(cold, 'vfi-cache'), { recursive: true, force: true });
      expect(probe(cold), `step ${step}`).toEqual(warm);
    }
  }, 120_000);

  it('a merge of two stores\' assertion histories (as after pull) is read as the union', () => {
    const a = path.join(dir, 'a.git');
    const b = path.join(dir, 'b.git');
    for (const clone of [a, b]) expect(git('.', ['clone', '-q', '--mirror', '--no-local', store, clone]).code).toBe(0);
    const before = answers(a); // warms a's cache on the pre-merge state
    // The same record made in both stores, and different ones.
    for (const s of [a, b]) ok(s, ['assert', `Runtime@${ids[1]}`, 'smoke-verified'], T2);
    ok(a, ['assert', `Runtime@${ids[0]}`, 'smoke-verified', '--fail'], T2);
    ok(b, ['assert', `Runtime@${ids[1]}`, 'perf-ok', 'soak-24h'], T2);
    expect(ok(a, ['pick', 'Runtime'])).toBe(`Runtime@${ids[3]}\n`);
    // Merge b's history into a with plain git: trees named by content union without conflict.
    expect(git(a, ['fetch', '-q', b, `+${REF}:refs/remotes/b/assertions`]).code).toBe(0);
    const merged = git(a, ['merge-tree', '--write-tree', REF, 'refs/remotes/b/assertions']);
    expect(merged.code, merged.stdout).toBe(0);
    const tree = merged.stdout.trim().split('\n')[0]!;
    const commit = git(a, ['commit-tree', tree, '-p', REF, '-p', 'refs/remotes/b/assertions', '-m', 'merge'],).stdout.trim();
    expect(git(a, ['update-ref', REF, commit]).code).toBe(0);
    const afterMerge = answers(a);
    expect(afterMerge).not.toEqual(before);
    expect(afterMerge[0]).toContain(`"id": "${ids[1]}"`);
    expect(JSON.parse(afterMerge[0]!)[0]).toMatchObject({ id: ids[1], score: 5 });
    expect(JSON.parse(ok(a, ['assertions', ids[1]!, '--json'])).records).toHaveLength(5);
    // the incrementally updated cache agrees with one rebuilt from scratch
    fs.rmSync(path.join(a, 'vfi-cache'), { recursive: true, force: true });
    expect(answers(a)).toEqual(afterMerge);
    expect(vfi(a, ['fsck']).code).toBe(0);
    expect(git(a, ['fsck', '--strict']).code).toBe(0);
  });
});
