/** Compositions all the way down, end to end: component assertions, taint through nested VFIs, contains, --expand, --from-best. */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { at, ok, snapshot, tempDir, vfi } from '../helpers/cli.js';

const D1 = '1'.repeat(64);
const D2 = '2'.repeat(64);
const WEB = 'a'.repeat(64);
const COMMIT = '72e5e550d1835013832f64597cb1368b7155bd53';
const T0 = at('2026-11-01T12:00:00Z');
const T1 = at('2026-11-01T13:00:00Z');

const ref = (out: string) => out.trim();

describe('compositions', () => {
  const store = path.join(tempDir(), 'store');
  let rt1 = '';
  let rt2 = '';
  let pf1 = '';
  let pf2 = '';
  beforeAll(() => {
    const runtime = { router: { type: 'dockerImage', address: `polyverse/router:1.0@sha256:${D1}` }, api: { type: 'git', address: `https://github.com/polyverse/api.git@${COMMIT}` } };
    rt1 = ref(ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtime) }));
    rt2 = ref(ok(store, ['set', 'Runtime', `router=polyverse/router:1.1@sha256:${D2}`]));
    pf1 = ref(ok(store, ['add', 'Platform', '-'], { input: JSON.stringify({ runtime: { type: 'vfi', address: rt1 }, web: { type: 'dockerImage', address: `nginx@sha256:${WEB}` } }) }));
    pf2 = ref(ok(store, ['set', 'Platform', `runtime=${rt2}`]));
    for (const r of [rt1, rt2, pf1, pf2]) ok(store, ['assert', r, 'tests-passed'], T0);
  });

  it('records claims about a pinned image and a git commit as in-toto subjects keyed by digest', () => {
    expect(ok(store, ['assert', `polyverse/router:whatever@sha256:${D2}`, 'tests-passed', '--fail', '--by', 'qa'], T1))
      .toBe(`docker.io/polyverse/router@sha256:${D2} tests-passed fail\n`);
    ok(store, ['assert', `https://github.com/polyverse/api.git@${COMMIT}`, 'reviewed'], T0);
    const bundle = ok(store, ['assertions', `polyverse/router@sha256:${D2}`, '--format', 'intoto']);
    expect(JSON.parse(bundle).subject).toEqual([{ name: 'docker.io/polyverse/router', digest: { sha256: D2 } }]);
    const git = JSON.parse(ok(store, ['assertions', `https://github.com/polyverse/api.git@${COMMIT}`, '--format', 'intoto']));
    expect(git.subject).toEqual([{ name: 'https://github.com/polyverse/api.git', digest: { gitCommit: COMMIT } }]);
    expect(ok(store, ['fsck'])).toMatch(/^ok: .*2 component assertions/m);
  });

  it('refuses a tag without a digest, exit 2, store untouched', () => {
    const before = snapshot(store);
    const r = vfi(store, ['assert', 'router:v2', 'tests-passed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vfi: .*pin it first/);
    expect(snapshot(store)).toEqual(before);
  });

  it('assertions VFI shows its own records, then what is inside, and whether it is a candidate', () => {
    const text = ok(store, ['assertions', pf2]);
    expect(text).toMatch(/runtime\/router\s+polyverse\/router:1\.1@sha256:2+\s+tests-passed\s+fail/);
    expect(text).toMatch(/not a candidate: runtime\/router tests-passed failed at 2026-11-01T13:00:00Z by qa/);
    const json = JSON.parse(ok(store, ['assertions', pf2, '--json']));
    expect(json.candidate).toBe(false);
    expect(json.parts.map((p: { component: string }) => p.component)).toEqual(['runtime', 'runtime/api', 'runtime/router']);
  });

  it('pick does not choose a VFI with a failing claim inside, and --explain names the component and the record', () => {
    const r = vfi(store, ['pick', 'Platform', '--explain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pf1}\n`);
    expect(r.stderr).toMatch(/disqualified: runtime\/router \(polyverse\/router:1\.1@sha256:2+\) tests-passed failed at 2026-11-01T13:00:00Z by qa, record [0-9a-f]{12}/);
    expect(JSON.parse(ok(store, ['pick', 'Platform', '--json']))).toMatchObject({ ok: true, ref: pf1, candidate: true, score: 1 });
  });

  it('--require comp:claim and *:claim look at the parts; an unknown component is a usage error', () => {
    expect(ok(store, ['pick', 'Platform', '--require', 'api:reviewed'])).toBe(`${pf1}\n`);
    // a path names one place: runtime/api is the api inside the nested runtime
    expect(ok(store, ['pick', 'Platform', '--require', 'runtime/api:reviewed'])).toBe(`${pf1}\n`);
    expect(vfi(store, ['pick', 'Platform', '--require', 'web/api:reviewed']).code).toBe(3);
    expect(vfi(store, ['pick', 'Platform', '--require', 'runtime/nope:reviewed']).code).toBe(2);
    expect(vfi(store, ['pick', 'Platform', '--require', 'router:tests-passed']).code).toBe(3);
    expect(vfi(store, ['pick', 'Platform', '--require', '*:reviewed']).code).toBe(3);
    const r = vfi(store, ['pick', 'Platform', '--require', 'nope:reviewed']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('find returns the newest candidate; --any keeps the old answer and --json says why it is not one', () => {
    expect(ok(store, ['find', 'Platform', '--has', 'tests-passed'])).toBe(`${pf1}\n`);
    const any = JSON.parse(ok(store, ['find', 'Platform', '--has', 'tests-passed', '--any', '--json']));
    expect(any).toMatchObject({ ok: true, ref: pf2, candidate: false, why: [{ component: 'runtime/router', claim: 'tests-passed' }] });
  });

  it('contains finds every VFI shipping an image digest, directly or nested', () => {
    const rows = JSON.parse(ok(store, ['contains', `polyverse/router@sha256:${D2}`, '--json']));
    expect(rows.map((r: { ref: string; paths: string[] }) => [r.ref, r.paths])).toEqual([[pf2, ['runtime/router']], [rt2, ['router']]]);
    expect(JSON.parse(ok(store, ['contains', rt1, '--json'])).map((r: { ref: string }) => r.ref)).toEqual([pf1]);
    expect(vfi(store, ['contains', `polyverse/router@sha256:${'9'.repeat(64)}`]).code).toBe(3);
  });

  it('show --expand inlines nested VFIs; plain show stays the stored bytes', () => {
    const plain = ok(store, ['show', pf1]);
    expect(JSON.parse(plain).runtime).toEqual({ type: 'vfi', address: rt1 });
    const expanded = JSON.parse(ok(store, ['show', pf1, '--expand']));
    expect(expanded.runtime).toEqual({ type: 'vfi', address: rt1, vfi: JSON.parse(ok(store, ['show', rt1])) });
  });

  it('refuses a nested VFI the store does not have (exit 3) unless --allow-missing; fsck warns about it', () => {
    const ghost = `Runtime@${'c'.repeat(40)}`;
    const before = snapshot(store);
    expect(vfi(store, ['set', 'Platform', `runtime=${ghost}`]).code).toBe(3);
    expect(snapshot(store)).toEqual(before);
    const other = path.join(tempDir(), 'store');
    ok(other, ['add', 'Lonely', '-', '--allow-missing'], { input: JSON.stringify({ runtime: { type: 'vfi', address: ghost } }) });
    const r = vfi(other, ['fsck']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/nested VFI c{40} is not in this store/);
  });

  it('set --from-best starts from what pick chooses; exit 3 when none; --from "" is a usage error', () => {
    const out = ref(ok(store, ['set', 'Platform', `web=nginx@sha256:${'b'.repeat(64)}`, '--from-best', '--require', 'tests-passed']));
    expect(JSON.parse(ok(store, ['show', out])).runtime.address).toBe(rt1);
    expect(vfi(store, ['set', 'Platform', `web=nginx@sha256:${WEB}`, '--from-best', '--require', 'never-asserted']).code).toBe(3);
    expect(vfi(store, ['set', 'Platform', `web=nginx@sha256:${WEB}`, '--from', '']).code).toBe(2);
    expect(vfi(store, ['rm', 'Platform', 'web', '--from', '']).code).toBe(2);
  });
});
