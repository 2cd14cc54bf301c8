/** Commit subjects from local clones, through git's own `git log` (no network: only what the clone has). */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommitLog, CommitRange } from '../core/notes.js';

/** The clone of `repository` under `dir`: `dir/<name>` or `dir/<name>.git`, a work tree or a bare repository. */
export function findClone(dir: string, repository: string): string | undefined {
  for (const candidate of [path.join(dir, repository), path.join(dir, `${repository}.git`)]) {
    if (!fs.statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) continue;
    // Only a repository of its own: a plain directory inside some other repository (--repos in a
    // monorepo checkout) would otherwise answer with that repository's git dir and history.
    const r = spawnSync('git', ['-C', candidate, 'rev-parse', '--absolute-git-dir'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const gitDir = fs.realpathSync(r.stdout.trim());
    const own = fs.realpathSync(candidate);
    if (gitDir === own || gitDir === path.join(own, '.git')) return candidate;
  }
  return undefined;
}

/** `git log --format=%s from..to` in each range's clone; a range without a clone, or whose commits the clone lacks, says so. */
export function readCommitLogs(ranges: readonly CommitRange[], reposDir: string | undefined, env: NodeJS.ProcessEnv): CommitLog[] {
  return ranges.map((range): CommitLog => {
    if (reposDir === undefined) return { ...range, missing: 'no --repos given' };
    const clone = findClone(reposDir, range.repository);
    if (!clone) return { ...range, missing: `no clone of ${range.repository} under ${reposDir}` };
    const r = spawnSync('git', ['-C', clone, 'log', '--format=%s', `${range.from}..${range.to}`, '--'], {
      encoding: 'utf8',
      env: { ...env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
    });
    if (r.status !== 0) return { ...range, missing: `${path.basename(clone)} does not have both commits (git fetch in it)` };
    return { ...range, subjects: r.stdout.split('\n').filter((s) => s !== '') };
  });
}
