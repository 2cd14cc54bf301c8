/** A ref lock takes its timeout and says its warnings through what its caller gives it (LockIo), not the process's environment. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLock } from '../../src/git/lock.js';
import { tempDir } from '../helpers/cli.js';

describe('FileLock and its LockIo', () => {
  const dir = tempDir('vfi-lock-');

  it('VFI_LOCK_TIMEOUT_MS from the env given: a lock held by a live process is STORE_BUSY once it passes', () => {
    const target = path.join(dir, 'held');
    fs.writeFileSync(`${target}.lock`, `${process.ppid} ${os.hostname()}\n`);
    const t0 = Date.now();
    expect(() => FileLock.acquire(target, { env: { VFI_LOCK_TIMEOUT_MS: '100' } })).toThrowError(expect.objectContaining({ code: 'STORE_BUSY' }));
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a lock left by a process that is gone is broken, and the warning goes to the warn given', () => {
    const target = path.join(dir, 'stale');
    const gone = spawnSync('true').pid; // exited and reaped
    fs.writeFileSync(`${target}.lock`, `${gone} ${os.hostname()}\n`);
    const said: string[] = [];
    const lock = FileLock.acquire(target, { warn: (line) => said.push(line) });
    lock.commit('new\n');
    expect(fs.readFileSync(target, 'utf8')).toBe('new\n');
    expect(said).toEqual([`vfi: warning: removed ${target}.lock, left by process ${gone}, which is gone`]);
  });
});
