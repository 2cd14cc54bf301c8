/**
 * Lineage names, component names and claims share one charset (SPEC §1). A lineage name is also
 * the last component of the git ref `refs/vfi/<Name>`, so names follow `git check-ref-format`
 * too: within the SPEC charset that forbids `..`, a trailing `.` and a `.lock` suffix (a leading
 * `.`, `@{`, `/` and control characters are already outside the charset).
 */
import { VfiError, type ErrorCode } from '../errors.js';

export const MAX_NAME_LENGTH = 128;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why `s` is not a valid name, or undefined when it is. */
export function nameProblem(s: string): string | undefined {
  if (s === '') return 'is empty';
  if (s.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  if (!NAME.test(s)) {
    return /^[A-Za-z0-9]/.test(s)
      ? 'may contain only ASCII letters, digits, ".", "_" and "-"'
      : 'must start with an ASCII letter or digit';
  }
  if (s.includes('..')) return 'must not contain ".."';
  if (s.endsWith('.lock')) return 'must not end in ".lock"';
  if (s.endsWith('.')) return 'must not end in "."';
  return undefined;
}

function check(kind: string, code: ErrorCode, s: string): string {
  const problem = nameProblem(s);
  if (problem) throw new VfiError(code, `invalid ${kind} ${JSON.stringify(s)}: ${problem}`, { [kind]: s });
  return s;
}

export const checkName = (s: string): string => check('name', 'INVALID_NAME', s);
export const checkClaim = (s: string): string => check('claim', 'INVALID_CLAIM', s);
export const checkComponentName = (s: string): string => check('component', 'INVALID_NAME', s);
