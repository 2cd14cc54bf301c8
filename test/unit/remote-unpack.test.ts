/** Unpacking git's own packs (both delta encodings) into objects, and the delta format itself. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectId, type ObjectType } from '../../src/core/gitObject.js';
import { applyDelta, PackFormatError, unpackObjects } from '../../src/remote/unpack.js';
import { checkPack } from '../../src/remote/uploadPack.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-unpack-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function git(args: string[], input?: string | Buffer): Buffer {
  const r = spawnSync('git', ['--git-dir', path.join(tmp, 'repo'), ...args], {
    input,
    env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@x', GIT_AUTHOR_DATE: '@1800000000 +0000', GIT_COMMITTER_DATE: '@1800000000 +0000' },
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

describe('unpackObjects', () => {
  let objects: string[] = [];

  beforeAll(() => {
    git(['init', '--bare', '--quiet']);
    // 40 versions of a growing JSON file: git deltifies them against each other
    let parent: string | undefined;
    for (let i = 0; i < 40; i++) {
      const body = JSON.stringify(Object.fromEntries(Array.from({ length: 20 + i }, (_, k) => [`c${k}`, { type: 'dockerImage', address: `example/c${k}:v${i % 3}` }])), null, 2);
      const blob = git(['hash-object', '-w', '--stdin'], body).toString().trim();
      const tree = git(['mktree'], `100644 blob ${blob}\tvfi.json\n`).toString().trim();
      parent = git(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', `v${i}`]).toString().trim();
    }
    git(['update-ref', 'refs/vfi/Runtime', parent!]);
    objects = git(['rev-list', '--objects', '--all']).toString().split('\n').filter(Boolean).map((l) => l.slice(0, 40)).sort();
  });

  it.each([
    ['OFS_DELTA', ['--delta-base-offset']],
    ['REF_DELTA', []],
  ])('resolves a pack of %s entries into exactly the objects git has', async (_kind, flags) => {
    const pack = git(['pack-objects', '--stdout', '--revs', ...flags], 'refs/vfi/Runtime\n');
    checkPack(pack);
    fs.writeFileSync(path.join(tmp, 'p.pack'), pack);
    git(['index-pack', path.join(tmp, 'p.pack')]);
    const deltas = git(['verify-pack', '-v', path.join(tmp, 'p.idx')]).toString().split('\n').filter((l) => /^[0-9a-f]{40} \w+ +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/.test(l));
    expect(deltas.length).toBeGreaterThan(10); // the pack really is deltified
    const written = new Map<string, { type: ObjectType; body: Buffer }>();
    const count = await unpackObjects(pack, (type, body) => {
      const id = objectId(type, body);
      written.set(id, { type, body: Buffer.from(body) });
      return id;
    }, async () => undefined);
    expect(count).toBe(objects.length);
    expect([...written.keys()].sort()).toEqual(objects);
    for (const id of objects.slice(0, 10)) expect(written.get(id)!.body.equals(git(['cat-file', written.get(id)!.type, id]))).toBe(true);
  });

  it('refuses a pack with a damaged object', async () => {
    const pack = Buffer.from(git(['pack-objects', '--stdout', '--revs'], 'refs/vfi/Runtime\n'));
    pack.writeUInt8(pack.readUInt8(40) ^ 0xff, 40);
    await expect(unpackObjects(pack, (t, b) => objectId(t, b), async () => undefined)).rejects.toThrowError(PackFormatError);
  });
});

describe('applyDelta', () => {
  const base = Buffer.from('hello, world of compositions');
  // source size 28, target size 17: copy 7 bytes from offset 0, insert "vfi! ", copy 5 from offset 7
  const delta = Buffer.from([28, 17, 0x91, 0, 7, 5, ...Buffer.from('vfi! '), 0x91, 7, 5]);

  it('copies and inserts', () => {
    expect(applyDelta(base, delta).toString()).toBe('hello, vfi! world');
  });

  it.each([
    ['a base of the wrong size', Buffer.from([27, 1, 1, 0x41])],
    ['a copy outside the base', Buffer.from([28, 40, 0x91, 0, 40])],
    ['a result of the wrong size', Buffer.from([28, 9, 1, 0x41])],
    ['the reserved instruction 0', Buffer.from([28, 1, 0])],
  ])('refuses %s', (_why, bad) => {
    expect(() => applyDelta(base, bad)).toThrowError(PackFormatError);
  });
});
