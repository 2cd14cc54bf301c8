// dist/main.js compiles the hot scripts (show, pick/find, assertions, push/pull) with a V8 code cache kept beside them
// (scripts/bundle.mjs): whatever state that file is in, the command answers as it does without it,
// and a cache that was not usable is written anew. Runs on a copy of dist/, whose cache it alters.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXED_ENV, MAIN, ok, tempDir } from '../helpers/cli.js';

/** The checksum dist/main.js keeps before the cache: FNV-1a over its 32-bit words, then its last bytes. */
function checksum(bytes: Buffer): number {
  let h = 0x811c9dc5;
  const words = Math.floor(bytes.length / 4);
  for (let i = 0; i < words; i++) h = Math.imul(h ^ bytes.readInt32LE(i * 4), 0x01000193);
  for (let i = words * 4; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** A cache is named for the build and for the node that wrote it. */
const OURS = `.${process.versions.v8}.cache`;
const DAY = 24 * 3600 * 1000;

const RUNTIME = JSON.stringify({ nsq: { type: 'dockerImage', address: 'nsqio/nsq:v0.3.8' } });

describe('the code cache of the hot scripts', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const root = path.join(dir, 'vfi');
  const chunks = path.join(root, 'dist', 'chunks');
  const userCache = path.join(dir, 'cache');
  let ref = '';

  beforeAll(() => {
    ref = ok(store, ['add', 'Runtime', '-'], { input: RUNTIME }).trim();
    // The store trusts a key and the record is signed by it: the pick checks the signature, which
    // needs node:crypto, loaded by an import() that a script run from its code cache cannot make.
    const keys = path.join(dir, 'keys');
    ok(store, ['key', 'generate', '--out', keys]);
    ok(store, ['trust', 'add', 'ci', path.join(keys, 'vfi.pub')]);
    ok(store, ['assert', ref, 'tests-passed'], { env: { VFI_SIGNING_KEY: path.join(keys, 'vfi.key') } });
    const built = path.dirname(path.dirname(MAIN));
    fs.mkdirSync(root);
    fs.cpSync(path.join(built, 'dist'), path.join(root, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.cache') });
    for (const f of ['package.json', 'node_modules', 'schemas']) fs.symlinkSync(path.join(built, f), path.join(root, f));
  });

  const pick = () => {
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'main.js'), '--store', store, 'pick', 'Runtime', '--allow-unpinned'],
      { env: { ...process.env, ...FIXED_ENV, VFI_DEBUG: '', XDG_CACHE_HOME: userCache }, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const cacheFile = () => {
    const found = fs.readdirSync(chunks).filter((f) => f.startsWith('hot-pick.cjs.') && f.endsWith(OURS));
    expect(found).toHaveLength(1);
    return path.join(chunks, found[0]!);
  };
  const answer = () => ({ code: 0, stdout: `${ref}\n`, stderr: '' });

  it('is written by the first run that succeeds, then used as it is', () => {
    const failed = spawnSync(process.execPath, [path.join(root, 'dist', 'main.js'), '--store', store, 'pick', 'Nope'], { env: { ...process.env, ...FIXED_ENV, VFI_DEBUG: '', XDG_CACHE_HOME: userCache } });
    expect(failed.status).toBe(3);
    expect(fs.readdirSync(chunks).filter((f) => f.endsWith('.cache'))).toEqual([]);
    expect(pick()).toEqual(answer());
    const file = cacheFile();
    const written = fs.statSync(file).ino;
    expect(pick()).toEqual(answer());
    expect(fs.statSync(file).ino).toBe(written); // not refused, so not written again
  });

  it('damaged, cut short, or refused by V8 (another node): the answer holds and the cache is written anew', () => {
    const file = cacheFile();
    const good = fs.readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1]! ^= 0x40;
    // A checksum that holds over bytes V8 refuses, as a cache another node version wrote would be.
    const payload = Buffer.alloc(4096, 7);
    const foreign = Buffer.concat([Buffer.alloc(4), payload]);
    foreign.writeUInt32LE(checksum(payload));
    for (const bad of [flipped, good.subarray(0, good.length >> 1), Buffer.alloc(0), foreign]) {
      fs.writeFileSync(file, bad);
      const before = fs.statSync(file).ino;
      expect(pick()).toEqual(answer());
      expect(fs.statSync(file).ino).not.toBe(before);
      const rewritten = fs.statSync(file).ino;
      expect(pick()).toEqual(answer());
      expect(fs.statSync(file).ino).toBe(rewritten);
    }
  });

  it('where dist/ cannot be written, is kept in the user\'s cache; where neither can, the command runs as it is', () => {
    const file = cacheFile();
    fs.rmSync(file);
    fs.mkdirSync(file);
    expect(pick()).toEqual(answer());
    const mine = path.join(userCache, 'vfi', path.basename(file));
    const written = fs.statSync(mine).ino;
    expect(pick()).toEqual(answer());
    expect(fs.statSync(mine).ino).toBe(written);
    fs.rmSync(path.join(userCache, 'vfi'), { recursive: true });
    fs.writeFileSync(path.join(userCache, 'vfi'), 'not a directory');
    expect(pick()).toEqual(answer());
    expect(fs.statSync(file).isDirectory()).toBe(true);
    expect(fs.readdirSync(chunks).filter((f) => f.includes('.cache.'))).toEqual([]); // no temp file left
  });

  it('keeps another node\'s cache of the same build, and removes caches written over a month ago', () => {
    fs.rmSync(cacheFile(), { recursive: true }); // the last test's, a directory
    fs.rmSync(path.join(userCache, 'vfi'), { recursive: true, force: true });
    expect(pick()).toEqual(answer());
    const file = cacheFile();
    const theirs = file.replace(OURS, '.9.9.9-other-node.cache');
    fs.copyFileSync(file, theirs);
    const stale = path.join(chunks, 'hot-show.cjs.0123456789abcdef.11.0.0.cache');
    const recent = path.join(chunks, 'hot-show.cjs.fedcba9876543210.11.0.0.cache');
    for (const f of [stale, recent]) fs.writeFileSync(f, 'a cache of another build');
    fs.utimesSync(stale, new Date(Date.now() - 40 * DAY), new Date(Date.now() - 40 * DAY));
    fs.utimesSync(recent, new Date(Date.now() - 20 * DAY), new Date(Date.now() - 20 * DAY));
    expect(pick()).toEqual(answer());
    expect(fs.existsSync(theirs)).toBe(true); // a cache in use is not written, so nothing is pruned
    expect(fs.existsSync(stale)).toBe(true);
    fs.writeFileSync(file, 'damaged');
    expect(pick()).toEqual(answer()); // writes ours anew, and prunes beside it
    expect(fs.readFileSync(file).length).toBeGreaterThan(1000);
    expect(fs.existsSync(theirs)).toBe(true);
    expect(fs.existsSync(recent)).toBe(true);
    expect(fs.existsSync(stale)).toBe(false);
  });
});
