/**
 * Git-compatible lock files: `<file>.lock` created with O_EXCL, the new content written into it,
 * then renamed over `<file>`. git itself honours the same locks, so vfi and git never interleave
 * a ref update.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VfiError } from '../errors.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

/** A lock older than this was left by a killed process: a ref update holds its lock for milliseconds. */
const STALE_MS = 10_000;

function timeoutMs(): number {
  const v = Number(process.env.VFI_LOCK_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 20_000;
}

export class FileLock {
  private constructor(
    readonly target: string,
    readonly lockPath: string,
    private fd: number | undefined,
  ) {}

  /** Take the lock on `target`, waiting (with jittered backoff) while another process holds it. */
  static acquire(target: string): FileLock {
    const lockPath = `${target}.lock`;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const deadline = Date.now() + timeoutMs();
    let wait = 1;
    for (;;) {
      try {
        return new FileLock(target, lockPath, fs.openSync(lockPath, 'wx', 0o644));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (breakIfStale(lockPath)) continue;
      if (Date.now() > deadline) {
        throw new VfiError('STORE_BUSY', `store is busy: ${lockPath} exists`, { lock: lockPath },
          'another vfi or git process is writing; if none is, remove the lock file');
      }
      sleep(wait + Math.random() * wait);
      wait = Math.min(wait * 2, 50);
    }
  }

  /** Write the new content and rename it over the target: the commit point. */
  commit(content: string | Buffer): void {
    fs.writeFileSync(this.fd!, content);
    fs.closeSync(this.fd!);
    this.fd = undefined;
    fs.renameSync(this.lockPath, this.target);
  }

  release(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
    fs.rmSync(this.lockPath, { force: true });
  }
}

function breakIfStale(lockPath: string): boolean {
  try {
    const age = Date.now() - fs.statSync(lockPath).mtimeMs;
    if (age < STALE_MS) return false;
    // Rename first so that two processes cannot both decide to break the same lock.
    const aside = `${lockPath}.stale-${process.pid}`;
    fs.renameSync(lockPath, aside);
    fs.rmSync(aside, { force: true });
    process.stderr.write(`vfi: warning: removed stale lock ${lockPath} (${Math.round(age / 1000)} s old)\n`);
    return true;
  } catch {
    return true; // it vanished meanwhile: try again
  }
}
