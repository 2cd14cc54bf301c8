/** The CLI's conventions: help, version, JSON results and errors, store discovery, tables, completion. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN, git, ok, tempDir, vfi, vfiIn, type Result } from '../helpers/cli.js';
import { evaluatedSources } from '../helpers/evaluatedSources.js';

const RUNTIME = JSON.stringify({ nsq: { type: 'dockerImage', address: 'nsqio/nsq:v0.3.8' } });


/** The one JSON line an error with --json or VFI_ERROR_FORMAT=json leaves on stderr. */
function jsonError(r: Result): Record<string, unknown> {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!);
}

describe('help and version', () => {
  const dir = tempDir();

  it('vfi help X Y shows the help of subcommand Y of X, on stdout', () => {
    const r = vfiIn(dir, ['help', 'remote', 'add']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: vfi remote add \[options\] <name> <url>/);
    expect(vfiIn(dir, ['help', 'remote', 'rm']).stdout).toMatch(/^Usage: vfi remote remove\|rm /);
    expect(vfiIn(dir, ['help', 'log']).stdout).toMatch(/^Usage: vfi log /);
    expect(vfiIn(dir, ['help']).stdout).toMatch(/^Usage: vfi /);
  });

  it('every command and subcommand has help through vfi help', () => {
    const commands = vfiIn(dir, ['--help']).stdout.split('Commands:\n')[1]!.split('\n\n')[0]!
      .split('\n').map((l) => l.trim().split(/[\s|]/)[0]!).filter(Boolean);
    expect(commands).toEqual(expect.arrayContaining(['add', 'show', 'log', 'assert', 'remote', 'push', 'pull', 'help', 'completion']));
    for (const c of commands) {
      const r = vfiIn(dir, ['help', c]);
      expect(r.code, c).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: vfi ${c}`));
    }
    for (const sub of ['add', 'list', 'remove']) expect(vfiIn(dir, ['help', 'remote', sub]).stdout).toMatch(new RegExp(`^Usage: vfi remote ${sub}`));
  });

  it('an unknown topic is bad usage: one line, exit 2', () => {
    for (const topic of [['nosuch'], ['remote', 'nosuch'], ['log', 'extra']]) {
      const r = vfiIn(dir, ['help', ...topic]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^vfi: no help topic/);
    }
  });

  it('-v and --version print the version, -v being taken by no command', () => {
    const version = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')).version;
    expect(vfiIn(dir, ['-v'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(vfiIn(dir, ['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('the main help says in which order the store is found', () => {
    expect(vfiIn(dir, ['--help']).stdout).toMatch(/--store DIR, else \$VFI_STORE, else \$GIT_DIR, else the\s+nearest git repository/);
  });
});

describe('JSON results and errors', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const file = path.join(dir, 'runtime.json');
  let id: string;
  beforeAll(() => {
    fs.writeFileSync(file, RUNTIME);
    id = ok(store, ['add', 'Runtime', file]).trim().split('@')[1]!;
  });

  it('an error is one JSON line on stderr with VFI_ERROR_FORMAT=json, or --json on the failing command', () => {
    const viaEnv = vfi(store, ['show', 'Nope'], { env: { VFI_ERROR_FORMAT: 'json' } });
    expect(viaEnv.code).toBe(3);
    expect(viaEnv.stdout).toBe('');
    expect(jsonError(viaEnv)).toEqual({ ok: false, code: 'NOT_FOUND', exit: 3, message: expect.stringContaining('Nope'), hint: expect.any(String) });
    const viaFlag = vfi(store, ['set', 'Runtime', 'bad', '--json']);
    expect(viaFlag.code).toBe(2);
    expect(jsonError(viaFlag)).toMatchObject({ ok: false, code: 'USAGE', exit: 2 });
    // commander's own usage errors too
    expect(jsonError(vfi(store, ['log', '--nosuch'], { env: { VFI_ERROR_FORMAT: 'json' } }))).toMatchObject({ ok: false, code: 'USAGE', exit: 2 });
    expect(jsonError(vfi(store, ['add', '--json']))).toMatchObject({ ok: false, code: 'USAGE', exit: 2 });
    // and without either, the one line of text
    expect(vfi(store, ['show', 'Nope']).stderr).toMatch(/^vfi: no lineage named "Nope"/);
  });

  it('add, set, rm and import say what they published', () => {
    const set = JSON.parse(ok(store, ['set', 'Runtime', 'router=polyverse/router:1.0', '--json']));
    expect(set).toEqual({ ok: true, ref: `Runtime@${set.id}`, name: 'Runtime', id: expect.stringMatching(/^[0-9a-f]{40}$/), commit: expect.stringMatching(/^[0-9a-f]{40}$/), published: true });
    expect(JSON.parse(ok(store, ['rm', 'Runtime', 'router', '--json']))).toMatchObject({ ok: true, id, published: true });
    expect(JSON.parse(ok(store, ['add', 'Runtime', file, '--json']))).toMatchObject({ ok: true, id, published: false });
    const imported = JSON.parse(ok(store, ['import', 'Other', '-', '--json'], { input: `${RUNTIME}\n${RUNTIME}\n` }));
    expect(imported).toEqual({
      ok: true, name: 'Other', imported: 1, skipped: 0, unchanged: 1,
      publications: [expect.objectContaining({ ref: `Other@${id}`, published: true, skipped: false }), expect.objectContaining({ published: false, skipped: false })],
    });
    expect(JSON.parse(ok(store, ['show', 'Runtime', '--json']))).toEqual({ ok: true, ref: `Runtime@${id}`, name: 'Runtime', id, vfi: JSON.parse(RUNTIME) });
  });

  it('assert, assert --batch and release give their records, times as at', () => {
    const one = JSON.parse(ok(store, ['assert', 'Runtime', 'tests-passed', '--json']));
    expect(one).toEqual({ ok: true, records: [{ ref: `Runtime@${id}`, record: expect.stringMatching(/^[0-9a-f]{40}$/), claim: 'tests-passed', result: 'pass', by: 'Test Author', at: '2026-11-01T12:00:00.000000Z' }] });
    const batch = JSON.parse(ok(store, ['assert', '--batch', '-', '--json'], { input: `{"vfi":"Runtime","claim":"reviewed","result":"fail","note":"n"}\n` }));
    expect(batch.records).toEqual([expect.objectContaining({ claim: 'reviewed', result: 'fail', note: 'n', at: expect.stringMatching(/Z$/) })]);
    expect(JSON.parse(ok(store, ['release', 'Runtime', '--json'])).records[0]).toMatchObject({ claim: 'released', result: 'pass' });
    expect(JSON.parse(ok(store, ['assertions', 'Runtime', '--json']))).toMatchObject({ ok: true, ref: `Runtime@${id}` });
  });

  it('log and list name their times at, in RFC 3339', () => {
    const log = JSON.parse(ok(store, ['log', 'Runtime', '--json']));
    expect(log[0]).toMatchObject({ id, at: '2026-11-01T12:00:00Z' });
    expect(log[0]).not.toHaveProperty('date');
    const list = JSON.parse(ok(store, ['list', '--json']));
    expect(list[0]).toEqual({ name: 'Other', head: id, ref: `Other@${id}`, publications: 1, at: '2026-11-01T12:00:00Z' });
  });

  it('remote add and remove say what they did', () => {
    const remoteDir = path.join(dir, 'remote.git');
    git(remoteDir, ['init', '--bare', '-q']);
    expect(JSON.parse(ok(store, ['remote', 'add', 'origin', remoteDir, '--json']))).toEqual({ ok: true, remote: 'origin', url: remoteDir, added: true });
    expect(JSON.parse(ok(store, ['push', '--json']))).toMatchObject({ ok: true, url: remoteDir, refs: expect.arrayContaining([expect.objectContaining({ ref: 'refs/vfi/Runtime' })]) });
    expect(JSON.parse(ok(store, ['pull', '--json']))).toMatchObject({ ok: true, url: remoteDir });
    expect(JSON.parse(ok(store, ['remote', 'remove', 'origin', '--json']))).toEqual({ ok: true, remote: 'origin', removed: true });
  });
});

describe('tables and words', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  beforeAll(() => {
    ok(store, ['add', 'Runtime', '-'], { input: RUNTIME });
    ok(store, ['set', 'Runtime', `router=polyverse/router:${'v'.repeat(90)}`]);
  });

  it('list and log have a header row, --no-headers leaves it out, and rows fit 100 columns without cutting ids', () => {
    const log = ok(store, ['log', 'Runtime']).trimEnd().split('\n');
    expect(log[0]).toMatch(/^ID\s+AT\s+AUTHOR\s+MESSAGE$/);
    expect(log).toHaveLength(3);
    for (const line of log) expect(line.length).toBeLessThanOrEqual(100);
    expect(log[1]).toMatch(/^[0-9a-f]{40}  2026-11-01T12:00:00Z  Test Author  set router=polyverse\/r…$/);
    expect(log[1]).toHaveLength(100);
    expect(ok(store, ['log', 'Runtime', '--no-headers']).split('\n')[0]).toMatch(/^[0-9a-f]{40} /);
    expect(ok(store, ['list']).split('\n')[0]).toMatch(/^NAME\s+HEAD\s+PUBLICATIONS\s+AT$/);
    expect(ok(store, ['list', '--no-headers'])).toMatch(/^Runtime\s+[0-9a-f]{40}\s+2\s+2026-11-01T12:00:00Z\n$/);
  });

  it('one record is "1 assertion"', () => {
    const r = vfi(store, ['assert', '--batch', '-'], { input: '{"vfi":"Runtime","claim":"a","result":"pass"}\n' });
    expect(r).toEqual({ code: 0, stdout: '1\n', stderr: 'vfi: recorded 1 assertion\n' });
  });
});

describe('store discovery', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const store = path.join(dir, 'store.git');
  const env = { XDG_DATA_HOME: home };
  let ref: string;
  beforeAll(() => {
    ref = ok(store, ['add', 'Runtime', '-'], { input: RUNTIME }).trim();
    ok(path.join(home, 'vfi', 'store'), ['add', 'Default', '-'], { input: RUNTIME });
  });

  it('uses the bare store it is run in, or under', () => {
    expect(vfiIn(store, ['show', 'Runtime'], { env }).stdout).toBe(ok(store, ['show', 'Runtime']));
    expect(vfiIn(path.join(store, 'refs', 'vfi'), ['list', '--no-headers'], { env }).stdout).toMatch(/^Runtime /);
  });

  it("uses a clone's .git when run in its work tree, or below it", () => {
    const clone = path.join(dir, 'clone');
    expect(spawnSync('git', ['clone', '-q', '--mirror', store, path.join(clone, '.git')]).status).toBe(0);
    fs.mkdirSync(path.join(clone, 'sub', 'dir'), { recursive: true });
    expect(vfiIn(path.join(clone, 'sub', 'dir'), ['pick', '--allow-unpinned', '--min-score', '0'], { env }).stdout).toBe(`${ref}\n`);
  });

  it('a git repository that is no vfi store is passed by, to the default store', () => {
    const plain = path.join(dir, 'plain');
    expect(spawnSync('git', ['init', '-q', plain]).status).toBe(0);
    expect(vfiIn(plain, ['list', '--no-headers'], { env }).stdout).toMatch(/^Default /);
    expect(fs.existsSync(path.join(plain, '.git', 'refs', 'vfi'))).toBe(false);
  });

  it('GIT_DIR comes before the current directory, VFI_STORE before GIT_DIR, --store before all', () => {
    const plain = path.join(dir, 'plain2');
    expect(spawnSync('git', ['init', '-q', '--bare', plain]).status).toBe(0);
    expect(vfiIn(dir, ['list', '--no-headers'], { env: { ...env, GIT_DIR: store } }).stdout).toMatch(/^Runtime /);
    expect(vfiIn(path.join(home, 'vfi', 'store'), ['list', '--no-headers'], { env: { ...env, GIT_DIR: store } }).stdout).toMatch(/^Runtime /);
    expect(vfiIn(dir, ['list', '--no-headers'], { env: { ...env, GIT_DIR: plain, VFI_STORE: store } }).stdout).toMatch(/^Runtime /);
    expect(vfiIn(store, ['--store', path.join(home, 'vfi', 'store'), 'list', '--no-headers'], { env: { ...env, VFI_STORE: store, GIT_DIR: store } }).stdout).toMatch(/^Default /);
    // GIT_DIR is taken as it is, as git takes it: a repository with no lineages is an empty store
    const r = vfiIn(dir, ['show', 'Runtime'], { env: { ...env, GIT_DIR: plain } });
    expect(r.code).toBe(3);
  });

  it('a store that is not there says how it was found', () => {
    const viaGitDir = vfiIn(dir, ['list'], { env: { ...env, GIT_DIR: path.join(dir, 'nothing') } });
    expect(viaGitDir.code).toBe(3);
    expect(viaGitDir.stderr).toMatch(/^vfi: no vfi store at \S+nothing \(\$GIT_DIR\)/);
    const viaDefault = vfiIn(dir, ['list'], { env: { XDG_DATA_HOME: path.join(dir, 'empty-home') } });
    expect(viaDefault.code).toBe(3);
    expect(viaDefault.stderr).toMatch(/\(the default store; there is no vfi store at or above the current directory\)/);
  });
});

describe('completion', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const bin = path.join(dir, 'bin');
  beforeAll(() => {
    ok(store, ['add', 'Runtime', '-'], { input: RUNTIME });
    ok(store, ['add', 'Base', '-'], { input: RUNTIME });
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'vfi'), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`, { mode: 0o755 });
  });

  const withVfi = () => ({ ...process.env, PATH: `${bin}:${process.env.PATH}`, VFI_STORE: '' });

  /** `vfi completion bash` sourced in bash, its function run on `line` with the cursor at the end. */
  function complete(line: string): string[] {
    const words = line.split(' ');
    const script = [
      'source <(vfi completion bash)',
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}`,
      '_vfi',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8', env: withVfi() });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  it('completes every command of the program, subcommands, and options', () => {
    const commands = complete('vfi ');
    expect(commands).toEqual(expect.arrayContaining(['add', 'assert', 'bless', 'completion', 'help', 'list', 'ls', 'pick', 'pull', 'push', 'remote', 'verify']));
    expect(commands).not.toContain('__complete');
    expect(complete('vfi remote ')).toEqual(['add', 'list', 'ls', 'remove', 'rm']);
    // the program's options are taken after a command too, as commander parses them
    expect(complete('vfi log --')).toEqual(['--help', '--json', '--max-count', '--no-headers', '--store', '--version']);
    expect(complete('vfi completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('vfi help rem')).toEqual(['remote']);
  });

  it('completes lineage names from the store, asking vfi itself (and the --store given)', () => {
    expect(complete(`vfi --store ${store} log `)).toEqual(['Base', 'Runtime']);
    expect(complete(`vfi --store ${store} show R`)).toEqual(['Runtime']);
    expect(complete(`vfi set --store ${store} --from B`)).toEqual(['Base']);
    expect(complete(`vfi --store ${path.join(dir, 'none')} log `)).toEqual([]);
  });

  it('vfi __complete prints names only, and nothing when there is no store', () => {
    expect(vfi(store, ['__complete', 'lineages'])).toEqual({ code: 0, stdout: 'Base\nRuntime\n', stderr: '' });
    expect(vfi(path.join(dir, 'none'), ['__complete', 'lineages'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('zsh runs the same completion through bashcompinit', () => {
    // As zsh's _bash_complete calls it: sh emulation, COMP_WORDS from 0. zsh's compgen leaves
    // matching the typed prefix to compadd, so the words come back unfiltered.
    const zsh = (line: string) => {
      const r = spawnSync('zsh', ['-f', '-c', [
        'source <(vfi completion zsh)',
        't() { emulate -L sh; COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _vfi; print -l -- "${COMPREPLY[@]}"; }',
        `t ${line.split(' ').map((w) => `'${w}'`).join(' ')}`,
      ].join('\n')], { encoding: 'utf8', env: withVfi() });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    expect(zsh('vfi remote ')).toEqual(['add', 'list', 'ls', 'remove', 'rm']);
    expect(zsh(`vfi --store ${store} log `)).toEqual(['Base', 'Runtime']);
    expect(zsh('vfi set --type ')).toEqual(['dockerImage', 'git', 'vfi']);
  });

  it('fish completes with its own script', () => {
    const fish = (line: string) => {
      const r = spawnSync('fish', ['--no-config', '-c', `vfi completion fish | source; complete -C '${line}'`], { encoding: 'utf8', env: withVfi() });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!).sort();
    };
    expect(fish('vfi rel')).toEqual(['release', 'releases']);
    expect(fish('vfi remote ')).toEqual(['add', 'list', 'remove']);
    expect(fish(`vfi --store ${store} log `)).toEqual(['Base', 'Runtime']);
    expect(fish(`vfi set --store ${store} --from R`)).toEqual(['Runtime']);
    expect(fish('vfi remote add ')).toEqual([]); // a remote's new name: nothing to offer, not add's file
    expect(fish('vfi log --m')).toEqual(['--max-count']);
  });

  it('an unknown shell is bad usage', () => {
    expect(vfi(store, ['completion', 'tcsh']).code).toBe(2);
  });
});

describe('cold start', () => {
  // show is one code-cached script holding everything it may need (scripts/bundle.mjs): what it
  // costs is what it runs, which V8's coverage of the run tells.
  it('vfi show runs neither the completion code, nor the remotes\' config, nor the table module', () => {
    const dir = tempDir();
    const store = path.join(dir, 'store');
    ok(store, ['add', 'Runtime', '-'], { input: RUNTIME });
    const evaluated = (...args: string[]) => {
      const coverage = path.join(dir, `coverage-${args.length}`);
      const r = spawnSync(process.execPath, [MAIN, '--store', store, 'show', 'Runtime', ...args],
        { env: { ...process.env, NODE_V8_COVERAGE: coverage }, encoding: 'utf8' });
      expect(r.status).toBe(0);
      return evaluatedSources(coverage);
    };
    const plain = evaluated();
    expect(plain).toContain('src/commands/show.ts');
    for (const m of ['src/core/completion.ts', 'src/commands/table.ts', 'src/remote/config.ts']) expect(plain).not.toContain(m);
    expect(evaluated('--json')).toContain('src/commands/table.ts'); // the check sees the table module when it runs
  });
});
