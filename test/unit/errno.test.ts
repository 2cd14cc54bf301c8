/**
 * Every errno the issue lists is a VfiError with its exit code, its code in the one line, and the
 * path it concerns; the real ones are caused in faults.test.ts and hostile.test.ts, this checks
 * the table for those a test machine cannot cause (EDQUOT, EMFILE, a reset connection).
 */
import { describe, expect, it } from 'vitest';
import { errnoError } from '../../src/errno.js';

const fsError = (code: string, syscall: string, path?: string) => Object.assign(new Error(code), { code, syscall, ...(path ? { path } : {}) });

describe('errnoError', () => {
  it.each([
    ['ENOENT', 'open', 1],
    ['ENOTDIR', 'mkdir', 1],
    ['EACCES', 'open', 1],
    ['EROFS', 'mkdir', 1],
    ['ENOSPC', 'write', 1],
    ['EDQUOT', 'write', 1],
    ['EFBIG', 'write', 1],
    ['EMFILE', 'open', 1],
    ['ELOOP', 'stat', 1],
    ['ENAMETOOLONG', 'open', 2],
  ] as const)('%s from %s: exit %i, one line naming the path and the errno', (code, syscall, exit) => {
    const e = errnoError(fsError(code, syscall, '/s/objects/ab'))!;
    expect(e.exitCode).toBe(exit);
    expect(e.message).toContain('/s/objects/ab');
    expect(e.message).toContain(`(${code})`);
    expect(e.message).not.toContain('\n');
  });

  it.each(['EPIPE', 'ECONNRESET', 'ECONNREFUSED'])('%s on a socket: a network failure, exit 1', (code) => {
    const e = errnoError(fsError(code, 'read'))!;
    expect([e.code, e.exitCode]).toEqual(['NETWORK', 1]);
    expect(e.message).toContain(`(${code})`);
  });

  it('a helper process killed by a signal (SIGPIPE) is one line, not a bug', () => {
    const e = errnoError(Object.assign(new Error('killed'), { signal: 'SIGPIPE', spawnargs: ['git'] }))!;
    expect([e.exitCode, e.message]).toEqual([1, 'git was killed by SIGPIPE']);
  });

  it('what is none of those stays a bug (undefined: "internal error")', () => {
    expect(errnoError(new TypeError('x is undefined'))).toBeUndefined();
    expect(errnoError(fsError('EWHATEVER', 'open'))).toBeUndefined();
  });
});
