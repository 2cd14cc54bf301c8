/** What every fault test checks of a store and of a failed run. */
import { expect } from 'vitest';
import { git, vfi } from './cli.js';

/** Both `vfi fsck` and `git fsck --strict` accept the store. */
export function bothFsckClean(store: string): void {
  const ours = vfi(store, ['fsck']);
  expect(ours.code, ours.stdout + ours.stderr).toBe(0);
  const theirs = git(store, ['fsck', '--strict', '--no-dangling']);
  expect(theirs.code, theirs.stdout + theirs.stderr).toBe(0);
}

/** No "internal error", no stack trace; a failure (`code` not 0) ends with its one `vfi: ` line. */
export function oneCleanLine(stderr: string, code = 1): void {
  expect(stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
  if (code !== 0) expect(stderr.split('\n').filter(Boolean).at(-1)).toMatch(/^vfi: /);
}
