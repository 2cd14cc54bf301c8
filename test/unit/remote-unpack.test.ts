/** Taking in git's own packs (both delta encodings, thin or not): every object, and the index git would write. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectId, type ObjectType } from '../../src/core/gitObject.js';
import { encodePackIndex } from '../../src/core/pack.js';
import { indexPack, PackFormatError, unpackObjects } from '../../src/remote/unpack.js';
import { gitBytes } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-unpack-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const git = (args: string[], input?: string | Buffer) => gitBytes(path.join(tmp, 'repo'), args, input);
const none = async () => undefined;

describe('taking in a pack', () => {
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

  describe.each([
    ['OFS_DELTA', ['--delta-base-offset']],
    ['REF_DELTA', []],
  ])('of %s entries', (_kind, flags) => {
    let pack: Buffer;
    let file = '';
    beforeAll(() => {
      pack = git(['pack-objects', '--stdout', '--revs', ...flags], 'refs/vfi/Runtime\n');
      expect(pack.subarray(0, 4).toString('latin1')).toBe('PACK');
      file = path.join(tmp, `p${flags.length}.pack`);
      fs.writeFileSync(file, pack);
      git(['index-pack', file]);
      const deltas = git(['verify-pack', '-v', file.replace(/\.pack$/, '.idx')]).toString().split('\n').filter((l) => /^[0-9a-f]{40} \w+ +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/.test(l));
      expect(deltas.length).toBeGreaterThan(10); // the pack really is deltified
    });

    it('unpacks into exactly the objects git has', async () => {
      const written = new Map<string, { type: ObjectType; body: Buffer }>();
      const count = await unpackObjects(pack, (type, body) => {
        const id = objectId(type, body);
        written.set(id, { type, body: Buffer.from(body) });
        return id;
      }, none);
      expect(count).toBe(objects.length);
      expect([...written.keys()].sort()).toEqual(objects);
      for (const id of objects.slice(0, 10)) expect(written.get(id)!.body.equals(git(['cat-file', written.get(id)!.type, id]))).toBe(true);
    });

    it('indexes it into the very idx v2 that git index-pack writes', async () => {
      const entries = await indexPack(pack, none);
      expect(entries!.map((e) => e.id).sort()).toEqual(objects);
      expect(encodePackIndex(entries!, pack.subarray(pack.length - 20)).equals(fs.readFileSync(file.replace(/\.pack$/, '.idx')))).toBe(true);
    });
  });

  it('a thin pack (deltas on objects it leaves out) is not kept; unpacking resolves it against the store', async () => {
    const thin = git(['pack-objects', '--stdout', '--thin', '--revs', '--delta-base-offset'], 'refs/vfi/Runtime\n^refs/vfi/Runtime~5\n');
    const ids = git(['rev-list', '--objects', 'refs/vfi/Runtime', '^refs/vfi/Runtime~5']).toString().split('\n').filter(Boolean).map((l) => l.slice(0, 40)).sort();
    expect(thin.readUInt32BE(8)).toBe(ids.length);
    const asked: string[] = [];
    const fromStore = async (id: string) => {
      asked.push(id);
      const type = git(['cat-file', '-t', id]).toString().trim() as ObjectType;
      return { type, body: git(['cat-file', type, id]) };
    };
    expect(await indexPack(thin, fromStore)).toBeUndefined();
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.some((id) => ids.includes(id))).toBe(false);
    const written: string[] = [];
    await unpackObjects(thin, (type, body) => {
      written.push(objectId(type, body));
      return written.at(-1)!;
    }, fromStore);
    expect(written.sort()).toEqual(ids);
    await expect(unpackObjects(thin, (t, b) => objectId(t, b), none)).rejects.toThrowError(/neither in the pack nor in the store/);
  });

  it('refuses a pack with a damaged object', async () => {
    const pack = Buffer.from(git(['pack-objects', '--stdout', '--revs'], 'refs/vfi/Runtime\n'));
    pack.writeUInt8(pack.readUInt8(40) ^ 0xff, 40);
    await expect(unpackObjects(pack, (t, b) => objectId(t, b), none)).rejects.toThrowError(PackFormatError);
    await expect(indexPack(pack, none)).rejects.toThrowError(PackFormatError);
  });
});
