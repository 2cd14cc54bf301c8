/**
 * Durability of acknowledged writes. git's default (`core.fsync=committed,-loose-object`) hardens
 * packs only; vfi acknowledges a publication on stdout, so it hardens what a publication is made of
 * before its ref moves: the objects written since the last ref update, then the ref file itself
 * and the directory it was renamed into (as `core.fsync=committed,reference` would).
 *
 * Objects are not synced one by one as they are written: they are remembered, and the next ref
 * update syncs them all at once, so a batch (`import`, `assert --batch`) pays once. A few files are
 * fsynced each, with their directories; many are flushed with one syncfs(2) of the store's file
 * system (`sync -f`), which costs one call however many files a batch wrote.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { namingPath } from '../errno.js';

/** Above this many files, one syncfs of the file system is cheaper than an fsync each. */
const FILES_PER_FSYNC = 64;

const pendingFiles = new Set<string>();
const pendingDirs = new Set<string>();

/** A file written (and renamed into `path.dirname(file)`) that the next ref update must harden. */
export function written(file: string, newDir?: string): void {
  pendingFiles.add(file);
  pendingDirs.add(path.dirname(file));
  if (newDir) pendingDirs.add(path.dirname(newDir)); // a new fan-out directory is an entry of its parent
}

/** Harden every file written since the last call, and the directories that name them. */
export function flushWritten(): void {
  if (pendingFiles.size === 0 && pendingDirs.size === 0) return;
  const files = [...pendingFiles];
  const dirs = [...pendingDirs];
  pendingFiles.clear();
  pendingDirs.clear();
  if (files.length > FILES_PER_FSYNC && syncFileSystem(files[0]!)) return;
  for (const f of files) fsyncPath(f);
  for (const d of dirs) fsyncPath(d);
}

/** Write `content` to a new file `file` and fsync it before it is closed (a ref or lock temp file). */
export function writeDurably(file: string, content: string | Buffer, mode: number): void {
  const fd = fs.openSync(file, 'wx', mode);
  try {
    namingPath(file, () => {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync the directory `dir` (after a rename into it), so the new name survives a crash. */
export function syncDir(dir: string): void {
  fsyncPath(dir);
}

function fsyncPath(p: string): void {
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch (e) {
    // Removed meanwhile (a temp another writer renamed, an object `gc` packed): nothing to harden.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems refuse fsync on a directory; the data itself was synced.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EBADF') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** syncfs(2) of the file system holding `file`, through coreutils' `sync -f`; false where that is not available. */
function syncFileSystem(file: string): boolean {
  if (process.platform !== 'linux') return false;
  const r = spawnSync('sync', ['-f', file], { stdio: 'ignore' });
  return r.status === 0;
}
