/**
 * A scratch git directory through which isomorphic-git pushes, so that it never touches the
 * store's refs or config (its push reads the ref to send from the repository and then writes
 * `refs/remotes/<remote>/...`). The scratch directory has its own HEAD, config and refs, and
 * sees the store's objects through a small fs adapter that reads `objects/` from the store and
 * refuses to write there. vfi names the exact commit to push by writing it into the scratch refs.
 * It is removed when the push ends or is interrupted; one left by a killed process is swept away
 * by the next push.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { processAlive, removeOnSignal } from './cleanup.js';

type FsCall = (...args: any[]) => Promise<any>;
type FsPromises = Record<'readFile' | 'writeFile' | 'mkdir' | 'rmdir' | 'unlink' | 'stat' | 'lstat' | 'readdir' | 'readlink' | 'symlink', FsCall>;

export interface Sandbox {
  gitdir: string;
  /** an fs client for isomorphic-git (its PromiseFsClient shape) */
  fs: { promises: FsPromises };
  /** point a ref of the scratch directory at a commit: what isomorphic-git will push */
  setRef(ref: string, oid: string): void;
  /** remove the scratch directory */
  dispose(): void;
}

/** Remove scratch directories whose process is gone (killed, or from before signals were handled). */
export function sweepSandboxes(storeGitdir: string): void {
  const base = path.join(storeGitdir, 'vfi-cache', 'transfer');
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) fs.rmSync(path.join(base, name), { recursive: true, force: true });
  }
}

export function openSandbox(storeGitdir: string): Sandbox {
  sweepSandboxes(storeGitdir);
  const base = path.join(storeGitdir, 'vfi-cache', 'transfer');
  fs.mkdirSync(base, { recursive: true });
  const gitdir = path.join(base, `${process.pid}-${randomBytes(4).toString('hex')}`);
  const forget = removeOnSignal(gitdir);
  for (const d of ['refs/heads', 'refs/tags']) fs.mkdirSync(path.join(gitdir, d), { recursive: true });
  fs.writeFileSync(path.join(gitdir, 'HEAD'), 'ref: refs/heads/main\n');
  fs.writeFileSync(path.join(gitdir, 'config'),
    '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');

  const scratchObjects = path.join(gitdir, 'objects');
  const storeObjects = path.join(storeGitdir, 'objects');
  const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

  /** Where a path of the scratch directory really is. */
  const real = (p: string, forWrite: boolean): string => {
    const abs = path.resolve(p);
    if (!inside(abs, scratchObjects)) return abs;
    const rel = path.relative(scratchObjects, abs);
    if (forWrite) throw Object.assign(new Error(`refusing to write ${rel} into the store`), { code: 'EACCES' });
    return path.join(storeObjects, rel);
  };

  // Synchronous calls behind a promise: isomorphic-git reads every object of a push one by one,
  // and a thread-pool round trip per small file made a 10,000-publication push 5x slower.
  const promises: FsPromises = {
    readFile: async (file: string, opts?: unknown) => fs.readFileSync(real(file, false), opts as never),
    writeFile: async (file: string, data: unknown, opts?: unknown) => fs.writeFileSync(real(file, true), data as never, opts as never),
    mkdir: async (dir: string, opts?: unknown) => {
      if (inside(path.resolve(dir), scratchObjects)) return; // the store's object directories exist
      fs.mkdirSync(dir, opts as never);
    },
    rmdir: async (dir: string, opts?: unknown) => fs.rmdirSync(real(dir, true), opts as never),
    unlink: async (file: string) => fs.unlinkSync(real(file, true)),
    stat: async (file: string, opts?: unknown) => fs.statSync(real(file, false), opts as never),
    lstat: async (file: string, opts?: unknown) => fs.lstatSync(real(file, false), opts as never),
    readdir: async (dir: string, opts?: unknown) => fs.readdirSync(real(dir, false), opts as never),
    readlink: async (file: string, opts?: unknown) => fs.readlinkSync(real(file, false), opts as never),
    symlink: async (target: string, file: string) => fs.symlinkSync(target, real(file, true)),
  };

  return {
    gitdir,
    fs: { promises },
    setRef(ref, oid) {
      const file = path.join(gitdir, ref);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${oid}\n`);
    },
    dispose() {
      fs.rmSync(gitdir, { recursive: true, force: true });
      forget();
    },
  };
}
