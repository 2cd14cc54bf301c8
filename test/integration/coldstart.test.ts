// The start-up of the hot commands (issue 14): dist/main.js runs pick/find, show, assertions and push/pull from
// builds of their own (scripts/bundle.mjs), which must behave as the whole program does and load
// none of the builtins those commands do not use.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXED_ENV, MAIN, ok, tempDir } from '../helpers/cli.js';

const WHOLE = path.join(path.dirname(MAIN), 'chunks', 'main.js');
const RUNTIME = JSON.stringify({ nsq: { type: 'dockerImage', address: 'nsqio/nsq:v0.3.8' } });

describe('hot commands start from their own builds', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const preload = path.join(dir, 'loaded.cjs');
  let ref = '';

  beforeAll(() => {
    ref = ok(store, ['add', 'Runtime', '-'], { input: RUNTIME }).trim();
    ok(store, ['assert', ref, 'tests-passed']);
    // The builtins node loaded, written when the process exits.
    fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_LOG, process.moduleLoadList.join('\\n')));\n`);
  });

  const run = (main: string, args: string[], log?: string) => {
    const r = spawnSync(process.execPath, [...(log ? ['--require', preload] : []), main, ...args],
      { env: { ...process.env, ...FIXED_ENV, VFI_DEBUG: '', LOADED_LOG: log ?? '' }, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('pick, find, show and assertions load neither child_process nor net, and print what they did', () => {
    for (const args of [['pick', 'Runtime', '--allow-unpinned'], ['find', 'Runtime', '--has', 'tests-passed', '--allow-unpinned'], ['show', 'Runtime'], ['assertions', ref]]) {
      const log = path.join(dir, `${args[0]}.log`);
      const r = run(MAIN, ['--store', store, ...args], log);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain({ show: 'nsqio/nsq:v0.3.8', assertions: 'score 1: tests-passed' }[args[0]!] ?? ref);
      const loaded = fs.readFileSync(log, 'utf8').split('\n');
      expect(loaded).toContain('NativeModule fs'); // the log is node's own list
      expect(loaded.filter((m) => /^NativeModule (child_process|net|dgram)$/.test(m))).toEqual([]);
    }
  });

  it('answer, fail and help as the whole program does', () => {
    const cases = [
      ['--store', store, 'pick', 'Runtime', '--allow-unpinned', '--json'],
      ['--store', store, 'find', '--has', 'tests-passed', '--', 'Runtime'],
      ['--store', store, 'show', 'Runtime~1'],
      ['--json', '--store', store, 'show', 'Nope'],
      ['--store', store, 'assertions', ref, '--json'],
      ['--store', store, 'pick', '--requir', 'x'],
      ['--store', store, 'pick', '--top', '0'],
      ['--store', store, 'assertions'],
      ['--store', store, 'show', '--help'],
      ['--store', store, 'find', 'Runtime', '-v'],
      ['--store', path.join(dir, 'none'), 'pick', 'Runtime'],
      ['--store', store, 'push', '--help'],
      ['--store', store, 'push', 'nowhere'],
      ['--store', store, 'pull', '--skip-invalid', 'gh:org/repo'],
      ['--store', store, 'pull', '--skip'],
    ];
    for (const args of cases) {
      const hot = run(MAIN, args);
      expect(hot, args.join(' ')).toEqual(run(WHOLE, args));
      expect(hot.stderr.split('\n').length, hot.stderr).toBeLessThanOrEqual(2);
    }
    const codes = cases.map((args) => run(MAIN, args).code);
    expect(codes).toEqual([0, 0, 3, 2, 0, 2, 2, 2, 0, 0, 3, 0, 3, 2, 2]);
  });
});
