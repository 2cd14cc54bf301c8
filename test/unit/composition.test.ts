/** Walking compositions, taint through nested VFIs, part requirements, reverse lookup, expansion. */
import { describe, expect, it } from 'vitest';
import {
  checkRequirementNames,
  checkRequirementWord,
  componentNames,
  containing,
  cycleThrough,
  expandVfi,
  meetsRequirement,
  partsOf,
  seeThrough,
  splitRequirements,
  Taints,
  walk,
  type ClaimsOf,
  type PartsOf,
  type SubjectClaims,
} from '../../src/core/composition.js';
import type { Candidate } from '../../src/core/pick.js';
import type { Vfi } from '../../src/core/vfi.js';

const d = (c: string) => c.repeat(64);
const id = (c: string) => c.repeat(40);
const image = (repo: string, c: string) => ({ type: 'dockerImage' as const, address: `${repo}@sha256:${d(c)}` });
const nested = (name: string, c: string) => ({ type: 'vfi' as const, address: `${name}@${id(c)}` });

// platform (1) ⊃ runtime (2) ⊃ router (image a), api (git); platform also holds web (image b), cache (tag only)
const VFIS: Record<string, Vfi> = {
  [id('2')]: { router: image('polyverse/router', 'a'), api: { type: 'git', address: `https://example.com/api.git@${id('c')}` } },
  [id('1')]: { runtime: nested('Runtime', '2'), web: image('nginx', 'b'), cache: { type: 'dockerImage', address: 'redis:7' } },
  [id('3')]: { runtime: nested('Runtime', '4') }, // names a VFI the store lacks
};
const lookup: PartsOf = (v) => (VFIS[v] ? partsOf(VFIS[v]!) : undefined);

function claims(components: Record<string, SubjectClaims>, vfis: Record<string, SubjectClaims> = {}): ClaimsOf {
  const none = { passing: [], failing: [] };
  return { component: (k) => components[k] ?? none, vfi: (k) => vfis[k] ?? none };
}

describe('walk', () => {
  it('reaches every part with its path, depth first', () => {
    const { reached, missing, cycles } = walk(id('1'), lookup);
    expect(reached.map((r) => `${r.path}:${r.part.kind}`)).toEqual(['runtime:vfi', 'runtime/router:image', 'runtime/api:git', 'web:image', 'cache:unpinned']);
    expect(missing).toEqual([]);
    expect(cycles).toEqual([]);
  });

  it('reports nested VFIs it cannot find, and stops at cycles', () => {
    expect(walk(id('3'), lookup).missing.map((m) => m.path)).toEqual(['runtime']);
    const loop: Record<string, Vfi> = { [id('5')]: { inner: nested('A', '6') }, [id('6')]: { outer: nested('B', '5') } };
    const r = walk(id('5'), (v) => (loop[v] ? partsOf(loop[v]!) : undefined));
    expect(r.cycles).toEqual(['inner/outer']);
    expect(cycleThrough(id('5'), loop[id('5')]!, (v) => (loop[v] ? partsOf(loop[v]!) : undefined))).toBe('inner/outer');
    expect(cycleThrough(id('1'), VFIS[id('1')]!, lookup)).toBeUndefined();
  });
});

describe('taint', () => {
  it('a failing claim on a part at any depth, or on a nested VFI, taints; released does not', () => {
    expect(new Taints(lookup, claims({ [d('a')]: { passing: [], failing: ['tests-passed'] } })).of(id('1')))
      .toMatchObject([{ path: 'runtime/router', claim: 'tests-passed' }]);
    expect(new Taints(lookup, claims({}, { [id('2')]: { passing: [], failing: ['smoke-verified'] } })).of(id('1')))
      .toMatchObject([{ path: 'runtime', claim: 'smoke-verified' }]);
    expect(new Taints(lookup, claims({ [d('b')]: { passing: [], failing: ['released'] } })).of(id('1'))).toEqual([]);
    expect(new Taints(lookup, claims({ [d('a')]: { passing: ['tests-passed'], failing: [] } })).of(id('1'))).toEqual([]);
  });

  it('seeThrough disqualifies tainted candidates and keeps the own score for the rest', () => {
    const cands: Candidate[] = [
      { id: id('1'), name: 'Platform', recency: 1, passing: ['tests-passed'], failing: [] },
      { id: id('2'), name: 'Runtime', recency: 0, passing: ['tests-passed'], failing: [] },
    ];
    const seen = seeThrough(cands, [], lookup, claims({ [d('b')]: { passing: [], failing: ['scanned'] } }));
    expect(seen.candidates[0]!.failing).toEqual(['web:scanned']);
    expect(seen.candidates[1]).toBe(cands[1]);
    expect(seen.taints.get(id('1'))).toMatchObject([{ path: 'web' }]);
  });
});

