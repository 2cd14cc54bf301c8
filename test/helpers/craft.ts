/** Objects written straight into a repository, as given: the damaged and hostile stores vfi must refuse. */
import { spawnSync } from 'node:child_process';

export interface Craft {
  /** git in the repository: its stdout, trimmed; throws when it fails. */
  git(args: string[], input?: string | Buffer): string;
  blob(bytes: string | Buffer): string;
  /** A tree of `ls-tree` lines (`MODE TYPE ID\tNAME`). */
  mktree(lines: string[]): string;
  /** A commit object written as given, unchecked (git commit-tree would refuse some of these). */
  rawCommit(text: string): string;
}

export function craft(gitdir: string, env: NodeJS.ProcessEnv = process.env): Craft {
  const git = (args: string[], input?: string | Buffer) => {
    const r = spawnSync('git', ['--git-dir', gitdir, ...args], { input, env, maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString()}`);
    return r.stdout.toString('utf8').trim();
  };
  return {
    git,
    blob: (bytes) => git(['hash-object', '-w', '--stdin'], bytes),
    mktree: (lines) => git(['mktree'], lines.map((l) => `${l}\n`).join('')),
    rawCommit: (text) => git(['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], text),
  };
}
