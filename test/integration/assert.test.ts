/** `vfi assert`, `--batch`, `release` and `assertions` on real temp stores, checked with git's own CLI. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRecord, parseAt, recordFileName } from '../../src/core/assertion.js';
import { at, cliWith, publishRuntimes, useRuntimes, finished, git, PICK_ANY, runtimeVfi, shellsAtOnce, snapshot, tempDir, vfiAsync } from '../helpers/cli.js';

/**
 * These tests are about scoring and ranking, so pick is asked for every VFI as a candidate
 * (`--allow-unpinned --min-score 0`: tags and score 0 allowed); the safe defaults of a release
 * gate are tested in trust.test.ts.
 */
const { vfi } = cliWith(PICK_ANY);

const REF = 'refs/vfi-assertions/main';
const newestLogged = (logJson: string): string => JSON.parse(logJson)[0].id;

/** Runtime published three times (different routers). */
const THREE = ['1.0.3', '1.0.4'];

describe('vfi assert', () => {
  const { dir, store, ids } = useRuntimes(THREE);

  it('records one assertion per claim, prints one line per record, and makes one commit', () => {
    const r = vfi(store, ['assert', 'Runtime~2', 'tests-passed', 'reviewed', '--evidence', 'https://ci.example.com/run/1']);
    expect(r).toEqual({ code: 0, stderr: '', stdout: `Runtime@${ids[0]} tests-passed pass\nRuntime@${ids[0]} reviewed pass\n` });
    expect(git(store, ['log', '--format=%an|%s', REF]).stdout).toBe(`Test Author|assert Runtime@${ids[0]} tests-passed=pass reviewed=pass\n`);
  });

  it('stores each record as the canonical in-toto Statement, filed by VFI id and named by content', () => {
    const vfiBytes = Buffer.from(vfi(store, ['show', ids[0]!]).stdout);
    // The second record of the call is dated one microsecond after the first: recording order is the order.
    const expected = ['tests-passed', 'reviewed'].map((claim, i) => makeRecord({
      name: 'Runtime', vfi: ids[0]!, sha256: createHash('sha256').update(vfiBytes).digest('hex'), claim, result: 'pass',
      by: 'Test Author', at: `2026-11-01T12:00:00.00000${i}Z`, evidence: 'https://ci.example.com/run/1',
    }));
    const tree = git(store, ['ls-tree', '-r', REF]).stdout;
    for (const rec of expected) {
      const file = `${ids[0]!.slice(0, 2)}/${ids[0]!.slice(2)}/${recordFileName(rec)}`;
      expect(tree).toContain(`100644 blob ${rec.record}\t${file}\n`);
      expect(git(store, ['cat-file', '-p', `${REF}:${file}`]).stdout).toBe(rec.bytes.toString());
    }
    expect(tree.trim().split('\n')).toHaveLength(2);
    expect(git(store, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
    expect(vfi(store, ['fsck']).code).toBe(0);
  });

  it('accepts every reference form, --fail, --note, --by, and the bless alias', () => {
    const prefix = ids[1]!.slice(0, 7);
    expect(vfi(store, ['bless', `Runtime@${prefix}`, 'tests-passed']).stdout).toBe(`Runtime@${ids[1]} tests-passed pass\n`);
    const r = vfi(store, ['assert', prefix, 'smoke-verified', '--fail', '--note', 'router 502s under load', '--by', 'Smoke Bot'], at('2026-11-01T12:05:00Z'));
    expect(r.stdout).toBe(`Runtime@${ids[1]} smoke-verified fail\n`);
    expect(vfi(store, ['assert', 'Runtime', 'tests-passed']).stdout).toBe(`Runtime@${ids[2]} tests-passed pass\n`);
    expect(vfi(store, ['assert', ids[2]!, 'reviewed']).stdout).toBe(`Runtime@${ids[2]} reviewed pass\n`);
    expect(git(store, ['rev-list', '--count', REF]).stdout.trim()).toBe('5');
  });

  it('the same assertion again is a new record, dated after the first even with the clock fixed', () => {
    const before = git(store, ['ls-tree', '-r', '--name-only', REF]).stdout.trim().split('\n');
    const r = vfi(store, ['assert', 'Runtime', 'tests-passed']);
    expect(r).toEqual({ code: 0, stderr: '', stdout: `Runtime@${ids[2]} tests-passed pass\n` });
    const after = git(store, ['ls-tree', '-r', '--name-only', REF]).stdout.trim().split('\n');
    expect(after).toHaveLength(before.length + 1);
    const ats = JSON.parse(vfi(store, ['assertions', 'Runtime', '--json']).stdout).records.map((x: { at: string }) => x.at);
    expect(ats).toEqual(['2026-11-01T12:00:00.000000Z', '2026-11-01T12:00:00.000001Z', '2026-11-01T12:00:00.000002Z']);
  });

  it('vfi release records the released claim and prints the record line', () => {
    const r = vfi(store, ['release', `Runtime@${ids[0]}`, '--note', 'shipped to prod']);
    expect(r).toEqual({ code: 0, stderr: '', stdout: `Runtime@${ids[0]} released pass\n` });
    expect(git(store, ['log', '-1', '--format=%s', REF]).stdout).toBe(`assert Runtime@${ids[0]} released=pass\n`);
  });

  it('vfi assertions lists a VFI\'s records oldest first, with its score', () => {
    vfi(store, ['assert', 'Runtime~1', 'smoke-verified'], at('2026-11-01T12:10:00Z')); // re-qualifies
    const r = vfi(store, ['assertions', `Runtime@${ids[1]}`]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^AT\s+CLAIM\s+RESULT\s+BY\s+SIGNED\s+NOTE, EVIDENCE$/);
    expect(lines.slice(1, -1).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['2026-11-01T12:00:00Z', 'tests-passed', 'pass'],
      ['2026-11-01T12:05:00Z', 'smoke-verified', 'fail'],
      ['2026-11-01T12:10:00Z', 'smoke-verified', 'pass'],
    ]);
    expect(lines.at(-1)).toBe('score 2: smoke-verified, tests-passed');
  });

  it('vfi assertions --json gives the records, the latest result per claim and the score', () => {
    const j = JSON.parse(vfi(store, ['assertions', `Runtime@${ids[1]}`, '--json']).stdout);
    expect(j).toMatchObject({ ref: `Runtime@${ids[1]}`, name: 'Runtime', id: ids[1], score: 2, candidate: true });
    expect(j.claims).toEqual({
      'smoke-verified': { result: 'pass', at: '2026-11-01T12:10:00.000000Z', by: 'Test Author', record: expect.stringMatching(/^[0-9a-f]{40}$/) },
      'tests-passed': { result: 'pass', at: '2026-11-01T12:00:00.000000Z', by: 'Test Author', record: expect.stringMatching(/^[0-9a-f]{40}$/) },
    });
    expect(j.records.map((x: { claim: string; result: string }) => `${x.claim}=${x.result}`)).toEqual(['tests-passed=pass', 'smoke-verified=fail', 'smoke-verified=pass']);
    expect(j.records[1]).toMatchObject({ by: 'Smoke Bot', note: 'router 502s under load' });
    for (const x of j.records) expect(git(store, ['cat-file', '-t', x.record]).stdout).toBe('blob\n');
  });

  it('vfi assertions --format intoto writes one valid Statement per line about the VFI that git hashes', () => {
    for (const id of ids) {
      const out = vfi(store, ['assertions', id, '--format', 'intoto']).stdout;
      const shown = vfi(store, ['show', id]).stdout;
      const gitBlob = git(store, ['hash-object', '--stdin'], shown).stdout.trim();
      const sha256 = createHash('sha256').update(shown).digest('hex');
      const lines = out.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      expect(out.endsWith('\n')).toBe(true);
      for (const line of lines) {
        const st = JSON.parse(line);
        expect(st._type).toBe('https://in-toto.io/Statement/v1');
        expect(st.predicateType).toBe('https://vfi.dev/assertion/v1');
        expect(st.subject).toEqual([{ name: 'Runtime', digest: { gitBlob, sha256 } }]);
        expect(st.predicate).toMatchObject({ claim: expect.any(String), result: expect.stringMatching(/^(pass|fail)$/), by: expect.any(String) });
        expect(st.predicate.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      }
    }
  });

  it('an unasserted VFI has no records and score 0', () => {
    vfi(store, ['set', 'Runtime', 'nsq=nsqio/nsq:v1.3.0']);
    const r = vfi(store, ['assertions', 'Runtime']);
    expect([r.code, r.stdout]).toEqual([0, 'score 0\n']);
    expect(vfi(store, ['assertions', 'Runtime', '--format', 'intoto']).stdout).toBe('');
  });

  it('the history is plain git: every commit has the one before as parent', () => {
    const log = git(store, ['log', '--format=%s', REF]).stdout.trim().split('\n');
    expect(log.at(-1)).toBe(`assert Runtime@${ids[0]} tests-passed=pass reviewed=pass`);
    expect(log).toHaveLength(Number(git(store, ['rev-list', '--count', '--first-parent', REF]).stdout));
  });
});

describe('subjects and damage', () => {
  const { dir, store, ids } = useRuntimes(THREE);

  it('a bare id published under several names is recorded under the first, with a note', () => {
    const file = path.join(dir, 'same.json');
    fs.writeFileSync(file, vfi(store, ['show', ids[0]!]).stdout);
    expect(vfi(store, ['add', 'Canary', file]).stdout).toBe(`Canary@${ids[0]}\n`);
    const r = vfi(store, ['assert', ids[0]!, 'tests-passed']);
    expect([r.code, r.stdout]).toEqual([0, `Canary@${ids[0]} tests-passed pass\n`]);
    expect(r.stderr).toContain('Runtime');
    // a name in the reference chooses
    expect(vfi(store, ['assert', `Runtime@${ids[0]}`, 'reviewed']).stdout).toBe(`Runtime@${ids[0]} reviewed pass\n`);
    const subjects = vfi(store, ['assertions', ids[0]!, '--format', 'intoto']).stdout.trim().split('\n').map((l) => JSON.parse(l).subject[0].name);
    expect(subjects.sort()).toEqual(['Canary', 'Runtime']);
  });

  it('vfi fsck reports a record whose file name does not say what it says, and foreign entries', () => {
    const damaged = path.join(dir, 'damaged');
    fs.cpSync(store, damaged, { recursive: true });
    const [line] = git(damaged, ['ls-tree', '-r', REF]).stdout.trim().split('\n');
    const [, , record, file] = /^(\d+) blob ([0-9a-f]{40})\t(.*)$/.exec(line!)!;
    const lying = path.basename(file!).replace('-pass-', '-fail-');
    const mktree = (entries: string) => git(damaged, ['mktree'], entries).stdout.trim();
    const dirTree = mktree(`100644 blob ${record}\t${lying}\n`);
    const shardTree = mktree(`040000 tree ${dirTree}\t${ids[0]!.slice(2)}\n`);
    const readme = git(damaged, ['hash-object', '-w', '--stdin'], 'hello\n').stdout.trim();
    const root = mktree(`040000 tree ${shardTree}\t${ids[0]!.slice(0, 2)}\n100644 blob ${readme}\tREADME\n`);
    const commit = git(damaged, ['commit-tree', root, '-p', REF, '-m', 'tamper']).stdout.trim();
    expect(git(damaged, ['update-ref', REF, commit]).code).toBe(0);
    expect(git(damaged, ['fsck', '--strict']).code).toBe(0); // valid git, wrong vfi
    const r = vfi(damaged, ['fsck']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(lying);
    expect(r.stdout).toContain('README');
    expect(vfi(store, ['fsck']).code).toBe(0);
  });
});

describe('bad input: the right exit code, nothing written', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  beforeAll(() => {
    publishRuntimes(store, THREE);
    vfi(store, ['assert', 'Runtime', 'tests-passed']);
  });

  it.each<[string, string[], number]>([
    ['an unknown lineage', ['assert', 'Nope', 'tests-passed'], 3],
    ['an unknown id', ['assert', 'Runtime@0000000', 'tests-passed'], 3],
    ['an unknown bare id', ['assert', 'abcdef0123', 'tests-passed'], 3],
    ['too far back', ['assert', 'Runtime~9', 'tests-passed'], 3],
    ['an invalid claim', ['assert', 'Runtime', 'tests passed'], 2],
    ['a claim starting with a dot', ['assert', 'Runtime', '.hidden'], 2],
    ['an invalid reference', ['assert', 'Runtime@xyz', 'tests-passed'], 2],
    ['no claim', ['assert', 'Runtime'], 2],
    ['no reference', ['assert'], 2],
    ['evidence that is not http(s)', ['assert', 'Runtime', 'x', '--evidence', 'ftp://example.com/r'], 2],
    ['evidence that is not a URL', ['assert', 'Runtime', 'x', '--evidence', 'run 812'], 2],
    ['a multi-line note', ['assert', 'Runtime', 'x', '--note', 'a\nb'], 2],
    ['--batch with a reference too', ['assert', 'Runtime', '--batch', '-'], 2],
    ['assertions of an unknown VFI', ['assertions', 'Runtime@0000000'], 3],
    ['an unknown --format', ['assertions', 'Runtime', '--format', 'xml'], 2],
    ['--json with --format intoto', ['assertions', 'Runtime', '--json', '--format', 'intoto'], 2],
    ['--format intoto with --json', ['assertions', 'Runtime', '--format', 'intoto', '--json'], 2],
    ['--json with --format text', ['assertions', 'Runtime', '--json', '--format', 'text'], 2],
    ['release of an unknown VFI', ['release', 'Nope'], 3],
  ])('%s', (_what, args, code) => {
    const before = snapshot(store);
    const r = vfi(store, args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(snapshot(store)).toEqual(before);
  });

  it('--json with --format json agrees with itself', () => {
    const r = vfi(store, ['assertions', 'Runtime', '--json', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(vfi(store, ['assertions', 'Runtime', '--json']).stdout));
  });

  it('an invalid claim is INVALID_CLAIM (code, not wording)', async () => {
    const { checkClaim } = await import('../../src/core/names.js');
    expect(() => checkClaim('tests passed')).toThrowError(expect.objectContaining({ code: 'INVALID_CLAIM' }));
  });

  it('a store that does not exist is not created by assert', () => {
    const missing = path.join(dir, 'missing');
    expect(vfi(missing, ['assert', 'Runtime', 'x']).code).toBe(3);
    expect(fs.existsSync(missing)).toBe(false);
  });
});

describe('vfi assert --batch', () => {
  const { dir, store, ids } = useRuntimes(THREE);
  const line = (o: Record<string, unknown>) => JSON.stringify(o);

  it('records every line in one commit and prints the count', () => {
    const file = path.join(dir, 'results.jsonl');
    fs.writeFileSync(file, [
      line({ vfi: `Runtime@${ids[0]}`, claim: 'tests-passed', result: 'pass' }),
      '',
      line({ vfi: `Runtime@${ids[0]!.slice(0, 8)}`, claim: 'smoke-verified', result: 'fail', note: 'timeout', by: 'Smoke Bot' }),
      line({ vfi: 'Runtime~1', claim: 'tests-passed', result: 'pass', evidence: 'https://ci.example.com/run/2' }),
      line({ vfi: 'Runtime', claim: 'reviewed', result: 'pass' }),
      line({ vfi: ids[2], claim: 'tests-passed', result: 'pass' }),
    ].join('\n') + '\n');
    const r = vfi(store, ['assert', '--batch', file]);
    expect([r.code, r.stdout]).toEqual([0, '5\n']);
    expect(git(store, ['log', '--format=%s', REF]).stdout).toBe('assert --batch: 5 records\n');
    expect(git(store, ['ls-tree', '-r', '--name-only', REF]).stdout.trim().split('\n')).toHaveLength(5);
    const j = JSON.parse(vfi(store, ['assertions', ids[0]!, '--json']).stdout);
    expect(j.claims['smoke-verified']).toMatchObject({ result: 'fail', by: 'Smoke Bot' });
    expect(JSON.parse(vfi(store, ['assertions', ids[2]!, '--json']).stdout).score).toBe(2);
  });

  it('reads stdin', () => {
    const r = vfi(store, ['assert', '--batch', '-'], { input: line({ vfi: 'Runtime~2', claim: 'reviewed', result: 'pass' }) });
    expect([r.code, r.stdout]).toEqual([0, '1\n']);
  });

  it.each<[string, string, number]>([
    ['a malformed line', '{"vfi": "Runtime", "claim": "a", "result": "pass"', 2],
    ['a line that is not an object', '"Runtime"', 2],
    ['an unknown key', line({ vfi: 'Runtime', claim: 'a', result: 'pass', reslt: 'x' }), 2],
    ['a bad result', line({ vfi: 'Runtime', claim: 'a', result: 'ok' }), 2],
    ['an invalid claim', line({ vfi: 'Runtime', claim: 'a b', result: 'pass' }), 2],
    ['bad evidence', line({ vfi: 'Runtime', claim: 'a', result: 'pass', evidence: 'file:///x' }), 2],
    ['an invalid reference', line({ vfi: 'Runtime@zz', claim: 'a', result: 'pass' }), 2],
    ['an unknown VFI', line({ vfi: 'Runtime@00000000', claim: 'a', result: 'pass' }), 3],
    ['an unknown lineage', line({ vfi: 'Nope', claim: 'a', result: 'pass' }), 3],
  ])('refuses the whole batch for %s, naming its line, writing nothing', (_what, bad, code) => {
    const file = path.join(dir, 'batch.jsonl');
    const good = Array.from({ length: 16 }, (_, i) => line({ vfi: `Runtime@${ids[i % 3]}`, claim: `c${i}`, result: 'pass' }));
    fs.writeFileSync(file, [...good, bad, ...good.slice(0, 3)].join('\n'));
    const before = snapshot(store);
    const r = vfi(store, ['assert', '--batch', file]);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(/^vfi: [^\n]*batch\.jsonl:17: /);
    expect(r.stdout).toBe('');
    expect(snapshot(store)).toEqual(before);
  });

  it('refuses an empty batch', () => {
    expect(vfi(store, ['assert', '--batch', '-'], { input: '\n\n' }).code).toBe(2);
  });

  it.each<[string, Buffer]>([
    ['invalid UTF-8 in a note', Buffer.from('{"vfi":"Runtime","claim":"a","result":"pass","note":"\xff"}', 'latin1')],
    ['invalid UTF-8 in a claim', Buffer.concat([Buffer.from('{"vfi":"Runtime","claim":"a'), Buffer.from([0xc3]), Buffer.from('","result":"pass"}')])],
    ['a NUL byte', Buffer.from('{"vfi":"Runtime","claim":"a","result":"pass"}\0')],
    ['a lone surrogate', Buffer.from('{"vfi":"Runtime","claim":"a","result":"pass","note":"\\ud800"}')],
  ])('refuses %s as add does (I-JSON), naming the line, writing nothing', (_what, bad) => {
    const good = Buffer.from(`${line({ vfi: 'Runtime', claim: 'fine', result: 'pass' })}\n\n`);
    const before = snapshot(store);
    for (const input of [Buffer.concat([good, bad, Buffer.from('\n'), good]), Buffer.concat([good, bad])]) {
      const r = vfi(store, ['assert', '--batch', '-'], { input });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^vfi: <stdin>:3: (not JSON|string with a lone surrogate)/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(snapshot(store)).toEqual(before);
  });
});

describe('recording order is the order', () => {
  const { dir, store, ids } = useRuntimes(THREE);
  const listed = (ref: string) => vfi(store, ['assertions', ref]).stdout.trim().split('\n').slice(1, -1).map((l) => l.split(/\s{2,}/).slice(1, 3).join('='));

  it('in one batch with the clock fixed, a pass after a fail of one claim is the latest, and listed after it', () => {
    // Twelve claims each way round: ordered by record hashes, some would come out wrong.
    const claims = Array.from({ length: 12 }, (_, i) => `b${i}`);
    const lines = claims.flatMap((c, i) => (i % 2 === 0 ? ['fail', 'pass'] : ['pass', 'fail']).map((result) => JSON.stringify({ vfi: 'Runtime', claim: c, result })));
    const r = vfi(store, ['assert', '--batch', '-'], { input: lines.join('\n') });
    expect([r.code, r.stdout]).toEqual([0, '24\n']);
    const j = JSON.parse(vfi(store, ['assertions', 'Runtime', '--json']).stdout);
    for (const [i, c] of claims.entries()) expect(j.claims[c].result, c).toBe(i % 2 === 0 ? 'pass' : 'fail');
    expect(j.records.map((x: { claim: string; result: string }) => `${x.claim}=${x.result}`)).toEqual(lines.map((l) => `${JSON.parse(l).claim}=${JSON.parse(l).result}`));
    // Consecutive microseconds after the fixed clock; people see the second.
    expect(j.records.map((x: { at: string }) => x.at)).toEqual(lines.map((_, i) => `2026-11-01T12:00:00.${String(i).padStart(6, '0')}Z`));
    expect(listed('Runtime')).toEqual(j.records.map((x: { claim: string; result: string }) => `${x.claim}=${x.result}`));
    expect(vfi(store, ['assertions', 'Runtime']).stdout).toContain('2026-11-01T12:00:00Z  b0');
    expect(JSON.parse(vfi(store, ['pick', 'Runtime', '--json']).stdout)).toMatchObject({ score: 0 }); // b1, b3, … fail last
  });

  it('one `vfi assert REF a b …` lists its claims in the order given', () => {
    const claims = ['zeta', 'alpha', 'mu', 'beta', 'omega', 'gamma', 'delta', 'kappa'];
    expect(vfi(store, ['assert', 'Runtime~1', ...claims]).code).toBe(0);
    expect(listed('Runtime~1')).toEqual(claims.map((c) => `${c}=pass`));
  });

  it('re-running a batch at the same clock reading records it again, after the first run, and says so truly', () => {
    const batch = [ids[0], ids[0], ids[1]].map((id, i) => JSON.stringify({ vfi: `Runtime@${id}`, claim: `again-${i}`, result: 'pass' })).join('\n');
    const count = () => git(store, ['ls-tree', '-r', '--name-only', REF]).stdout.trim().split('\n').length;
    const start = count();
    for (const run of [1, 2]) {
      const r = vfi(store, ['assert', '--batch', '-'], { input: batch });
      expect(r).toEqual({ code: 0, stdout: '3\n', stderr: 'vfi: recorded 3 assertions\n' });
      expect(count()).toBe(start + 3 * run);
    }
    // Each record of the second run is dated after every record of its VFI, the first run's included.
    for (const id of [ids[0]!, ids[1]!]) {
      const recs = JSON.parse(vfi(store, ['assertions', id, '--json']).stdout).records as { claim: string; at: string }[];
      const again = recs.filter((x) => x.claim.startsWith('again-'));
      expect(again.length).toBe(id === ids[0] ? 4 : 2);
      expect(recs.at(-1)).toBe(again.at(-1));
      expect(new Set(recs.map((x) => x.at)).size).toBe(recs.length);
    }
  });
});

describe('a later record supersedes an earlier one, whatever the clock says (SPEC §1)', () => {
  const dir = tempDir();
  const claims = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
  /** A store with one lineage G; `fixed` is the environment every command of the test runs in. */
  function fixedStore(name: string): string {
    const store = path.join(dir, name);
    vfi(store, ['add', 'G', '-'], { input: JSON.stringify(runtimeVfi()) });
    return store;
  }
  const failThenRerun = (store: string, env: Record<string, string>) => {
    for (const c of claims) {
      expect(vfi(store, ['assert', 'G', c, '--fail'], { env }).code).toBe(0);
      expect(vfi(store, ['assert', 'G', c, '--note', 'rerun after fix'], { env }).code).toBe(0);
    }
    return JSON.parse(vfi(store, ['assertions', 'G', '--json'], { env }).stdout);
  };

  it('GIT_AUTHOR_DATE fixed (a reproducible-build CI): the re-runs pass, records carry the real clock, commits git\'s date', () => {
    const store = fixedStore('git-author-date');
    const env = { VFI_NOW: '', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z' };
    const before = Date.now() * 1000;
    const j = failThenRerun(store, env);
    const after = Date.now() * 1000;
    expect(j).toMatchObject({ score: 6, candidate: true });
    for (const c of claims) expect(j.claims[c].result, c).toBe('pass');
    const ats = j.records.map((x: { at: string }) => parseAt(x.at)!);
    for (const at of ats) {
      expect(at).toBeGreaterThanOrEqual(before - 1000);
      expect(at).toBeLessThanOrEqual(after + 12);
    }
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
    expect(new Set(git(store, ['log', '--format=%at %ct', REF]).stdout.trim().split('\n'))).toEqual(new Set([`${Date.parse('2026-01-01T00:00:00Z') / 1000} ${Date.parse('2026-01-01T00:00:00Z') / 1000}`]));
  });

  it('VFI_NOW fixed: the re-runs pass, each record dated one microsecond after the one before', () => {
    const store = fixedStore('vfi-now');
    const j = failThenRerun(store, { VFI_NOW: '2026-01-01T00:00:00Z' });
    expect(j).toMatchObject({ score: 6, candidate: true });
    expect(j.records.map((x: { claim: string; result: string }) => `${x.claim}=${x.result}`)).toEqual(claims.flatMap((c) => [`${c}=fail`, `${c}=pass`]));
    expect(j.records.map((x: { at: string }) => x.at)).toEqual(claims.flatMap((_, i) => [2 * i, 2 * i + 1]).map((us) => `2026-01-01T00:00:00.${String(us).padStart(6, '0')}Z`));
  });

  it('a batch fail then pass, then `assert --fail` at the same clock: the fail is recorded, reported and counts', () => {
    const store = fixedStore('batch-then-assert');
    const env = { VFI_NOW: '2026-01-01T00:00:00Z' };
    const batch = ['fail', 'pass'].map((result) => JSON.stringify({ vfi: 'G', claim: 'q', result })).join('\n');
    expect(vfi(store, ['assert', '--batch', '-'], { input: batch, env })).toMatchObject({ code: 0, stdout: '2\n' });
    const r = vfi(store, ['assert', 'G', 'q', '--fail'], { env });
    const id = newestLogged(vfi(store, ['log', 'G', '--json']).stdout);
    expect(r).toEqual({ code: 0, stderr: '', stdout: `G@${id} q fail\n` });
    const j = JSON.parse(vfi(store, ['assertions', 'G', '--json'], { env }).stdout);
    expect(j.records.map((x: { result: string; at: string }) => `${x.at} ${x.result}`)).toEqual([
      '2026-01-01T00:00:00.000000Z fail', '2026-01-01T00:00:00.000001Z pass', '2026-01-01T00:00:00.000002Z fail']);
    expect(j).toMatchObject({ score: 0, candidate: false, claims: { q: { result: 'fail' } } });
    expect(vfi(store, ['pick', 'G']).code).toBe(3);
  });

  it('a clock behind a record already in the store: dated just after it, and stderr says so', () => {
    const store = fixedStore('behind');
    expect(vfi(store, ['assert', 'G', 'soak', '--fail'], at('2026-01-01T12:00:00Z')).code).toBe(0);
    const r = vfi(store, ['assert', 'G', 'soak'], at('2026-01-01T11:00:00Z'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^vfi: dated 2026-01-01T12:00:00\.000001Z, not at the clock's 2026-01-01T11:00:00Z[^\n]*\n$/);
    expect(JSON.parse(vfi(store, ['assertions', 'G', '--json']).stdout)).toMatchObject({ candidate: true, claims: { soak: { result: 'pass', at: '2026-01-01T12:00:00.000001Z' } } });
  });

  it('two processes asserting fail and pass on one claim at once, at a fixed clock: the later commit wins, as git log orders them', async () => {
    const store = fixedStore('race');
    const rounds = Array.from({ length: 24 }, (_, i) => `r${i}`);
    // Each process asserts every claim in turn, one `vfi assert` each, so the two race on every claim.
    const script = (fail: boolean) => `for c in ${rounds.join(' ')}; do vfi assert G $c ${fail ? '--fail' : ''} > /dev/null || exit 1; done`;
    const codes = await shellsAtOnce(store, [script(true), script(false)]);
    expect(codes).toEqual([0, 0]);
    // Oldest first along the first-parent chain: each commit message says claim=result.
    const commits = git(store, ['log', '--reverse', '--first-parent', '--format=%s', REF]).stdout.trim().split('\n');
    expect(commits).toHaveLength(48);
    const lastCommitted = new Map<string, string>();
    for (const m of commits) {
      const [, claim, result] = / (r\d+)=(pass|fail)$/.exec(m)!;
      lastCommitted.set(claim!, result!);
    }
    const j = JSON.parse(vfi(store, ['assertions', 'G', '--json']).stdout);
    for (const c of rounds) expect(j.claims[c].result, c).toBe(lastCommitted.get(c));
    // and the records' order is the commits' order
    expect(j.records.map((x: { claim: string; result: string }) => `${x.claim}=${x.result}`)).toEqual(commits.map((m) => m.split(' ').at(-1)));
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
  }, 120_000);
});

describe('records made by earlier versions (whole seconds, then milliseconds)', () => {
  const { dir, store, ids } = useRuntimes(THREE);
  const claimsOf = (s: string) => JSON.parse(vfi(s, ['pick', 'Runtime', '--top', '3', '--json']).stdout).map((c: { id: string; score: number }) => `${c.id.slice(0, 8)}:${c.score}`);

  beforeAll(() => {
    // Written with git alone, under the file-name rules those versions used:
    // <yyyymmddThhmmssZ>-… (whole seconds) and <yyyymmddThhmmss.mmmZ>-… (milliseconds).
    const sha256 = createHash('sha256').update(vfi(store, ['show', ids[0]!]).stdout).digest('hex');
    const old = [
      { claim: 'flaky', result: 'fail', at: '2026-10-01T08:00:00Z', file: '20261001T080000Z' },
      { claim: 'flaky', result: 'pass', at: '2026-10-01T08:00:00.500Z', file: '20261001T080000.500Z' },
      { claim: 'reviewed', result: 'pass', at: '2026-10-01T08:00:01Z', file: '20261001T080001Z' },
    ] as const;
    const entries = old.map(({ claim, result, at, file }) => {
      const bytes = makeRecord({ name: 'Runtime', vfi: ids[0]!, sha256, claim, result, by: 'Old CI', at }).bytes;
      const blob = git(store, ['hash-object', '-w', '--stdin'], bytes.toString()).stdout.trim();
      return `100644 blob ${blob}\t${file}-${claim}-${result}-${blob}.json\n`;
    });
    const mktree = (text: string) => git(store, ['mktree'], text).stdout.trim();
    const shard = mktree(`040000 tree ${mktree(entries.join(''))}\t${ids[0]!.slice(2)}\n`);
    const root = mktree(`040000 tree ${shard}\t${ids[0]!.slice(0, 2)}\n`);
    const commit = git(store, ['commit-tree', root, '-m', 'assert (an earlier vfi)'], undefined).stdout.trim();
    expect(git(store, ['update-ref', REF, commit]).code).toBe(0);
  });

  it('are read, ordered by time with new ones, scored and accepted by fsck', () => {
    expect(vfi(store, ['assert', `Runtime@${ids[0]}`, 'flaky', '--fail'], at('2026-10-01T08:00:02Z')).code).toBe(0);
    const j = JSON.parse(vfi(store, ['assertions', `Runtime@${ids[0]}`, '--json']).stdout);
    expect(j.records.map((r: { claim: string; result: string; at: string }) => `${r.at} ${r.claim}=${r.result}`)).toEqual([
      '2026-10-01T08:00:00Z flaky=fail',
      '2026-10-01T08:00:00.500Z flaky=pass',
      '2026-10-01T08:00:01Z reviewed=pass',
      '2026-10-01T08:00:02.000000Z flaky=fail',
    ]);
    expect(j).toMatchObject({ score: 1, candidate: false });
    expect(vfi(store, ['find', '--any', '--has', 'reviewed', 'Runtime']).stdout).toBe(`Runtime@${ids[0]}\n`);
    const fsck = vfi(store, ['fsck']);
    expect(fsck.code, fsck.stdout).toBe(0);
    expect(fsck.stdout).toContain('4 assertions');
    expect(vfi(store, ['assert', `Runtime@${ids[0]}`, 'flaky'], at('2026-10-01T08:00:03Z')).code).toBe(0);
    expect(claimsOf(store)[0]).toBe(`${ids[0]!.slice(0, 8)}:2`);
  });

  it('are scored afresh when the caches were written by the previous cache format', () => {
    const expected = claimsOf(store);
    const cache = path.join(store, 'vfi-cache');
    // What the previous version (cache format 3) made of this store: names in whole seconds
    // did not parse there, so only the millisecond records counted.
    const standings = JSON.parse(fs.readFileSync(path.join(cache, 'assertions.json'), 'utf8'));
    const shard = standings.shards[ids[0]!.slice(0, 2)];
    const pos = shard.ids.indexOf(ids[0]!.slice(2)) / 38;
    shard.s[pos] = standings.standings.push([[standings.claims.indexOf('flaky')], []]) - 1;
    fs.writeFileSync(path.join(cache, 'assertions.json'), JSON.stringify({ ...standings, v: 3 }));
    const picks = JSON.parse(fs.readFileSync(path.join(cache, 'picks', 'Runtime.json'), 'utf8'));
    picks.s[picks.ids.indexOf(ids[0]!) / 40] = picks.standings.push({ passing: ['flaky'], failing: [] }) - 1;
    fs.writeFileSync(path.join(cache, 'picks', 'Runtime.json'), JSON.stringify({ ...picks, v: 3 }));
    expect(claimsOf(store)).toEqual(expected);
    expect(JSON.parse(fs.readFileSync(path.join(cache, 'assertions.json'), 'utf8')).v).toBeGreaterThan(3);
  });
});

describe('concurrent writers', () => {
  const dir = tempDir();

  it('8 processes each recording 50 assertions at once: all 400 present, git fsck clean', async () => {
    const store = path.join(dir, 'eight');
    const ids = publishRuntimes(store, THREE);
    // Each process records its 50 assertions one `vfi assert` call at a time: 400 appends racing
    // for one ref.
    const script = (p: number) => `for j in $(seq 1 50); do vfi assert Runtime@${ids[p % 3]} p${p}-c$j --note "process ${p}" > /dev/null || exit 1; done`;
    const results = await shellsAtOnce(store, Array.from({ length: 8 }, (_, p) => script(p)));
    expect(results).toEqual(Array(8).fill(0));
    const files = git(store, ['ls-tree', '-r', '--name-only', REF]).stdout.trim().split('\n');
    expect(files).toHaveLength(400);
    for (let p = 0; p < 8; p++) {
      for (let j = 1; j <= 50; j++) expect(files.some((f) => f.includes(`-p${p}-c${j}-pass-`))).toBe(true);
    }
    expect(git(store, ['rev-list', '--count', REF]).stdout.trim()).toBe('400');
    const fsck = git(store, ['fsck', '--strict']);
    expect(fsck.code, fsck.stderr).toBe(0);
    expect(vfi(store, ['fsck']).code).toBe(0);
    expect(JSON.parse(vfi(store, ['assertions', ids[0]!, '--json']).stdout).score).toBe(150);
  }, 180_000);

  it('8 concurrent batches of 50: all 400 present', async () => {
    const store = path.join(dir, 'batches');
    const ids = publishRuntimes(store, THREE);
    const results = await Promise.all(Array.from({ length: 8 }, (_, p) => {
      const file = path.join(dir, `b${p}.jsonl`);
      fs.writeFileSync(file, Array.from({ length: 50 }, (_, j) => JSON.stringify({ vfi: `Runtime@${ids[j % 3]}`, claim: `b${p}-c${j}`, result: 'pass' })).join('\n'));
      return finished(vfiAsync(store, ['assert', '--batch', file]));
    }));
    expect(results.map((r) => [r.code, r.stdout])).toEqual(Array(8).fill([0, '50\n']));
    expect(git(store, ['ls-tree', '-r', '--name-only', REF]).stdout.trim().split('\n')).toHaveLength(400);
    expect(git(store, ['rev-list', '--count', REF]).stdout.trim()).toBe('8');
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
  });
});
