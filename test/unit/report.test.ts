/**
 * report(): a broken pipe is quiet only when it is stdout's reader that went away (`vfi list |
 * head -1`, tested end to end in hostile.test.ts); on a socket or a child's pipe it is a failure.
 */
import { describe, expect, it } from 'vitest';
import { report } from '../../src/cli.js';
import type { ProcessIo } from '../../src/context.js';

const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' });

/** stderr into `said`; stdout's reader gone or not */
const io = (said: string[], stdoutClosed = false): ProcessIo => ({ env: {}, writeErr: (s) => void said.push(s), stdoutClosed: () => stdoutClosed });

describe('report() and EPIPE', () => {
  it('an EPIPE while stdout is open (a socket, a child process) is exit 1 with one vfi: line', () => {
    const said: string[] = [];
    expect(report(epipe(), false, io(said))).toBe(1);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^vfi: .*broken pipe.*\n$/);
    expect(said[0]).not.toMatch(/internal error|this is a bug/);
  });

  it('as JSON: code NETWORK, exit 1', () => {
    const said: string[] = [];
    expect(report(epipe(), true, io(said))).toBe(1);
    expect(JSON.parse(said[0]!)).toMatchObject({ ok: false, code: 'NETWORK', exit: 1 });
  });

  it('an EPIPE once stdout has been closed by its reader ends quietly with 0', () => {
    const said: string[] = [];
    expect(report(epipe(), false, io(said, true))).toBe(0);
    expect(said).toEqual([]);
  });

  it('with VFI_DEBUG=1 the stack shown is the failed system call\'s, not the one that worded it', () => {
    const said: string[] = [];
    const e = epipe();
    expect(report(e, false, { ...io(said), env: { VFI_DEBUG: '1' } })).toBe(1);
    expect(said).toHaveLength(2);
    expect(said[1]).toBe(`${e.stack}\n`);
  });
});
