/**
 * Component taints under a trust list: a failing record on an image inside a VFI disqualifies the
 * VFI only when it counts (signed by a key trusted for its claim), as for records on the VFI
 * itself; the taints cache is redone when the trust list changes. Real git, real ed25519 keys.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, tempDir, vfi } from '../helpers/cli.js';

const D1 = '1'.repeat(64);
const D2 = '2'.repeat(64);
const COMMIT = '72e5e550d1835013832f64597cb1368b7155bd53';


describe('component taints count only trusted records', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const ci = path.join(dir, 'ci');
  const qa = path.join(dir, 'qa');
  const router2 = `polyverse/router@sha256:${D2}`;
  let rt1 = '';
  let rt2 = '';
  let pf1 = '';
  let pf2 = '';
  const pick = (name: string) => ok(store, ['pick', name]).trim();

  beforeAll(() => {
    ok(store, ['key', 'generate', '--out', ci]);
    ok(store, ['key', 'generate', '--out', qa]);
    const runtime = { router: { type: 'dockerImage', address: `polyverse/router:1.0@sha256:${D1}` }, api: { type: 'git', address: `https://github.com/polyverse/api.git@${COMMIT}` } };
    rt1 = ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtime) }).trim();
    rt2 = ok(store, ['set', 'Runtime', `router=polyverse/router:1.1@sha256:${D2}`]).trim();
    pf1 = ok(store, ['add', 'Platform', '-'], { input: JSON.stringify({ runtime: { type: 'vfi', address: rt1 } }) }).trim();
    pf2 = ok(store, ['set', 'Platform', `runtime=${rt2}`]).trim();
    for (const r of [rt1, rt2, pf1, pf2]) ok(store, ['assert', r, 'tests-passed', '--sign', path.join(ci, 'vfi.key'), '--by', 'ci-bot']);
    ok(store, ['trust', 'add', 'ci', path.join(ci, 'vfi.pub')]);
    ok(store, ['trust', 'add', 'qa', path.join(qa, 'vfi.pub'), '--claims', 'reviewed']);
    // failing records on the image inside rt2 (and so pf2) that do not count: unsigned, and signed by a key not trusted for the claim
    ok(store, ['assert', router2, 'tests-passed', '--fail', '--by', 'someone']);
    ok(store, ['assert', router2, 'tests-passed', '--fail', '--sign', path.join(qa, 'vfi.key'), '--by', 'qa-bot']);
    // and an unsigned failing record on the nested VFI itself
    ok(store, ['assert', rt2, 'smoke-verified', '--fail', '--by', 'someone']);
  });

  it('an untrusted failing record on a component taints nothing: pick, find, --json and assertions agree', () => {
    expect(pick('Runtime')).toBe(rt2);
    expect(pick('Platform')).toBe(pf2);
    expect(JSON.parse(ok(store, ['pick', 'Platform', '--json']))).toMatchObject({ ok: true, ref: pf2, candidate: true });
    expect(ok(store, ['find', 'Platform', '--has', 'tests-passed']).trim()).toBe(pf2);
    const shown = JSON.parse(ok(store, ['assertions', pf2, '--json']));
    expect(shown.candidate).toBe(true);
    // the component's own listing says why its records do not count
    const own = JSON.parse(ok(store, ['assertions', router2, '--json']));
    expect(own.records.map((r: { counts: boolean; untrusted?: string }) => [r.counts, r.untrusted])).toEqual([[false, 'unsigned'], [false, expect.stringMatching(/not trusted for tests-passed/)]]);
  });

  it('the taints cache is redone when the trust list changes (the assertions and lineages did not move)', () => {
    ok(store, ['trust', 'rm', 'qa']);
    ok(store, ['trust', 'rm', 'ci']);
    // no trust list: every record counts, the unsigned failure too
    expect(pick('Platform')).toBe(pf1);
    expect(pick('Runtime')).toBe(rt1);
    expect(JSON.parse(ok(store, ['find', 'Platform', '--has', 'tests-passed', '--any', '--json']))).toMatchObject({ ref: pf2, candidate: false,
      why: [{ component: 'runtime', subject: rt2, claim: 'smoke-verified' }, { component: 'runtime/router', subject: `polyverse/router:1.1@sha256:${D2}`, claim: 'tests-passed' }] });
    ok(store, ['trust', 'add', 'ci', path.join(ci, 'vfi.pub')]);
    expect(pick('Platform')).toBe(pf2);
    expect(pick('Runtime')).toBe(rt2);
  });

  it('a trusted failing record taints, and --explain names that record, not an untrusted one', () => {
    ok(store, ['assert', router2, 'tests-passed', '--fail', '--sign', path.join(ci, 'vfi.key'), '--by', 'ci-bot']);
    expect(pick('Runtime')).toBe(rt1);
    const r = vfi(store, ['pick', 'Platform', '--explain']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pf1);
    expect(r.stderr).toMatch(/disqualified: runtime\/router \(polyverse\/router:1\.1@sha256:2+\) tests-passed failed at \S+ by ci-bot, record [0-9a-f]{12}/);
    expect(ok(store, ['assertions', pf2])).toMatch(/not a candidate: runtime\/router tests-passed failed at \S+ by ci-bot/);
  });
});
