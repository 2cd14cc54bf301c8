/**
 * A store moved or removed while a write is under way: the ref update (or a cache, or a pack) must fail, not make a new
 * half a store (a ref, a config) where the store was. The timing is forced here; faults.test.ts
 * moves real stores under running commands.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLock } from '../../src/git/lock.js';
import { RefStore } from '../../src/git/refs.js';
import { writeFileAtomic } from '../../src/store/lineageIndex.js';
import { mkdirs } from '../../src/errno.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-lock-vanish-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const id = 'b383463cf0f42b9a2095b40fc4cc597443da47f2';

describe('a ref update on a store that is gone', () => {
  it('fails with ENOENT and leaves nothing where the store was', () => {
    const store = path.join(dir, 'gone');
    const refs = new RefStore(store);
    expect(() => refs.compareAndSwap('refs/vfi/Runtime', undefined, id)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(fs.existsSync(store)).toBe(false);
  });

  it('a lock beside a file in the store root (config, packed-refs) fails the same way', () => {
    const store = path.join(dir, 'gone-too');
    expect(() => FileLock.acquire(path.join(store, 'config'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(fs.existsSync(store)).toBe(false);
  });

  it('nor does a cache write (a warning at most), nor a pack directory', () => {
    const store = path.join(dir, 'gone-cache');
    writeFileAtomic(path.join(store, 'vfi-cache', 'picks', 'Runtime.json'), '{}');
    expect(() => mkdirs(path.join(store, 'objects', 'pack'), store)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(fs.existsSync(store)).toBe(false);
  });

  it('in a store that is there, the missing directories below it are made', () => {
    const store = path.join(dir, 'here');
    fs.mkdirSync(store);
    const refs = new RefStore(store);
    expect(refs.compareAndSwap('refs/vfi-assertions/ab/cd', undefined, id)).toBe(true);
    expect(fs.readFileSync(path.join(store, 'refs/vfi-assertions/ab/cd'), 'utf8')).toBe(`${id}\n`);
    expect(refs.compareAndSwap('refs/vfi-assertions/ab/cd', id, id.replace('b', 'c'))).toBe(true);
  });
});

describe('mkdirs', () => {
  it('makes what is missing, and says why it cannot with the real errno', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    expect(() => mkdirs(path.join(file, 'x', 'y'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    const deep = path.join(dir, 'p', 'q', 'r');
    expect(mkdirs(deep)).toBe(path.join(dir, 'p'));
    expect(fs.statSync(deep).isDirectory()).toBe(true);
    expect(mkdirs(deep)).toBeUndefined();
  });
});
