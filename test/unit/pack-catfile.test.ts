/**
 * git/catFile.ts: objects read through one `git cat-file --batch` with many requests in flight
 * come back whole and in the right order; a missing one is NOT_FOUND; one over its bound is
 * refused by its header (tooLarge) and the requests behind it are still answered.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VfiError } from '../../src/errors.js';
import { BatchReader } from '../../src/git/catFile.js';
import { gitBytes, tempDir } from '../helpers/cli.js';

const dir = tempDir('vfi-catfile-');
const repo = path.join(dir, 'repo.git');
gitBytes(repo, ['init', '-q', '--bare']);
const put = (text: string | Buffer) => gitBytes(repo, ['hash-object', '-w', '--stdin'], text).toString().trim();
// more than the reader keeps in flight (256), written by one git
const blobs = Array.from({ length: 700 }, (_, i) => `blob ${i} ${'x'.repeat(i * 37)}\n`);
const files = blobs.map((b, i) => {
  const file = path.join(dir, `b${i}`);
  fs.writeFileSync(file, b);
  return file;
});
const ids = gitBytes(repo, ['hash-object', '-w', '--stdin-paths'], files.join('\n') + '\n').toString().trim().split('\n');
const big = put(Buffer.alloc(3 << 20, 32)); // 3 MiB of spaces
const tree = gitBytes(repo, ['mktree'], `100644 blob ${ids[0]}\tvfi.json\n`).toString().trim();
const reader = new BatchReader(repo, process.env);
afterAll(() => reader.close());

const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as VfiError);

describe('BatchReader', () => {
  it('answers many requests at once, each with its own object, in any number', async () => {
    const got = await Promise.all(ids.map((id) => reader.read(id, { maxBytes: 1 << 20 })));
    expect(got.map((o) => o.type)).toEqual(ids.map(() => 'blob'));
    expect(got.map((o) => o.body.toString())).toEqual(blobs);
    const t = await reader.read(tree);
    expect(t.type).toBe('tree');
    expect(t.body.subarray(0, 16).toString()).toBe('100644 vfi.json\0');
  });

  it('says NOT_FOUND for a missing object and goes on', async () => {
    const [missing, after] = await Promise.all([refusal(reader.read('0'.repeat(40))), reader.read(ids[5]!)]);
    expect(missing).toBeInstanceOf(VfiError);
    expect(missing!.code).toBe('NOT_FOUND');
    expect(after.body.toString()).toBe(blobs[5]);
  });

  it('refuses an object over its bound by its size, and answers the requests behind it', async () => {
    const [tooBig, ...rest] = await Promise.all([refusal(reader.read(big, { maxBytes: 1 << 20 })), ...ids.slice(0, 300).map((id) => reader.read(id))]);
    expect(tooBig!.code).toBe('STORE_DAMAGED');
    expect(tooBig!.data.tooLarge).toBe(true);
    expect(rest.map((o) => o.body.toString())).toEqual(blobs.slice(0, 300));
    expect((await reader.read(big, { maxBytes: 4 << 20 })).body.length).toBe(3 << 20);
  });
});
