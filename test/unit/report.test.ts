/**
 * report(): a broken pipe is quiet only when it is stdout's reader that went away (`vfi list |
 * head -1`, tested end to end in hostile.test.ts); on a socket or a child's pipe it is a failure.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { report } from '../../src/cli.js';

const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' });

describe('report() and EPIPE', () => {
  afterEach(() => vi.restoreAllMocks());

  it('an EPIPE while stdout is open (a socket, a child process) is exit 1 with one vfi: line', () => {
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    expect(process.stdout.destroyed).toBe(false);
    expect(report(epipe())).toBe(1);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^vfi: .*broken pipe.*\n$/);
    expect(said[0]).not.toMatch(/internal error|this is a bug/);
  });

  it('as JSON: code NETWORK, exit 1', () => {
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    expect(report(epipe(), true)).toBe(1);
    expect(JSON.parse(said[0]!)).toMatchObject({ ok: false, code: 'NETWORK', exit: 1 });
  });

  it('an EPIPE once stdout has been closed by its reader ends quietly with 0', () => {
    const said: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
    vi.spyOn(process.stdout, 'destroyed', 'get').mockReturnValue(true);
    expect(report(epipe())).toBe(0);
    expect(said).toEqual([]);
  });
});
