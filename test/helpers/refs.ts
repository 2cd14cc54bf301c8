import { git } from './cli.js';

/** The commit a ref of a repository names (empty when there is none). */
export const head = (gitdir: string, ref = 'refs/vfi/Runtime'): string => git(gitdir, ['rev-parse', '--verify', '-q', ref]).stdout.trim();

/** The lineage and assertion refs of a repository with their commits, one per line: equal on two sides that agree. */
export const vfiRefs = (gitdir: string): string =>
  git(gitdir, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/vfi/', 'refs/vfi-assertions/']).stdout;
