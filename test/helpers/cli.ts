/** Run the built CLI against temp stores, with a fixed author and clock so ids are exact. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';

export const MAIN = path.resolve(import.meta.dirname, '../../dist/main.js');

export const FIXED_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  VFI_NOW: '2026-11-01T12:00:00Z',
};

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a run of the CLI may be given: stdin and variables added to the fixed environment. */
export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
}

export function vfi(store: string, args: string[], opts: RunOptions = {}): Result {
  return run(['--store', store, ...args], opts, process.env);
}

/** Variables that choose the store or the error format: vfiIn leaves this process's out. */
const DISCOVERY = ['VFI_STORE', 'GIT_DIR', 'XDG_DATA_HOME', 'VFI_ERROR_FORMAT'];

/** The CLI in `cwd` with no --store added: it finds the store as a user's would, from `opts.env` alone. */
export function vfiIn(cwd: string, args: string[], opts: RunOptions = {}): Result {
  return run(args, opts, Object.fromEntries(Object.entries(process.env).filter(([k]) => !DISCOVERY.includes(k))), cwd);
}

function run(args: string[], opts: RunOptions, base: NodeJS.ProcessEnv, cwd?: string): Result {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, input: opts.input, env: { ...base, ...FIXED_ENV, VFI_DEBUG: '', ...opts.env }, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Start the CLI without waiting for it. */
export function vfiAsync(store: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [MAIN, '--store', store, ...args], { env: { ...process.env, ...FIXED_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Shell scripts run at once, each in its own bash, in which `vfi ARGS` is the CLI on `store` (with
 * the fixed author and clock): writers that race. Their exit codes, once all have closed.
 */
export function shellsAtOnce(store: string, scripts: readonly string[]): Promise<number[]> {
  const vfiFunction = 'vfi() { "$VFI_NODE" "$VFI_MAIN" --store "$STORE" "$@"; }';
  return Promise.all(scripts.map((script) => new Promise<number>((resolve) => {
    const child = spawn('bash', ['-c', `${vfiFunction}\n${script}`], { env: { ...process.env, ...FIXED_ENV, VFI_NODE: process.execPath, VFI_MAIN: MAIN, STORE: store }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve(code ?? -1));
  })));
}

/** A CLI command that keeps running (`vfi creds serve`), started by startCli. */
export interface RunningCli {
  /** what `ready` matched on its stdout */
  ready: RegExpExecArray;
  /** its stderr so far */
  stderr(): string;
  /** SIGTERM to its PID; resolves once it has exited */
  stop(): Promise<void>;
}

/** Start a long-running CLI command and wait for the event that says it serves: its stdout matching `ready`. */
export async function startCli(args: string[], ready: RegExp): Promise<RunningCli> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...FIXED_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`vfi ${args.join(' ')} exited ${code}: ${stderr}`)));
  });
  return {
    ready: match,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The exit code and output of a process started with vfiAsync, once it has closed. */
export function finished(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

export function git(gitdir: string, args: string[], input?: string): Result {
  const r = spawnSync('git', ['--git-dir', gitdir, ...args], { input, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** git with a fixed author, committer and time, its output as bytes; throws when it fails. */
export function gitBytes(gitdir: string, args: string[], input?: string | Buffer): Buffer {
  const r = spawnSync('git', ['--git-dir', gitdir, ...args], {
    input,
    env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@x', GIT_AUTHOR_DATE: '@1800000000 +0000', GIT_COMMITTER_DATE: '@1800000000 +0000' },
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A temp folder removed when the test file finishes. */
export function tempDir(prefix = 'vfi-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Everything in a store that a write could change: object files and refs, with content hashes for refs. */
export function snapshot(gitdir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(gitdir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(rel, e.name);
      if (p.startsWith('vfi-cache')) continue; // derived
      if (e.isDirectory()) walk(p);
      else out.push(p.startsWith('refs') ? `${p}=${fs.readFileSync(path.join(gitdir, p), 'utf8').trim()}` : p);
    }
  };
  walk('');
  return out.sort();
}

/** A 9-component runtime like the one in the post. */
export function runtimeVfi(overrides: Record<string, string> = {}): Record<string, { type: string; address: string }> {
  const images: Record<string, string> = {
    etcd: 'quay.io/coreos/etcd:v3.5.9',
    nsq: 'nsqio/nsq:v0.3.8',
    polyverse: 'polyverse/polyverse:72e5e550d1835013832f64597cb1368b7155bd53',
    status: 'polyverse/status:5c0fd5d38f55b49565253c8d469beb9f3fcf9003',
    supervisor: 'polyverse/supervisor:v1.4.0',
    router: 'polyverse/router:1.0.2',
    containerManager: 'polyverse/container-manager:v2.1.0',
    eventService: 'polyverse/event-service:v0.9.1',
    api: 'polyverse/api:v3.0.0',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(images).map(([k, v]) => [k, { type: 'dockerImage', address: v }]));
}

/** vfi that must succeed (exit 0; the failure names the command and shows stderr): its stdout. */
export function ok(store: string, args: string[], opts: RunOptions = {}): string {
  return expectOk(vfi(store, args, opts), args);
}

function expectOk(r: Result, args: readonly string[]): string {
  expect(r.code, `vfi ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/**
 * vfi and ok with options put before every other argument of some commands, e.g. pick with
 * `--allow-unpinned --min-score 0` for the tests of scoring that predate those defaults.
 */
export function cliWith(defaults: Record<string, readonly string[]>): { vfi: typeof vfi; ok: typeof ok } {
  const withDefaults = (args: string[]) => {
    const extra = args[0] !== undefined && Object.hasOwn(defaults, args[0]) ? defaults[args[0]]! : undefined;
    return extra ? [args[0]!, ...extra, ...args.slice(1)] : args;
  };
  const run = (store: string, args: string[], opts: RunOptions = {}) => vfi(store, withDefaults(args), opts);
  return { vfi: run, ok: (store, args, opts = {}) => expectOk(run(store, args, opts), args) };
}

/** pick as the scoring tests knew it: every VFI may be a candidate. */
export const PICK_ANY = { pick: ['--allow-unpinned', '--min-score', '0'] };

/** Run options with the clock at `time`: an RFC 3339 time, or minutes after 2026-11-01T12:00Z. */
export const at = (time: string | number): { env: { VFI_NOW: string } } =>
  ({ env: { VFI_NOW: typeof time === 'string' ? time : `2026-11-01T12:${String(time).padStart(2, '0')}:00Z` } });

/** The id of the first `NAME@<id>` in a command's output. */
export const idOf = (stdout: string): string => /@([0-9a-f]{40})/.exec(stdout)![1]!;

/** git in a work tree `cwd`, with a fixed author and committer; its trimmed output; throws when it fails. */
export function gitIn(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@x' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** Runtime published in `store`: runtimeVfi(), then once more per router version; the ids, oldest first. */
export function publishRuntimes(store: string, routers: readonly string[]): string[] {
  const ids = [idOf(ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) }))];
  for (const v of routers) ids.push(idOf(ok(store, ['set', 'Runtime', `router=polyverse/router:${v}`])));
  return ids;
}

/**
 * A suite's temp store with Runtime published (publishRuntimes) in beforeAll. `ids` is filled in
 * then, oldest first; later beforeAll hooks of the suite see it filled.
 */
export function useRuntimes(routers: readonly string[]): { dir: string; store: string; ids: string[] } {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const ids: string[] = [];
  beforeAll(() => {
    ids.push(...publishRuntimes(store, routers));
  });
  return { dir, store, ids };
}
