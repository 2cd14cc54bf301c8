/** Who and when, for lineage commits and assertion records: git's own environment variables first. */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { Signature } from '../core/gitObject.js';

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

/** "now", unless VFI_NOW or GIT_AUTHOR_DATE (RFC 3339 or "@<seconds>") fixes it, as tests do. */
export function now(env: NodeJS.ProcessEnv = process.env): Date {
  const fixed = env.VFI_NOW ?? env.GIT_AUTHOR_DATE;
  if (fixed) {
    const m = /^@(\d+)/.exec(fixed);
    const d = m ? new Date(Number(m[1]) * 1000) : new Date(fixed);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return new Date();
}

export function signature(person: Person, at: Date): Signature {
  return { name: person.name, email: person.email, timestamp: Math.floor(at.getTime() / 1000), tzOffset: 0 };
}
