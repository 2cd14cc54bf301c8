/**
 * git/catFile.ts: objects read through one `git cat-file --batch-command --buffer` (`--batch` on git before 2.36) with many requests in flight
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

  // last: from then on this process asks every git object by object
  it('asks a git older than 2.36 (no --batch-command) object by object, and gets the same answers', async () => {
    const bin = path.join(dir, 'old-git');
    fs.mkdirSync(bin);
    const real = gitBytes(repo, ['--exec-path']).toString().trim();
    fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\ncase " $* " in *" --batch-command "*) echo "error: unknown option \\\`batch-command'" >&2; exit 129;; esac\nexec "${real}/git" "$@"\n`, { mode: 0o755 });
    const old = new BatchReader(repo, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    try {
      const got = await Promise.all([...ids.slice(0, 300).map((id) => old.read(id)), refusal(old.read('0'.repeat(40)))]);
      expect(got.slice(0, 300).map((o) => (o as { body: Buffer }).body.toString())).toEqual(blobs.slice(0, 300));
      expect((got[300] as VfiError).code).toBe('NOT_FOUND');
    } finally {
      old.close();
    }
  });
});
