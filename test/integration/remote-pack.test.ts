/**
 * What a push sends, checked against git itself: the objects vfi picks for new heads against the
 * heads a server has must be what `git rev-list --objects NEW --not OLD` lists (never fewer; more
 * only where commit times are out of order), and the pack vfi writes must be one `git index-pack
 * --strict` accepts, holding exactly those objects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXED_ENV, git, runtimeVfi, tempDir, vfi } from '../helpers/cli.js';
import { Store } from '../../src/store/store.js';
import { objectsToSend } from '../../src/remote/objectsToSend.js';
import { writePack } from '../../src/remote/packWriter.js';

const dir = tempDir('vfi-remote-pack-');
const ASSERTIONS = 'refs/vfi-assertions/main';

function run(store: string, args: string[], input?: string, minute = 0): string {
  const r = vfi(store, args, { input, env: { ...FIXED_ENV, VFI_NOW: `2026-11-01T14:${String(minute).padStart(2, '0')}:00Z` } });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

const head = (store: string, ref: string) => git(store, ['rev-parse', ref]).stdout.trim();

/** The ids git would send for `tips` to a server that has `known`. */
function gitWouldSend(store: string, tips: string[], known: string[]): string[] {
  const r = git(store, ['rev-list', '--objects', ...tips, '--not', ...known]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.slice(0, 40)).sort();
}

async function vfiWouldSend(store: string, tips: string[], known: string[]): Promise<string[]> {
  return (await objectsToSend(Store.open(store, { create: false }).objects, tips, known)).map((o) => o.id).sort();
}

describe('the objects a push sends', () => {
  const store = path.join(dir, 'store');
  let before: string[] = [];

  it('everything, to an empty server', async () => {
    for (let i = 0; i < 6; i++) run(store, ['add', 'Runtime', '-'], JSON.stringify(runtimeVfi({ api: `polyverse/api:v3.0.${i}` })), i);
    run(store, ['add', 'Other', '-'], JSON.stringify(runtimeVfi({ nsq: 'nsqio/nsq:v9' })), 7);
    for (const ref of ['Runtime', 'Runtime~2', 'Other']) run(store, ['assert', ref, 'tests-passed', 'reviewed'], undefined, 8);
    before = ['refs/vfi/Runtime', 'refs/vfi/Other', ASSERTIONS].map((r) => head(store, r));
    const sent = await vfiWouldSend(store, before, []);
    expect(sent).toEqual(gitWouldSend(store, before, []));
    expect(sent.length).toBeGreaterThan(30);
  });

  it('only the change, to a server that has the old heads: one publication and one record', async () => {
    run(store, ['set', 'Runtime', 'router=polyverse/router:9.9.9'], undefined, 10);
    run(store, ['assert', 'Runtime', 'smoke-verified'], undefined, 11);
    const after = ['refs/vfi/Runtime', 'refs/vfi/Other', ASSERTIONS].map((r) => head(store, r));
    const sent = await vfiWouldSend(store, after, before);
    expect(sent).toEqual(gitWouldSend(store, after, before));
    // commit, tree, VFI of the publication; commit, root tree, two fanout trees, record of the assertion
    expect(sent).toHaveLength(8);
  });

  it('a merge of two lines of history: the side the server lacks, and nothing it has', async () => {
    const tip = head(store, 'refs/vfi/Runtime');
    const side = path.join(dir, 'side');
    fs.cpSync(store, side, { recursive: true });
    const local = run(side, ['set', 'Runtime', 'api=polyverse/api:v4'], undefined, 20).split('@')[1];
    const theirs = run(store, ['set', 'Runtime', 'api=polyverse/api:v5'], undefined, 21).split('@')[1];
    expect(local).not.toBe(theirs);
    const a = head(side, 'refs/vfi/Runtime');
    const b = head(store, 'refs/vfi/Runtime');
    git(side, ['fetch', '-q', store, `refs/vfi/Runtime:refs/theirs`]);
    const tree = git(side, ['rev-parse', `${b}^{tree}`]).stdout.trim();
    const merge = git(side, ['-c', 'user.name=M', '-c', 'user.email=m@x', 'commit-tree', tree, '-p', a, '-p', b, '-m', 'merge']).stdout.trim();
    expect(await vfiWouldSend(side, [merge], [b])).toEqual(gitWouldSend(side, [merge], [b]));
    expect(await vfiWouldSend(side, [merge], [tip])).toEqual(gitWouldSend(side, [merge], [tip]));
  });

  it('never fewer than git when commit times go backwards', async () => {
    const skew = path.join(dir, 'skew');
    run(skew, ['add', 'Runtime', '-'], JSON.stringify(runtimeVfi()), 30);
    const base = head(skew, 'refs/vfi/Runtime');
    const tree = git(skew, ['rev-parse', `${base}^{tree}`]).stdout.trim();
    // the server's head was committed "before" its parent (a machine with its clock wrong), so a
    // newest-first walk meets the common parent before the server's head has painted it
    const child = (parent: string, seconds: number) => git(skew, ['hash-object', '-t', 'commit', '-w', '--stdin'],
      `tree ${tree}\nparent ${parent}\nauthor S <s@x> ${seconds} +0000\ncommitter S <s@x> ${seconds} +0000\n\nskewed\n`).stdout.trim();
    const theirs = child(base, 978307200);
    const ours = child(child(base, 1893456000), 1893456100);
    const sent = await vfiWouldSend(skew, [ours], [theirs]);
    expect(sent).toEqual(expect.arrayContaining(gitWouldSend(skew, [ours], [theirs])));
    expect(sent).not.toContain(theirs);
  });

  it('writes a pack git index-pack --strict accepts, holding exactly those objects', async () => {
    const s = Store.open(store, { create: false });
    const heads = ['refs/vfi/Runtime', 'refs/vfi/Other', ASSERTIONS].map((r) => head(store, r));
    const outgoing = await objectsToSend(s.objects, heads, []);
    const pack = await writePack(outgoing.length, async (i) => {
      const o = outgoing[i]!;
      return o.type && o.body ? { type: o.type, body: o.body } : s.objects.read(o.id);
    });
    const file = path.join(dir, 'out.pack');
    fs.writeFileSync(file, Buffer.concat(pack.chunks));
    expect(fs.statSync(file).size).toBe(pack.bytes);
    const empty = path.join(dir, 'empty.git');
    expect(git(empty, ['init', '--bare', '-q']).code).toBe(0);
    const indexed = git(empty, ['index-pack', '--strict', file]);
    expect(indexed.code, indexed.stderr).toBe(0);
    const listed = git(empty, ['verify-pack', '-v', file.replace(/\.pack$/, '.idx')]).stdout
      .split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => l.slice(0, 40)).sort();
    expect(listed).toEqual(outgoing.map((o) => o.id).sort());
  });
});
