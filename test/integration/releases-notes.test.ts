/**
 * `vfi releases`, `vfi notes` and `vfi diff --short` end to end: the built CLI on a temp store,
 * with a real local git clone whose `git log` gives the commit subjects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { at, gitIn, ok, tempDir, vfi } from '../helpers/cli.js';

const dir = tempDir('vfi-notes-');
const store = path.join(dir, 'store');
const repos = path.join(dir, 'src');
const D1 = `sha256:${'1a'.repeat(32)}`;
const D2 = `sha256:${'2b'.repeat(32)}`;

/** vfi in this suite's store at time `now`, expected to succeed: its output, trimmed. */
const run = (args: string[], now = '2026-11-01T12:00:00Z', input?: string): string =>
  ok(store, args, { ...at(now), ...(input !== undefined ? { input } : {}) }).trim();


let first = '';
let second = '';
const commits: string[] = [];

beforeAll(() => {
  const api = path.join(repos, 'api');
  fs.mkdirSync(api, { recursive: true });
  gitIn(api, ['init', '-q']);
  for (const subject of ['Initial import', 'Fix login', 'Add metrics']) {
    gitIn(api, ['commit', '-q', '--allow-empty', '-m', subject]);
    commits.push(gitIn(api, ['rev-parse', 'HEAD']));
  }
  const v = (commit: string, digest: string, extra: Record<string, object> = {}) => JSON.stringify({
    api: { type: 'git', address: `https://github.com/polyverse/api.git@${commit}` },
    web: { type: 'dockerImage', address: `nginx:1.25@${digest}` },
    ...extra,
  });
  first = run(['add', 'Runtime', '-'], undefined, v(commits[0]!, D1, { old: { type: 'dockerImage', address: `old@${D1}` } }));
  second = run(['add', 'Runtime', '-'], undefined, v(commits[2]!, D2, {
    'a-component-with-a-long-name-for-the-table': { type: 'dockerImage', address: `registry.example.com/some/deeply/nested/repository/name:v1.2.3-rc.4@${D2}` },
  }));
  run(['assert', first, 'tests-passed', '--by', 'ci'], '2026-11-01T10:00:00Z');
  run(['release', first, '--by', 'rm', '--note', 'November'], '2026-11-01T11:00:00Z');
  run(['assert', second, 'tests-passed', 'reviewed', '--by', 'ci', '--evidence', 'https://ci.example.com/2'], '2026-11-10T10:00:00Z');
  run(['release', second, '--by', 'rm'], '2026-11-10T11:00:00Z');
  run(['assert', first, 'smoke-verified', '--fail', '--by', 'bot'], '2026-11-12T10:00:00Z');
});

describe('vfi releases', () => {
  it('every release, newest first, with score then and now; a release that later failed stays, marked', () => {
    const rows = JSON.parse(run(['releases', 'Runtime', '--json']));
    expect(rows.map((r: { ref: string }) => r.ref)).toEqual([second, first]);
    expect(rows[0]).toMatchObject({ by: 'rm', at: '2026-11-10T11:00:00.000000Z', scoreThen: 2, scoreNow: 2, candidate: true });
    expect(rows[1]).toMatchObject({ by: 'rm', note: 'November', scoreThen: 1, scoreNow: 1, candidateThen: true, candidate: false, failingNow: ['smoke-verified'] });
    const text = run(['releases']).split('\n');
    expect(text[0]).toMatch(/^RELEASED\s+VFI\s+BY\s+THEN\s+NOW\s+CANDIDATE$/);
    expect(text[2]).toMatch(/no \(smoke-verified failing\)$/);
  });

  it('--since', () => {
    expect(JSON.parse(run(['releases', '--since', '2026-11-05', '--json'])).map((r: { ref: string }) => r.ref)).toEqual([second]);
  });

  it.each<[string, string[], number]>([
    ['a bad date', ['releases', '--since', 'last-tuesday'], 2],
    ['an unknown lineage', ['releases', 'Nope'], 3],
  ])('%s (exit %d)', (_title, args, code) => {
    const r = vfi(store, args);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
  });
});

