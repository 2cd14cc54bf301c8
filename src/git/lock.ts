/**
 * Git-compatible lock files: `<file>.lock` created with O_EXCL; the new content is written to a
 * temp file git ignores (a dotfile beside the target) and renamed over `<file>`; then the lock is
 * removed. git itself honours the same locks, so vfi and git never interleave a ref update.
 *
 * As `git gc` does with gc.pid, the lock holds its holder's pid and host. A lock is never broken
 * for its age: only when its holder is on this host and that process is gone (killed mid-write).
 * Breaking takes a second lock, `.<file>.lock.break` (a dotfile, which git ignores), and checks the holder again under it, so two
 * processes that both find the same dead holder cannot remove a lock a third has just taken.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdirs } from '../errno.js';
import { VfiError } from '../errors.js';
import { flushWritten, syncDir, writeDurably } from './durable.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

/** What a lock takes from its caller's context: VFI_LOCK_TIMEOUT_MS (and the tests' hook) from `env`, and where a warning goes. */
export interface LockIo {
  env?: NodeJS.ProcessEnv;
  warn?: (line: string) => void;
}

function timeoutMs(env: NodeJS.ProcessEnv): number {
  const v = Number(env.VFI_LOCK_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 20_000;
}

const holderLine = () => `${process.pid} ${os.hostname()}\n`;

export class FileLock {
  private constructor(
    readonly target: string,
    readonly lockPath: string,
    private held: boolean,
  ) {}

  /**
   * Take the lock on `target`, waiting (with jittered backoff) while another process holds it.
   * Missing directories between `root` (the store) and the target are made, never `root` itself:
   * were the store moved or removed meanwhile, this fails rather than start half a store there.
   */
  static acquire(target: string, { env = {}, warn = () => {}, root = path.dirname(target) }: LockIo & { root?: string } = {}): FileLock {
    const lockPath = `${target}.lock`;
    const made = mkdirs(path.dirname(target), root);
    // New directories are entries of their parents: harden those (the ref's own is, on commit).
    for (let d = path.dirname(target); made !== undefined && d.length >= made.length; d = path.dirname(d)) syncDir(path.dirname(d));
    const deadline = Date.now() + timeoutMs(env);
    let wait = 1;
    for (;;) {
      if (createExclusive(lockPath, holderLine())) return new FileLock(target, lockPath, true);
      if (breakIfHolderGone(lockPath, env, warn)) continue;
      if (Date.now() > deadline) {
        const holder = describeHolder(readHolder(lockPath));
        throw new VfiError('STORE_BUSY', `store is busy: ${lockPath} is held by ${holder}`, { lock: lockPath, holder },
          'another vfi or git process is writing; wait for it, or, if it is surely gone, remove the lock file');
      }
      sleep(wait + Math.random() * wait);
      wait = Math.min(wait * 2, 50);
    }
  }

  /** Write the new content and rename it over the target: the commit point. Then let go. */
  commit(content: string | Buffer): void {
    const tmp = path.join(path.dirname(this.target), `.${path.basename(this.target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      // What the new content names is on disk before the content is (git/durable.ts).
      flushWritten();
      writeDurably(tmp, content, 0o644);
      fs.renameSync(tmp, this.target);
      syncDir(path.dirname(this.target));
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    this.release();
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    fs.rmSync(this.lockPath, { force: true });
  }
}

/**
 * Create `file` with `content` if it does not exist; false if it does. The content is written first
 * and linked into place, so a lock never exists without the holder it names, even after a kill.
 */
function createExclusive(file: string, content: string): boolean {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(tmp, content, { flag: 'wx', mode: 0o644 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // A file system without hard links: create it in place (a kill right here leaves it empty).
  try {
    fs.writeFileSync(file, content, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

interface Holder {
  pid: number;
  host: string;
}

/** The holder a lock file names, or undefined (git's own locks name none; a lock being written names none yet). */
function readHolder(lockPath: string): Holder | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^(\d+) (\S+)\n$/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]! } : undefined;
}

function describeHolder(h: Holder | undefined): string {
  if (!h) return 'another process (git, or a writer that names no holder)';
  return h.host === os.hostname() ? `process ${h.pid} on this host` : `process ${h.pid} on host ${h.host}`;
}

function isGone(h: Holder | undefined): h is Holder {
  if (!h || h.host !== os.hostname() || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const sameHolder = (a: Holder | undefined, b: Holder) => a !== undefined && a.pid === b.pid && a.host === b.host;

/** Remove the lock if its holder is gone; true when the caller should try to take it again at once. */
function breakIfHolderGone(lockPath: string, env: NodeJS.ProcessEnv, warn: (line: string) => void): boolean {
  const holder = readHolder(lockPath);
  if (!isGone(holder)) return false;
  testHook('judged', lockPath, env);
  const breakPath = path.join(path.dirname(lockPath), `.${path.basename(lockPath)}.break`);
  if (!createExclusive(breakPath, holderLine())) {
    // Another process is breaking it now; a breaker that was itself killed is broken the same way.
    if (isGone(readHolder(breakPath))) fs.rmSync(breakPath, { force: true });
    return false;
  }
  try {
    // Only a breaker (holding .break) removes another's lock, and the dead holder cannot let go:
    // if the lock still names it now, nobody has taken it since.
    if (!sameHolder(readHolder(lockPath), holder)) return true;
    fs.rmSync(lockPath, { force: true });
    warn(`vfi: warning: removed ${lockPath}, left by process ${holder.pid}, which is gone`);
    return true;
  } finally {
    fs.rmSync(breakPath, { force: true });
  }
}

/**
 * Tests only: with VFI_TEST_LOCK_HOOK=<dir>, a process that has judged a lock's holder gone says
 * so in <dir>/<event>-<pid> and waits for <dir>/go, so that a test can line up two breakers.
 */
function testHook(event: string, lockPath: string, env: NodeJS.ProcessEnv): void {
  const dir = env.VFI_TEST_LOCK_HOOK;
  if (!dir) return;
  fs.writeFileSync(path.join(dir, `${event}-${process.pid}`), lockPath);
  const until = Date.now() + 30_000;
  while (!fs.existsSync(path.join(dir, 'go')) && Date.now() < until) sleep(5);
}
