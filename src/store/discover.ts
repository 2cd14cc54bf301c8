/**
 * Which store a command uses, found as git finds a repository: `--store`, then $VFI_STORE, then
 * $GIT_DIR, then the nearest repository at or above the current directory when it is a vfi store,
 * then the per-user default.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultStorePath } from './store.js';

export type StoreSource = '--store' | 'VFI_STORE' | 'GIT_DIR' | 'current directory' | 'default';

export interface FoundStore {
  path: string;
  from: StoreSource;
}

export function findStore(option: string | undefined, env: NodeJS.ProcessEnv, cwd: string): FoundStore {
  // `--store "$UNSET"` stays empty, to be refused where the store is opened, not taken as the cwd.
  if (option !== undefined) return { path: option === '' ? '' : path.resolve(cwd, option), from: '--store' };
  if (env.VFI_STORE) return { path: path.resolve(cwd, env.VFI_STORE), from: 'VFI_STORE' };
  if (env.GIT_DIR) return { path: path.resolve(cwd, env.GIT_DIR), from: 'GIT_DIR' };
  const here = nearestRepository(cwd);
  if (here && isVfiStore(here)) return { path: here, from: 'current directory' };
  return { path: defaultStorePath({ ...env, VFI_STORE: '' }), from: 'default' };
}

/** The git directory of the nearest repository at or above `dir` (bare, or a work tree's `.git`), as git looks. */
function nearestRepository(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (isGitDir(path.join(d, '.git'))) return path.join(d, '.git');
    if (isGitDir(d)) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

const isGitDir = (d: string): boolean => fs.existsSync(path.join(d, 'HEAD')) && fs.existsSync(path.join(d, 'objects')) && fs.existsSync(path.join(d, 'refs'));

/**
 * A repository is a vfi store when vfi has written to it or fetched into it: it has a lineage or the
 * assertions ref (loose or packed), or vfi's cache folder. A plain `git clone` of a store has none
 * of these until its first `vfi --store . pull`.
 */
export function isVfiStore(gitdir: string): boolean {
  if (fs.existsSync(path.join(gitdir, 'refs', 'vfi')) || fs.existsSync(path.join(gitdir, 'refs', 'vfi-assertions'))) return true;
  if (fs.existsSync(path.join(gitdir, 'vfi-cache'))) return true;
  try {
    return /^[0-9a-f]{40,64} refs\/vfi(-assertions)?\//m.test(fs.readFileSync(path.join(gitdir, 'packed-refs'), 'utf8'));
  } catch {
    return false;
  }
}