describe('vfi notes', () => {
  it('components changed (short digests), the commits between from the local clone, TO\'s assertions', () => {
    const md = run(['notes', first, second, '--repos', repos]);
    expect(md).toContain(`# ${second}`);
    expect(md).toContain(`- changed \`web\`: \`nginx:1.25@sha256:${'1a'.repeat(6)}\` → \`nginx:1.25@sha256:${'2b'.repeat(6)}\``);
    expect(md).toContain(`- removed \`old\``);
    expect(md).toContain(`${commits[0]!.slice(0, 12)}..${commits[2]!.slice(0, 12)} (2 commits)\n  - Add metrics\n  - Fix login`);
    expect(md).not.toContain('Initial import');
    expect(md).toMatch(/- reviewed: pass by ci at 2026-11-10T10:00:00Z \(https:\/\/ci\.example\.com\/2\)/);
  });

  it('a plain directory named after the repository inside another git repository is no clone of it', () => {
    const outer = path.join(dir, 'monorepo');
    fs.mkdirSync(path.join(outer, 'api'), { recursive: true });
    gitIn(outer, ['init', '-q']);
    gitIn(outer, ['commit', '-q', '--allow-empty', '-m', 'Outer history']);
    const n = JSON.parse(run(['notes', first, second, '--format', 'json', '--repos', outer]));
    expect(n.commits).toEqual([{ component: 'api', repository: 'api', from: commits[0], to: commits[2], missing: `no clone of api under ${outer}` }]);
  });

  it('--format json; without --repos the commits say why they are missing', () => {
    const n = JSON.parse(run(['notes', first, second, '--format', 'json']));
    expect(n.commits).toEqual([{ component: 'api', repository: 'api', from: commits[0], to: commits[2], missing: 'no --repos given' }]);
    expect(n.assertions.map((a: { claim: string }) => a.claim)).toEqual(['tests-passed', 'reviewed', 'released']);
  });

  it('--since DATE NAME: every release since, each against the one before it', () => {
    const md = run(['notes', '--since', '2026-11-01', 'Runtime', '--repos', repos]);
    expect(md.startsWith('# Runtime: releases since 2026-11-01')).toBe(true);
    const sections = md.split(/^## /m).slice(1);
    expect(sections.map((s) => s.split('\n')[0])).toEqual([second, first]);
    expect(sections[0]).toContain(`Changes since ${first}.`);
    expect(sections[0]).toContain('Fix login');
    expect(sections[1]).toContain('Changes since (nothing: the first release).');
    expect(sections[1]).toContain('no longer a candidate: smoke-verified failing');
    const json = JSON.parse(run(['notes', '--since', '2026-11-01', 'Runtime', '--format', 'json']));
    expect(json.map((x: { release: { ref: string } }) => x.release.ref)).toEqual([second, first]);
    expect(json[0].notes.from).toBe(first);
    const later = run(['notes', '--since', '2026-11-05', 'Runtime']);
    expect(later.split(/^## /m).slice(1).map((s) => s.split('\n')[0])).toEqual([second]);
  });

  it('--since: a VFI released again is one section, and a rollback is noted against the release it replaced', () => {
    const a = run(['add', 'Again', '-'], undefined, JSON.stringify({ web: { type: 'dockerImage', address: `nginx:1.25@${D1}` } }));
    const b = run(['add', 'Again', '-'], undefined, JSON.stringify({ web: { type: 'dockerImage', address: `nginx:1.26@${D2}` } }));
    run(['release', a], '2026-11-02T10:00:00Z');
    run(['release', b], '2026-11-03T10:00:00Z');
    run(['release', b], '2026-11-04T10:00:00Z');
    run(['release', a], '2026-11-05T10:00:00Z');
    const sections = run(['notes', '--since', '2026-11-01', 'Again']).split(/^## /m).slice(1);
    expect(sections.map((s) => s.split('\n')[0])).toEqual([a, b, a]);
    expect(sections[0]).toContain(`Changes since ${b}.`);
    expect(sections[1]).toContain(`Changes since ${a}.`);
    expect(sections[1]).toContain('Released 2026-11-03T10:00:00Z');
    // the window starting after b's first release: its second stands for it, against a
    const later = run(['notes', '--since', '2026-11-04', 'Again']).split(/^## /m).slice(1);
    expect(later.map((s) => s.split('\n')[0])).toEqual([a, b]);
    expect(later[1]).toContain(`Changes since ${a}.`);
  });

  it.each<[string, string[]]>([
    ['one VFI only', ['notes', 'Runtime']],
    ['--since without NAME', ['notes', '--since', '2026-11-01']],
    ['an unknown format', ['notes', first, second, '--format', 'pdf']],
    ['--repos that is no directory', ['notes', 'Runtime~1', 'Runtime', '--repos', path.join(dir, 'no-such-dir')]],
    ['--repos that is no directory, with --since', ['notes', '--since', '2026-11-01', 'Runtime', '--repos', path.join(dir, 'no-such-dir')]],
  ])('refuses %s (exit 2)', (_title, args) => {
    const r = vfi(store, args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('vfi diff --short', () => {
  it('digests and commits cut to 12 hex, every row within 100 columns', () => {
    const long = run(['diff', first, second]).split('\n');
    expect(Math.max(...long.map((l) => l.length))).toBeGreaterThan(100);
    const short = run(['diff', '--short', first, second]).split('\n');
    for (const line of short) expect(line.length).toBeLessThanOrEqual(100);
    expect(short.join('\n')).toContain(`nginx:1.25@sha256:${'1a'.repeat(6)}`);
    // a cell too wide keeps both ends: the type and the short commit
    expect(short.join('\n')).toMatch(new RegExp(`git:https://\\S*…\\S*@${commits[2]!.slice(0, 12)}`));
    expect(short.join('\n')).not.toMatch(/[0-9a-f]{13}/);
  });
});
