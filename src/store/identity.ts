/** Who and when, for lineage commits and assertion records: who from git's own environment variables first; when see now() and recordNow(). */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { Signature } from '../core/gitObject.js';
import { VfiError } from '../errors.js';

export interface Person {
  name: string;
  email: string;
}

let configured: Person | undefined | null = null;

function gitConfigPerson(): Person | undefined {
  if (configured !== null) return configured;
  configured = undefined;
  try {
    const out = execFileSync('git', ['config', '--get-regexp', '^user\\.(name|email)$'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    });
    const name = /^user\.name (.*)$/m.exec(out)?.[1];
    const email = /^user\.email (.*)$/m.exec(out)?.[1];
    if (name) configured = { name, email: email ?? '' };
  } catch {
    /* git missing or nothing configured */
  }
  return configured;
}

/** The person acting: GIT_AUTHOR_NAME/EMAIL, else git config user.*, else $USER. */
export function currentPerson(env: NodeJS.ProcessEnv = process.env): Person {
  if (env.GIT_AUTHOR_NAME) return { name: env.GIT_AUTHOR_NAME, email: env.GIT_AUTHOR_EMAIL ?? '' };
  const fromConfig = gitConfigPerson();
  if (fromConfig) return fromConfig;
  const user = env.USER || env.LOGNAME || os.userInfo().username || 'unknown';
  return { name: user, email: `${user}@${os.hostname()}` };
}

// The date forms git takes in GIT_AUTHOR_DATE (git-commit(1) "DATE FORMATS"), RFC 3339 among them.
const GIT_INTERNAL = /^(?:@(\d+)(?: [+-]\d{4})?|(\d+) [+-]\d{4})$/; // "@1700000000", "1700000000 +0100"
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const RFC_2822 = /^(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? [+-]\d{4}$/;

/**
 * "now" for publications and commits, unless VFI_NOW or GIT_AUTHOR_DATE fixes it (as tests and
 * reproducible builds do): RFC 3339, `@<seconds>`, or another form git takes. A value that is not
 * a date is refused: a publication silently stamped with the real clock would be wrong in a way
 * nobody sees.
 */
export function now(env: NodeJS.ProcessEnv = process.env): Date {
  return clock(env, env.VFI_NOW ? 'VFI_NOW' : env.GIT_AUTHOR_DATE ? 'GIT_AUTHOR_DATE' : undefined);
}

/**
 * "now" for the `at` of assertion records: VFI_NOW, else the real clock. Not GIT_AUTHOR_DATE: that
 * is git's, for commits, and a CI that exports it for reproducible builds must not freeze the
 * times of its test results.
 */
export function recordNow(env: NodeJS.ProcessEnv = process.env): Date {
  return clock(env, env.VFI_NOW ? 'VFI_NOW' : undefined);
}

function clock(env: NodeJS.ProcessEnv, variable: 'VFI_NOW' | 'GIT_AUTHOR_DATE' | undefined): Date {
  if (!variable) return new Date();
  const value = env[variable]!;
  const d = parseDate(value.trim());
  if (!d) {
    throw new VfiError('USAGE', `${variable}=${JSON.stringify(value)} is not a date`, { variable, value },
      `use RFC 3339, e.g. ${variable}=2026-11-01T12:00:00Z, or @<seconds since 1970>; or unset it`);
  }
  return d;
}

/** A date in one of the forms above, or undefined. */
export function parseDate(s: string): Date | undefined {
  const epoch = GIT_INTERNAL.exec(s);
  if (epoch) return validDate(new Date(Number(epoch[1] ?? epoch[2]) * 1000));
  if (ISO_8601.test(s)) {
    // Date rolls 2026-02-30 over into March; a date that does not exist is not a date.
    const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
    if (new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d) return undefined;
    return validDate(new Date(s.replace(' ', 'T')));
  }
  if (RFC_2822.test(s)) return validDate(new Date(s));
  return undefined;
}

function validDate(d: Date): Date | undefined {
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function signature(person: Person, at: Date): Signature {
  return { name: person.name, email: person.email, timestamp: Math.floor(at.getTime() / 1000), tzOffset: 0 };
}