describe('part requirements', () => {
  const c = claims({ [d('a')]: { passing: ['tests-passed'], failing: [] }, [id('c')]: { passing: ['tests-passed'], failing: [] } },
    { [id('2')]: { passing: ['reviewed'], failing: [] } });

  it('splits comp:claim and *:claim from own claims', () => {
    expect(splitRequirements(['reviewed', 'router:tests-passed', '*:scanned'])).toEqual({
      own: ['reviewed'],
      parts: [{ text: 'router:tests-passed', component: 'router', claim: 'tests-passed' }, { text: '*:scanned', component: '*', claim: 'scanned' }],
    });
  });

  it('comp:claim passes on that part at any depth; a nested VFI by its own records', () => {
    const req = (t: string) => splitRequirements([t]).parts[0]!;
    expect(meetsRequirement(id('1'), req('router:tests-passed'), lookup, c)).toBe(true);
    expect(meetsRequirement(id('1'), req('runtime/router:tests-passed'), lookup, c)).toBe(true);
    expect(meetsRequirement(id('1'), req('web:tests-passed'), lookup, c)).toBe(false);
    expect(meetsRequirement(id('1'), req('runtime:reviewed'), lookup, c)).toBe(true);
    // every image and git part: web fails it, and cache (a tag) can never pass
    expect(meetsRequirement(id('2'), req('*:tests-passed'), lookup, c)).toBe(true);
    expect(meetsRequirement(id('1'), req('*:tests-passed'), lookup, c)).toBe(false);
  });

  it('an unknown component is a usage error (exit 2)', () => {
    const names = componentNames([id('1')], lookup);
    expect([...names].sort()).toEqual(['api', 'cache', 'router', 'runtime', 'web']);
    expect(() => checkRequirementNames(splitRequirements(['router:x', '*:y']).parts, names, 'Platform')).not.toThrow();
    expect(() => checkRequirementNames(splitRequirements(['nope:x']).parts, names, 'Platform')).toThrow(expect.objectContaining({ code: 'USAGE', exitCode: 2 }));
    expect(() => checkRequirementNames(splitRequirements(['runtime/router:x']).parts, names, 'Platform')).not.toThrow();
    expect(() => checkRequirementNames(splitRequirements(['runtime/nope:x']).parts, names, 'Platform')).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(checkRequirementWord('runtime/router:tests-passed')).toBe('runtime/router:tests-passed');
    expect(checkRequirementWord('*:tests-passed')).toBe('*:tests-passed');
    expect(() => checkRequirementWord('run time:x')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => checkRequirementWord('runtime//router:x')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });
});

describe('containers and expansion', () => {
  it('finds VFIs containing a subject directly or through nested VFIs, with the paths to it', () => {
    const rev = new Map<string, { vfi: string; component: string }[]>();
    for (const [v, doc] of Object.entries(VFIS)) for (const p of partsOf(doc)) if (p.key) rev.set(p.key, [...(rev.get(p.key) ?? []), { vfi: v, component: p.component }]);
    const lookup = (k: string) => rev.get(k) ?? [];
    expect([...containing(d('a'), lookup)].sort()).toEqual([[id('1'), ['runtime/router']], [id('2'), ['router']]]);
    expect([...containing(d('b'), lookup)]).toEqual([[id('1'), ['web']]]);
    expect([...containing(d('f'), lookup)]).toEqual([]);
    // a cycle (only possible with --allow-missing) ends; the subject itself is never its own container
    const loop = new Map([[d('a'), [{ vfi: id('5'), component: 'x' }]], [id('5'), [{ vfi: id('6'), component: 'in' }]], [id('6'), [{ vfi: id('5'), component: 'out' }]]]);
    expect([...containing(d('a'), (k) => loop.get(k) ?? [])].sort()).toEqual([[id('5'), ['x']], [id('6'), ['in/x']]]);
  });

  it('inlines nested VFIs; a missing one and a cycle are left as they are and said', () => {
    const notes: string[] = [];
    const out = expandVfi(VFIS[id('1')]!, (v) => VFIS[v], notes, new Set([id('1')]));
    expect(out.runtime).toEqual({ ...nested('Runtime', '2'), vfi: VFIS[id('2')] });
    expect(out.web).toEqual(VFIS[id('1')]!.web);
    expect(notes).toEqual([]);
    expandVfi(VFIS[id('3')]!, (v) => VFIS[v], notes);
    const loop: Record<string, Vfi> = { [id('5')]: { inner: nested('A', '6') }, [id('6')]: { outer: nested('B', '5') } };
    const looped = expandVfi(loop[id('5')]!, (v) => loop[v], notes, new Set([id('5')]));
    expect((looped.inner as { vfi: Vfi }).vfi.outer).toEqual(nested('B', '5'));
    expect(notes).toEqual([expect.stringMatching(/^runtime: the store has no VFI/), expect.stringMatching(/^inner\/outer: a cycle/)]);
  });
});
