/** unionTrees on a real store, checked with git: the assertions fanout of two stores, merged. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeTree, type TreeEntry } from '../../src/core/gitObject.js';
import type { UnionConflict } from '../../src/core/merge.js';
import { unionTrees } from '../../src/remote/merge.js';
import { Store } from '../../src/store/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-union-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const store = Store.open(path.join(tmp, 'store'), { create: true });
const blob = (text: string) => store.objects.write('blob', Buffer.from(text));
const tree = (entries: TreeEntry[]) => store.objects.write('tree', encodeTree(entries));

/** A fanout tree `<id[0:2]>/<id[2:]>/<file>` from (vfi id, file, content) rows. */
function fanout(rows: [string, string, string][]): string {
  const shards = new Map<string, Map<string, TreeEntry[]>>();
  for (const [id, file, content] of rows) {
    const dirs = shards.get(id.slice(0, 2)) ?? new Map<string, TreeEntry[]>();
    shards.set(id.slice(0, 2), dirs);
    const files = dirs.get(id.slice(2)) ?? [];
    dirs.set(id.slice(2), files);
    files.push({ mode: '100644', name: file, id: blob(content) });
  }
  return tree([...shards].map(([xx, dirs]) => ({
    mode: '40000', name: xx, id: tree([...dirs].map(([rest, files]) => ({ mode: '40000', name: rest, id: tree(files) }))),
  })));
}

const lsTree = (id: string) =>
  spawnSync('git', ['--git-dir', store.gitdir, 'ls-tree', '-r', '--name-only', id], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);

describe('unionTrees', () => {
  const v1 = 'ab'.padEnd(40, '1');
  const v2 = 'ab'.padEnd(40, '2');
  const v3 = 'cd'.padEnd(40, '3');
  const ours = fanout([[v1, 'r1-tests-passed.json', 'one'], [v2, 'r2-reviewed.json', 'two']]);
  const theirs = fanout([[v1, 'r1-tests-passed.json', 'one'], [v1, 'r3-smoke.json', 'three'], [v3, 'r4-released.json', 'four']]);

  it('keeps every record of both sides once, whichever side comes first', async () => {
    const conflicts: UnionConflict[] = [];
    const u = await unionTrees(store, ours, theirs, conflicts);
    expect(await unionTrees(store, theirs, ours)).toBe(u);
    expect(lsTree(u)).toEqual([
      `ab/${v1.slice(2)}/r1-tests-passed.json`,
      `ab/${v1.slice(2)}/r3-smoke.json`,
      `ab/${v2.slice(2)}/r2-reviewed.json`,
      `cd/${v3.slice(2)}/r4-released.json`,
    ]);
    expect(conflicts).toEqual([]);
    expect(await unionTrees(store, u, ours)).toBe(u); // idempotent
    const fsck = spawnSync('git', ['--git-dir', store.gitdir, 'fsck', '--strict', '--no-dangling', u], { encoding: 'utf8' });
    expect(fsck.status).toBe(0);
  });

  it('keeps both of two different records under one name and reports the path', async () => {
    const odd = fanout([[v1, 'r1-tests-passed.json', 'ONE (edited by hand)']]);
    const conflicts: UnionConflict[] = [];
    const u = await unionTrees(store, ours, odd, conflicts);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]!.path).toBe(`ab/${v1.slice(2)}/r1-tests-passed.json`);
    const files = lsTree(u).filter((f) => f.startsWith(`ab/${v1.slice(2)}/`));
    expect(files).toHaveLength(2);
    expect(files).toContain(`ab/${v1.slice(2)}/r1-tests-passed.json`);
    expect(await unionTrees(store, odd, ours)).toBe(u);
  });
});
