/**
 * A lineage's publications after `vfi pull` merged concurrent ones: `vfi log`, `vfi list`,
 * `Name~N`, `pick` and `find` agree with each other and are the same on every machine with the
 * same refs, whatever the state of its lineage cache. The diverged history is built without the
 * network: two stores publish, then each makes the merge commit with the code `vfi pull` uses
 * (remote/merge.ts, the ref moved as remote/sync.ts does). A merge that re-carries one
 * side's VFI is not a publication; one that makes a new VFI (edits of different components on the
 * two sides) is, listed and counted like any other.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommitReader } from '../../src/git/commits.js';
import { writeLineageMerge } from '../../src/remote/merge.js';
import { Store } from '../../src/store/store.js';
import { at, git, idOf, ok, runtimeVfi, tempDir, vfi } from '../helpers/cli.js';

const REF = 'refs/vfi/Runtime';


const publish = (store: string, router: string, minute: number, component = 'router'): string =>
  idOf(ok(store, ['set', 'Runtime', `${component}=polyverse/${component}:${router}`], at(minute)));

/** Bring the other side's lineage head into the store's objects (as a pull's fetch does); returns it. */
function fetchHead(store: string, other: string): string {
  expect(git(store, ['fetch', '-q', other, `${REF}:refs/tmp/other`]).code).toBe(0);
  const theirs = git(store, ['rev-parse', 'refs/tmp/other']).stdout.trim();
  git(store, ['update-ref', '-d', 'refs/tmp/other']);
  return theirs;
}

/** What `vfi pull` then does with a diverged lineage: merge the two heads, move the ref. */
async function merge(store: string, theirs: string): Promise<string> {
  const s = Store.open(store, { create: false });
  const ours = s.refs.read(REF)!;
  const { commit } = await writeLineageMerge(s, new CommitReader(s.objects, { lenient: true }), ours, theirs);
  expect(s.refs.compareAndSwap(REF, ours, commit)).toBe(true);
  return commit;
}

interface LogEntry {
  id: string;
  commit: string;
  at: string;
}

