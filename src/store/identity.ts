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

/**
 * The person acting, as git makes an author: GIT_AUTHOR_NAME/EMAIL, else git config user.*, else
 * $USER, cleaned as git cleans it (cleanIdent). One git would refuse is refused before anything is
 * written: a commit git's fsck rejects cannot be pushed to a host that checks what it receives,
 * nor repaired without rewriting history.
 */
export function currentPerson(env: NodeJS.ProcessEnv): Person {
  return usable(rawPerson(env, 'AUTHOR'), 'GIT_AUTHOR_NAME');
}

/** The committer, as git makes one: GIT_COMMITTER_NAME/EMAIL, falling back as the author does. */
export function currentCommitter(env: NodeJS.ProcessEnv): Person {
  const author = currentPerson(env);
  if (!env.GIT_COMMITTER_NAME && !env.GIT_COMMITTER_EMAIL) return author;
  return usable({ name: env.GIT_COMMITTER_NAME || author.name, email: env.GIT_COMMITTER_EMAIL ?? author.email }, 'GIT_COMMITTER_NAME');
}

function rawPerson(env: NodeJS.ProcessEnv, who: 'AUTHOR'): Person {
  const name = env[`GIT_${who}_NAME`];
  const email = env[`GIT_${who}_EMAIL`];
  if (name) return { name, email: email ?? gitConfigPerson()?.email ?? '' };
  const fromConfig = gitConfigPerson();
  if (fromConfig) return { name: fromConfig.name, email: email ?? fromConfig.email };
  const user = env.USER || env.LOGNAME || os.userInfo().username || 'unknown';
  return { name: user, email: email ?? `${user}@${os.hostname()}` };
}

function usable(raw: Person, variable: string): Person {
  const person = { name: cleanIdent(raw.name), email: cleanIdent(raw.email) };
  if (person.name === '') {
    throw new VfiError('USAGE', `the name ${JSON.stringify(raw.name)} is empty once cleaned as git cleans names`, { name: raw.name },
      `set ${variable} or git config user.name to a name`);
  }
  return person;
}

// git's ident.c: crud() and strbuf_addstr_without_crud().
const CRUD = /^[\x00-\x20,:;<>"\\']+|[\x00-\x20,:;<>"\\']+$/g;

/**
 * A name or email as git writes it in a commit: crud (spaces, control characters and `,:;<>"\'`)
 * trimmed from both ends, and every `<`, `>` and newline removed, as git's ident.c does.
 */
export function cleanIdent(s: string): string {
  return s.replace(CRUD, '').replace(/[<>\n]/g, '');
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
export function now(env: NodeJS.ProcessEnv): Date {
  return clock(env, env.VFI_NOW ? 'VFI_NOW' : env.GIT_AUTHOR_DATE ? 'GIT_AUTHOR_DATE' : undefined);
}

/**
 * "now" for the `at` of assertion records: VFI_NOW, else the real clock. Not GIT_AUTHOR_DATE: that
 * is git's, for commits, and a CI that exports it for reproducible builds must not freeze the
 * times of its test results.
 */
export function recordNow(env: NodeJS.ProcessEnv): Date {
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

/** Author and committer of a commit made now, as git would sign it. */
export function signatures(at: Date, env: NodeJS.ProcessEnv): { author: Signature; committer: Signature } {
  return { author: signature(currentPerson(env), at), committer: signature(currentCommitter(env), at) };
}
