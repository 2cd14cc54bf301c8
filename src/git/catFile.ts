/**
 * Objects read many at a time through one `git cat-file --batch`, for the passes that read a
 * million of them (fsck's records): git inflates in C and pipes them back in one stream, where
 * reading each through the pack reader costs a lookup, a read and an inflate in Node. It does not
 * hash what it reads (git fsck does); an object it cannot give (missing, damaged, git gone) comes
 * back undefined, for the caller to read through the store, whose reader says what is wrong.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface BatchObject {
  type: string;
  body: Buffer;
}

export class CatFile {
  private readonly proc: ChildProcessWithoutNullStreams;
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(gitdir: string) {
    this.proc = spawn('git', ['--git-dir', gitdir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    this.proc.stdout.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      this.notify();
    });
    const end = () => {
      this.ended = true;
      this.notify();
    };
    this.proc.stdout.on('close', end);
    this.proc.on('error', end);
    this.proc.stdin.on('error', end);
    this.proc.stderr.resume();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Wait until `ready()` holds or the stream has ended; false when it ended first. */
  private async until(ready: () => boolean): Promise<boolean> {
    while (!ready()) {
      if (this.ended) return false;
      await new Promise<void>((r) => (this.wake = r));
    }
    return true;
  }

  /** The objects `ids` name, in order; undefined for each one git could not give. */
  async readMany(ids: readonly string[]): Promise<(BatchObject | undefined)[]> {
    const out: (BatchObject | undefined)[] = new Array(ids.length).fill(undefined);
    if (ids.length === 0 || this.ended) return out;
    this.proc.stdin.write(ids.join('\n') + '\n');
    for (let i = 0; i < ids.length; i++) {
      let nl = -1;
      if (!(await this.until(() => (nl = this.pending.indexOf(0x0a)) >= 0))) return out;
      const header = this.pending.toString('latin1', 0, nl).split(' ');
      if (header.length !== 3 || header[0] !== ids[i]) {
        this.pending = this.pending.subarray(nl + 1);
        continue; // "<id> missing", or not what was asked: left to the store's reader
      }
      const size = Number(header[2]);
      const need = nl + 1 + size + 1;
      if (!(await this.until(() => this.pending.length >= need))) return out;
      out[i] = { type: header[1]!, body: Buffer.from(this.pending.subarray(nl + 1, nl + 1 + size)) };
      this.pending = this.pending.subarray(need);
    }
    return out;
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}