/** Everything that depends on the lineage's order, as one comparable value. */
function answers(store: string) {
  const log = JSON.parse(ok(store, ['log', 'Runtime', '--json'])) as LogEntry[];
  const back = [];
  for (let n = 0; ; n++) {
    const r = vfi(store, ['show', `Runtime~${n}`]);
    if (r.code !== 0) {
      back.push(`${r.code} ${r.stderr}`);
      break;
    }
    back.push(git(store, ['hash-object', '--stdin'], r.stdout).stdout.trim());
  }
  return {
    log,
    text: ok(store, ['log', 'Runtime', '--no-headers']),
    list: JSON.parse(ok(store, ['list', '--json'])),
    back,
    pick: JSON.parse(ok(store, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0', '--top', '20', '--json'])).map((c: { id: string }) => c.id),
    pickAll: ok(store, ['pick', '--allow-unpinned', '--min-score', '0']),
    find: ok(store, ['find', '--has', 'tests-passed', 'Runtime']),
    head: git(store, ['hash-object', '--stdin'], ok(store, ['show', 'Runtime'])).stdout.trim(),
  };
}

/** A copy of the store without its caches: they are rebuilt from git. */
function cold(store: string, name: string): string {
  const copy = path.join(path.dirname(store), name);
  fs.cpSync(store, copy, { recursive: true });
  fs.rmSync(path.join(copy, 'vfi-cache'), { recursive: true, force: true });
  return copy;
}

describe('a lineage merged after concurrent publications', () => {
  const dir = tempDir();
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');

  it('lists publications newest first, the same on both machines, whatever the caches hold', async () => {
    const base = /@([0-9a-f]{40})\n$/.exec(ok(a, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()), ...at(0) }))![1]!;
    expect(git('.', ['clone', '-q', '--mirror', '--no-local', a, b]).code).toBe(0);
    const a1 = publish(a, '1.0.3', 1);
    const b1 = publish(b, '2.0.0', 2);
    const a2 = publish(a, '1.0.4', 3);
    const b2 = publish(b, '2.0.1', 4);
    // Each machine's lineage cache knows its own commits first.
    for (const s of [a, b]) ok(s, ['log', 'Runtime']);

    const [fromB, fromA0] = [fetchHead(a, b), fetchHead(b, a)];
    const merged = await merge(a, fromB);
    expect(await merge(b, fromA0)).toBe(merged); // the same merge commit on both machines
    expect(git(a, ['rev-list', '--parents', '-n', '1', REF]).stdout.trim().split(' ')).toHaveLength(3);
    // Equal scores everywhere, so pick and find rank by publication order alone.
    const batch = [a1, b1, a2, b2, base].map((id) => JSON.stringify({ vfi: id, claim: 'tests-passed', result: 'pass' })).join('\n');
    for (const s of [a, b]) ok(s, ['assert', '--batch', '-'], { input: batch });

    const fromA = answers(a);
    // Newest first by publication time; the merge commit (which re-carries b2) is not a publication.
    expect(fromA.log.map((e) => e.id)).toEqual([b2, a2, b1, a1, base]);
    expect(fromA.log.map((e) => e.at)).toEqual(['12:04', '12:03', '12:02', '12:01', '12:00'].map((t) => `2026-11-01T${t}:00Z`));
    expect(fromA.text.trim().split('\n')).toHaveLength(5);
    expect(fromA.list).toEqual([expect.objectContaining({ name: 'Runtime', head: b2, publications: 5, at: '2026-11-01T12:04:00Z' })]);
    expect(fromA.head).toBe(b2);
    expect(fromA.back.slice(0, -1)).toEqual([b2, a2, b1, a1, base]);
    expect(fromA.back.at(-1)).toMatch(/^3 .*only 4 publications before its head/);
    expect(fromA.pick).toEqual([b2, a2, b1, a1, base]); // equal scores: the most recently published first
    expect(fromA.pickAll).toBe(`Runtime@${b2}\n`);
    expect(fromA.find).toBe(`Runtime@${b2}\n`);
    // Runtime~1 is the publication before the head, not the head's VFI again.
    const diff = JSON.parse(ok(a, ['diff', 'Runtime~1', 'Runtime', '--json']));
    expect(JSON.stringify(diff)).toContain('polyverse/router:2.0.1');

    expect(answers(b)).toEqual(fromA);
    expect(answers(cold(a, 'a-cold'))).toEqual(fromA);
  });

  it('stays so across a second divergence published in the same second on both sides', async () => {
    const a3 = publish(a, '1.0.5', 5);
    const b3 = publish(b, '2.0.2', 5);
    for (const s of [a, b]) ok(s, ['log', 'Runtime']);
    const [fromB, fromA0] = [fetchHead(a, b), fetchHead(b, a)];
    const merged = await merge(b, fromA0);
    expect(await merge(a, fromB)).toBe(merged);
    const fromA = answers(a);
    // Same time: the merge carries the parent with the smaller commit id, and that one is listed first.
    const commitOf = (id: string) => fromA.log.find((e) => e.id === id)!.commit;
    const [first, second] = commitOf(a3) < commitOf(b3) ? [a3, b3] : [b3, a3];
    expect(fromA.head).toBe(first);
    expect(fromA.log.slice(0, 2).map((e) => e.id)).toEqual([first, second]);
    expect(fromA.log).toHaveLength(7);
    expect(fromA.list[0]).toMatchObject({ head: first, publications: 7 });
    expect(fromA.back.slice(0, 2)).toEqual([first, second]);
    expect(answers(b)).toEqual(fromA);
    expect(answers(cold(b, 'b-cold'))).toEqual(fromA);
    const fsck = vfi(a, ['fsck', '--json']);
    expect(fsck.code).toBe(0);
    expect(JSON.parse(fsck.stdout).counts).toMatchObject({ lineages: 1, publications: 7 }); // as vfi list counts them
  });
  it('lists a merge that made a new VFI (edits of different components) as a publication, first', async () => {
    const before = JSON.parse(ok(a, ['log', 'Runtime', '--json'])) as LogEntry[];
    const a4 = publish(a, '4.0.0', 6, 'nsq');
    const b4 = publish(b, '5.0.0', 7, 'etcd');
    const [fromB, fromA0] = [fetchHead(a, b), fetchHead(b, a)];
    const merged = await merge(a, fromB);
    expect(await merge(b, fromA0)).toBe(merged);
    const fromA = answers(a);
    const head = JSON.parse(ok(a, ['show', 'Runtime'])) as Record<string, { address: string }>;
    expect(head.nsq!.address).toBe('polyverse/nsq:4.0.0');
    expect(head.etcd!.address).toBe('polyverse/etcd:5.0.0');
    expect(head.router).toEqual(JSON.parse(ok(a, ['show', before[0]!.id])).router); // what both had
    expect(fromA.head).not.toBe(a4);
    expect(fromA.head).not.toBe(b4);
    expect(fromA.log[0]).toMatchObject({ id: fromA.head, commit: merged, at: '2026-11-01T12:07:00Z' });
    expect(fromA.text.split('\n')[0]).toMatch(/vfi merge\s+merge concurrent publi/); // cut to fit 100 columns: --json has it whole
    expect(fromA.log.slice(1, 4).map((e) => e.id)).toEqual([b4, a4, before[0]!.id]);
    expect(fromA.log).toHaveLength(10);
    expect(fromA.list[0]).toMatchObject({ head: fromA.head, publications: 10, at: '2026-11-01T12:07:00Z' });
    expect(fromA.back.slice(0, 3)).toEqual([fromA.head, b4, a4]);
    expect(fromA.back.at(-1)).toMatch(/^3 .*only 9 publications before its head/);
    expect(answers(b)).toEqual(fromA);
    expect(answers(cold(a, 'a-cold-3'))).toEqual(fromA);
    const fsck = vfi(a, ['fsck', '--json']);
    expect(fsck.code).toBe(0);
    expect(JSON.parse(fsck.stdout).counts).toMatchObject({ lineages: 1, publications: 10 });
    expect(git(a, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
  });
});
