/** The one commit reader, tree reader and commit walker (src/git/commits.ts), on objects written to a temp store. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCommit, encodeTree, objectId } from '../../src/core/gitObject.js';
import { CommitReader, readCommit, readTree, TreeReader, walkCommits, type StoredCommit } from '../../src/git/commits.js';
import { Store } from '../../src/store/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-commits-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const store = Store.open(path.join(tmp, 'store'), { create: true });
const objects = store.objects;
const blob = objects.write('blob', Buffer.from('{}\n'));
const tree = objects.write('tree', encodeTree([{ mode: '100644', name: 'vfi.json', id: blob }]));
let clock = 1_800_000_000;
function commit(parents: string[], message: string): string {
  const sig = { name: 'T', email: 't@x', timestamp: clock++, tzOffset: 60 };
  return objects.write('commit', encodeCommit({ tree, parents, author: sig, committer: sig, message }));
}
const raw = (text: string) => objects.write('commit', Buffer.from(text));

describe('readCommit', () => {
  it('reads what encodeCommit wrote, with the committer time', async () => {
    const id = commit([], 'first\n');
    const c = await readCommit(objects, id);
    expect(c).toMatchObject({ id, tree, parents: [], message: 'first\n', author: { name: 'T', tzOffset: 60 } });
    expect(c.time).toBe(c.committer.timestamp);
  });

  it.each([
    ['an odd time zone', `tree ${'a'.repeat(40)}\nauthor A <a@x> 1700000000 +05\ncommitter C <c@x> 1700000001 +05\n\nm\n`, { name: 'C', timestamp: 1700000001 }],
    ['no committer line', `tree ${'a'.repeat(40)}\nauthor A <a@x> 1700000000 +0000\n\nm\n`, { name: '', timestamp: 0 }],
  ])('with %s: refused as a commit vfi reads strictly, read leniently', async (_what, text, committer) => {
    const id = raw(text);
    await expect(readCommit(objects, id, { where: 'refs/vfi/X' })).rejects.toMatchObject({ code: 'STORE_DAMAGED', message: expect.stringMatching(/^refs\/vfi\/X: object [0-9a-f]{40} is not a well-formed commit/) });
    const c = await readCommit(objects, id, { lenient: true });
    expect(c).toMatchObject({ tree: 'a'.repeat(40), committer, time: committer.timestamp });
  });

  it('headers vfi does not write (encoding, a signature over several lines) are passed over, strictly or not', async () => {
    const id = raw(`tree ${'a'.repeat(40)}\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 2 +0000\nencoding latin1\ngpgsig x\n y\n\nm\n`);
    for (const lenient of [false, true]) expect(await readCommit(objects, id, { lenient })).toMatchObject({ committer: { name: 'C', timestamp: 2 }, message: 'm\n' });
  });

  it('a commit without a tree is damage even read leniently; so is another type of object', async () => {
    await expect(readCommit(objects, raw('author A <a@x> 1 +0000\n\nm\n'), { lenient: true })).rejects.toMatchObject({ code: 'STORE_DAMAGED' });
    await expect(readCommit(objects, tree, { where: 'refs/vfi/X' })).rejects.toMatchObject({ code: 'STORE_DAMAGED', message: `refs/vfi/X: object ${tree} is a tree, not a commit` });
    await expect(readCommit(objects, '0'.repeat(40))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('bounds the size it reads', async () => {
    const id = commit([], `${'long message '.repeat(200)}\n`);
    await expect(readCommit(objects, id, { maxBytes: 100 })).rejects.toMatchObject({ code: 'STORE_DAMAGED', data: expect.objectContaining({ tooLarge: true }) });
  });
});

describe('readTree and TreeReader', () => {
  it('read a tree; another type is damage, named by where it hangs', async () => {
    expect(await readTree(objects, tree)).toEqual([{ mode: '100644', name: 'vfi.json', id: blob }]);
    await expect(readTree(objects, blob, 'lineage commit c')).rejects.toMatchObject({ code: 'STORE_DAMAGED', message: `lineage commit c: object ${blob} is a blob, not a tree` });
  });

  it('TreeReader reads each tree once, and its context names the ref', async () => {
    const other = objects.write('tree', encodeTree([{ mode: '100644', name: 'b', id: blob }]));
    const reader = new TreeReader(store, 'refs/vfi-assertions/main');
    expect(await reader.read(other)).toHaveLength(1);
    fs.rmSync(path.join(store.gitdir, 'objects', other.slice(0, 2), other.slice(2)), { force: true });
    expect(await reader.read(other)).toHaveLength(1); // from memory
    await expect(new TreeReader(objects).read(other)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reader.read(blob, 'ab/cd')).rejects.toMatchObject({ message: expect.stringMatching(/^refs\/vfi-assertions\/main: ab\/cd: object/) });
  });
});

describe('walkCommits', () => {
  //   a - b - d - m - e
  //        \- c -/
  const a = commit([], 'a');
  const b = commit([a], 'b');
  const c = commit([b], 'c');
  const d = commit([b], 'd');
  const m = commit([d, c], 'm');
  const e = commit([m], 'e');
  const names = new Map([[a, 'a'], [b, 'b'], [c, 'c'], [d, 'd'], [m, 'm'], [e, 'e']]);
  const reader = new CommitReader(objects);
  const read = (id: string) => reader.read(id);

  it('visits every commit reachable once, each before its parents, first parents first', async () => {
    const seen: string[] = [];
    await walkCommits(read, e, (x) => void seen.push(names.get(x.id)!));
    expect(seen).toEqual(['e', 'm', 'd', 'b', 'a', 'c']);
  });

  it('does not enter, nor walk below, the commits it is told to stop at', async () => {
    const seen: string[] = [];
    await walkCommits(read, [e], (x) => void seen.push(names.get(x.id)!), { stop: (id) => id === b || id === c });
    expect(seen).toEqual(['e', 'm', 'd']);
  });

  it('goes on past a commit it cannot read when told what to do with the problem, else throws', async () => {
    const missing = objectId('commit', Buffer.from('never written'));
    const orphan = commit([missing, a], 'orphan');
    const seen: string[] = [];
    const problems: string[] = [];
    await walkCommits(read, orphan, (x) => void seen.push(x.id), { problem: (id, err) => problems.push(`${id}: ${(err as { code?: string }).code}`) });
    expect(seen).toEqual([orphan, a]);
    expect(problems).toEqual([`${missing}: NOT_FOUND`]);
    await expect(walkCommits(read, orphan, () => {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('passes a visitor\'s own failure to the problem callback, the walk going on', async () => {
    const seen: StoredCommit[] = [];
    const problems: string[] = [];
    await walkCommits(read, d, (x) => {
      seen.push(x);
      if (x.id === b) throw new Error('bad b');
    }, { problem: (id, err) => problems.push(`${names.get(id)}: ${err.message}`) });
    expect(seen.map((x) => names.get(x.id))).toEqual(['d', 'b', 'a']);
    expect(problems).toEqual(['b: bad b']);
  });
});
