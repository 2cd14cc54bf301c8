/**
 * Real Docker engine, real registries, real images: the integration suites' own infrastructure
 * (SPEC §4). Everything runs on this machine without internet:
 *
 * - `startEngine()`: a private dockerd (own data-root, exec-root, pidfile, unix socket and
 *   containerd, `--iptables=false --bridge=none`) in a temp folder; stopped by PID.
 * - `startRegistry()`: Debian's `docker-registry serve CONFIG` on 127.0.0.1:<free port>,
 *   filesystem storage and deletes enabled, optionally htpasswd (bcrypt) auth; stopped by PID.
 * - fixtures: a rootfs tar written here, `docker import`, `docker push`, `docker login` into a
 *   private DOCKER_CONFIG, and multi-platform indexes with `docker manifest create --insecure`.
 * - `skopeoInspect()`: the digest skopeo reports, to check every digest against.
 *
 * The engine reaches 127.0.0.0/8 registries over plain HTTP without `--insecure-registry`:
 * dockerd lists 127.0.0.0/8 in `RegistryConfig.InsecureRegistryCIDRs` by default (checked with
 * `GET /info` on dockerd 20.10).
 *
 * Integration suites use `integrationEnvironment()`: when the engine cannot start, it says so
 * loudly and the tests skip, except when `CI=true`, where that is a failure.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync, mkdtempSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

// ---------------------------------------------------------------------------------------------
// small process utilities

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/** Run a program, no shell; rejects with its stderr when it exits non-zero. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' },
      (err, stdout, stderr) => {
        const out = stdout.toString('utf8');
        const errText = stderr.toString('utf8');
        if (err) {
          const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
          reject(new CommandError(`${cmd} ${args.join(' ')} failed (${code ?? err.message}): ${errText.trim() || out.trim()}`, out, errText, code));
        } else {
          resolve({ stdout: out, stderr: errText });
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** First of `names` found as an executable on PATH or as an absolute path. */
export function which(...names: string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names) {
    if (name.startsWith('/')) {
      if (existsSync(name)) return name;
      continue;
    }
    for (const dir of dirs) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL and wait again. Never signals anything but `pid`. */
export async function killAndWait(pid: number, graceMs = 15_000): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    const hard = Date.now() + 5_000;
    while (alive(pid) && Date.now() < hard) await sleep(50);
  }
}

/** Is `pid` still the process we started? Its command line names the temp folder we gave it. */
export function ownedBy(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(dir));
  } catch {
    return false; // gone (or no /proc): nothing of ours to signal
  }
}

/**
 * Last resort if a suite dies without its afterAll: the daemons we started (by PID, each checked
 * to still be ours) get SIGTERM and their temp folders are removed, on a normal exit and on
 * SIGTERM/SIGINT, which is how vitest stops its forks (then SIGKILL 500 ms later) and how a
 * Ctrl-C arrives. Waiting for a dockerd to let go of its mounts takes longer than that, so a
 * detached reaper process finishes the job after we are gone. stop() unregisters.
 */
const started = new Map<number, string>();
let hooksInstalled = false;
function remember(pid: number, dir: string): void {
  started.set(pid, dir);
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanUpStarted);
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    process.on(signal, () => {
      cleanUpStarted();
      process.exit(code);
    });
  }
}
function forget(pid: number): void {
  started.delete(pid);
}

function cleanUpStarted(): void {
  if (started.size === 0) return;
  const entries = [...started].filter(([pid, dir]) => ownedBy(pid, dir));
  const dirs = [...new Set(started.values())];
  started.clear();
  for (const [pid] of entries) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  try {
    spawn(process.execPath, ['-e', REAPER, JSON.stringify({ pids: entries, dirs })], { detached: true, stdio: 'ignore' }).unref();
  } catch {
    /* nothing more we can do while exiting */
  }
}

/** Waits for the PIDs to go (SIGKILL after 20 s, only while still ours), stops a left-over containerd, removes the folders. */
const REAPER = `
const fs = require('fs');
const { pids, dirs } = JSON.parse(process.argv[1]);
const owned = (pid, dir) => { try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').some((a) => a.includes(dir)); } catch { return false; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const deadline = Date.now() + 20000;
  while (pids.some(([p, d]) => owned(p, d)) && Date.now() < deadline) await sleep(100);
  for (const [p, d] of pids) if (owned(p, d)) try { process.kill(p, 'SIGKILL'); } catch {}
  for (const d of dirs) {
    try {
      const c = Number(fs.readFileSync(d + '/exec/containerd/containerd.pid', 'utf8').trim());
      if (c > 1 && owned(c, d)) { process.kill(c, 'SIGTERM'); for (let i = 0; i < 100 && owned(c, d); i++) await sleep(100); if (owned(c, d)) process.kill(c, 'SIGKILL'); }
    } catch {}
  }
  await sleep(200);
  for (const d of dirs) try { fs.rmSync(d, { recursive: true, force: true, maxRetries: 5 }); } catch {}
})();
`;

/** Wait for a spawned child to exit, reaping it (so `alive()` turns false). */
function trackExit(child: ChildProcess): { exited: () => boolean; code: () => number | null | undefined } {
  let done = false;
  let code: number | null | undefined;
  child.on('exit', (c) => {
    done = true;
    code = c;
  });
  return { exited: () => done, code: () => code };
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A short temp dir: unix socket paths must stay under ~100 characters. */
function shortTempDir(prefix: string): string {
  const base = tmpdir().length <= 40 ? tmpdir() : '/tmp';
  return mkdtempSync(join(base, prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** GET over a unix socket; resolves with status and body, rejects on connection errors. */
function unixGet(socketPath: string, path: string, timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// the engine

export interface Engine {
  /** the private folder: data, exec, pid, socket, log */
  dir: string;
  socketPath: string;
  /** `unix://…`, for DOCKER_HOST and `docker -H` */
  host: string;
  pid: number;
  logFile: string;
  /** run the docker CLI against this engine; `config` is a DOCKER_CONFIG folder */
  docker(args: string[], opts?: { config?: string; input?: string | Buffer }): Promise<string>;
  stop(): Promise<void>;
}

export class InfrastructureError extends Error {
  override name = 'InfrastructureError';
}

const ENGINE_HINT =
  'The Docker integration tests need, as root: Debian packages docker.io, docker-registry, skopeo and apache2-utils ' +
  '(`apt-get install -y docker.io docker-registry skopeo apache2-utils`); the test setup starts its own private dockerd and registries.';

function requireTools(): { dockerd: string; docker: string } {
  // VFI_TEST_DOCKERD: another dockerd binary (or a failing one, to check the skip/fail behaviour)
  const dockerd = process.env.VFI_TEST_DOCKERD || which('dockerd', '/usr/sbin/dockerd', '/usr/bin/dockerd');
  const docker = which('docker', '/usr/bin/docker');
  // skopeo is the independent witness every digest is checked against
  const skopeo = which('skopeo', '/usr/bin/skopeo');
  const missing = [!dockerd && 'dockerd', !docker && 'docker', !skopeo && 'skopeo'].filter(Boolean);
  if (missing.length) throw new InfrastructureError(`cannot start a Docker engine: ${missing.join(', ')} not found on PATH. ${ENGINE_HINT}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new InfrastructureError(`cannot start a Docker engine: dockerd needs root (uid ${process.getuid()}). ${ENGINE_HINT}`);
  }
  return { dockerd: dockerd!, docker: docker! };
}

async function launchDockerd(dockerd: string, dir: string, extra: string[]): Promise<{ child: ChildProcess; pid: number } | { error: string }> {
  const socketPath = join(dir, 'docker.sock');
  const logFile = join(dir, 'dockerd.log');
  // An empty daemon.json of our own, so a machine-wide /etc/docker/daemon.json (hosts, data-root,
  // registry mirrors…) cannot leak into the private engine.
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const args = [
    '--data-root', join(dir, 'data'),
    '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'pid'),
    '-H', `unix://${socketPath}`,
    '--config-file', join(dir, 'daemon.json'),
    '--iptables=false',
    '--ip-masq=false',
    '--bridge=none',
    ...extra,
  ];
  const fd = openSync(logFile, 'a');
  const child = spawn(dockerd, args, { stdio: ['ignore', fd, fd], detached: false });
  closeSync(fd);
  const state = trackExit(child);
  child.on('error', () => {
    /* reported through the exit state and the log */
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (state.exited()) return { error: `dockerd exited with code ${state.code()} during startup` };
    if (existsSync(socketPath)) {
      try {
        const r = await unixGet(socketPath, '/_ping');
        if (r.status === 200 && r.body === 'OK') return { child, pid: child.pid! };
      } catch {
        /* not yet */
      }
    }
    await sleep(100);
  }
  await killAndWait(child.pid!);
  return { error: 'dockerd did not answer /_ping within 60 s' };
}

/**
 * dockerd stops the containerd it started; if dockerd had to be SIGKILLed, that containerd would
 * be left behind: stop it by its own pidfile, if that PID is still a process started for `dir`
 * (its `--config <dir>/exec/containerd/containerd.toml`), not whatever reused the number.
 */
export async function stopLeftOverContainerd(dir: string): Promise<void> {
  const ctrPidFile = join(dir, 'exec', 'containerd', 'containerd.pid');
  if (!existsSync(ctrPidFile)) return;
  const ctrPid = Number(readFileSync(ctrPidFile, 'utf8').trim());
  if (Number.isInteger(ctrPid) && ctrPid > 1 && ownedBy(ctrPid, dir)) await killAndWait(ctrPid, 10_000);
}

export async function startEngine(): Promise<Engine> {
  const { dockerd, docker } = requireTools();
  const dir = shortTempDir('vfi-e-');
  const socketPath = join(dir, 'docker.sock');
  const logFile = join(dir, 'dockerd.log');
  if (socketPath.length >= 100) throw new InfrastructureError(`socket path too long for a unix socket: ${socketPath}`);

  let launched = await launchDockerd(dockerd, dir, []);
  if ('error' in launched && /overlay|graphdriver|storage-driver/i.test(tail(logFile, 40))) {
    // Nested or exotic file systems may refuse overlayfs; vfs always works (slower, tiny images here).
    launched = await launchDockerd(dockerd, dir, ['--storage-driver=vfs']);
  }
  if ('error' in launched) {
    const log = tail(logFile, 30);
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw new InfrastructureError(`cannot start a private Docker engine: ${launched.error}. ${ENGINE_HINT}\n--- dockerd log (tail) ---\n${log}`);
  }
  const { pid } = launched;
  remember(pid, dir);
  const host = `unix://${socketPath}`;

  const engine: Engine = {
    dir,
    socketPath,
    host,
    pid,
    logFile,
    async docker(args, opts = {}) {
      const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host };
      delete env.DOCKER_CONTEXT;
      delete env.DOCKER_TLS_VERIFY;
      if (opts.config) env.DOCKER_CONFIG = opts.config;
      const r = await run(docker, args, { env, ...(opts.input !== undefined ? { input: opts.input } : {}) });
      return r.stdout;
    },
    async stop() {
      if (ownedBy(pid, dir)) await killAndWait(pid, 20_000);
      forget(pid);
      await stopLeftOverContainerd(dir);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
    },
  };
  return engine;
}

// ---------------------------------------------------------------------------------------------
// registries

export interface Registry {
  /** `127.0.0.1:PORT` */
  host: string;
  dir: string;
  pid: number;
  logFile: string;
  auth?: { user: string; password: string };
  stop(): Promise<void>;
}

export async function startRegistry(opts: { htpasswd?: { user: string; password: string } } = {}): Promise<Registry> {
  const bin = which('docker-registry', '/usr/bin/docker-registry', 'registry');
  if (!bin) throw new InfrastructureError(`cannot start a registry: docker-registry not found. ${ENGINE_HINT}`);
  const dir = shortTempDir('vfi-r-');
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const logFile = join(dir, 'registry.log');

  let authBlock = '';
  if (opts.htpasswd) {
    if (!which('htpasswd')) throw new InfrastructureError(`cannot make an htpasswd registry: htpasswd (apache2-utils) not found. ${ENGINE_HINT}`);
    const { stdout } = await run('htpasswd', ['-Bbn', opts.htpasswd.user, opts.htpasswd.password]);
    writeFileSync(join(dir, 'htpasswd'), stdout.trim() + '\n', { mode: 0o600 });
    authBlock = `auth:\n  htpasswd:\n    realm: vfi-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }

  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config =
      `version: 0.1\n` +
      `log:\n  level: warn\n  accesslog:\n    disabled: true\n` +
      `storage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: ${host}\n` +
      authBlock;
    const configFile = join(dir, 'config.yml');
    writeFileSync(configFile, config);
    const fd = openSync(logFile, 'a');
    const child = spawn(bin, ['serve', configFile], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.on('error', () => {});
    const state = trackExit(child);
    const deadline = Date.now() + 20_000;
    let up = false;
    while (Date.now() < deadline && !state.exited()) {
      try {
        const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 401) {
          up = true;
          break;
        }
      } catch {
        /* not yet */
      }
      await sleep(50);
    }
    if (up) {
      const pid = child.pid!;
      remember(pid, dir);
      return {
        host,
        dir,
        pid,
        logFile,
        ...(opts.htpasswd ? { auth: opts.htpasswd } : {}),
        async stop() {
          if (ownedBy(pid, dir)) await killAndWait(pid, 10_000);
          forget(pid);
          await rm(dir, { recursive: true, force: true }).catch(() => {});
        },
      };
    }
    await killAndWait(child.pid!, 5_000);
    if (!/address already in use/i.test(tail(logFile))) break;
  }
  const log = tail(logFile);
  await rm(dir, { recursive: true, force: true }).catch(() => {});
  throw new InfrastructureError(`cannot start docker-registry: it did not answer /v2/.\n--- registry log (tail) ---\n${log}`);
}

// ---------------------------------------------------------------------------------------------
// images without internet

/** A ustar archive of regular files (mode 0644, mtime 0, owner 0:0): a tiny image rootfs. */
export function makeTar(files: Record<string, string | Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (Buffer.byteLength(name) > 100) throw new Error(`tar name too long: ${name}`);
    const h = Buffer.alloc(512, 0);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100, 8, 'ascii');
    h.write('0000000\0', 108, 8, 'ascii');
    h.write('0000000\0', 116, 8, 'ascii');
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124, 12, 'ascii');
    h.write('00000000000\0', 136, 12, 'ascii');
    h.write('        ', 148, 8, 'ascii');
    h.write('0', 156, 1, 'ascii');
    h.write('ustar\0', 257, 6, 'ascii');
    h.write('00', 263, 2, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}

/** `docker import` a rootfs made of `files` as `ref`; returns the image id. */
export async function importImage(engine: Engine, ref: string, files: Record<string, string | Buffer>): Promise<string> {
  const out = await engine.docker(['import', '-', ref], { input: makeTar(files) });
  return out.trim();
}

/** `docker push ref`; returns the manifest digest the push reported. */
export async function pushImage(engine: Engine, ref: string, opts: { config?: string } = {}): Promise<string> {
  const out = await engine.docker(['push', ref], opts.config ? { config: opts.config } : {});
  const m = /digest: (sha256:[0-9a-f]{64})/.exec(out);
  if (!m) throw new Error(`docker push ${ref}: no digest in output:\n${out}`);
  return m[1]!;
}

/** A fresh DOCKER_CONFIG folder; with `login`, a real `docker login` into it (auths entry). */
export async function dockerConfigDir(engine: Engine, login?: { host: string; user: string; password: string }): Promise<string> {
  // inside the engine's folder, so engine.stop() removes it
  const dir = mkdtempSync(join(engine.dir, 'cfg-'));
  writeFileSync(join(dir, 'config.json'), '{}\n');
  if (login) {
    await engine.docker(['login', '--username', login.user, '--password-stdin', login.host], { config: dir, input: login.password });
  }
  return dir;
}

/**
 * A multi-platform index `ref` over already pushed `children`, made by the docker CLI
 * (`docker manifest create --insecure` + `push --insecure`; the CLI reads each child's platform
 * from its config). Returns the index digest the push reported.
 */
export async function pushIndex(engine: Engine, ref: string, children: string[], opts: { config?: string } = {}): Promise<string> {
  const config = opts.config ?? (await dockerConfigDir(engine));
  await engine.docker(['manifest', 'create', '--insecure', ref, ...children], { config });
  const out = await engine.docker(['manifest', 'push', '--purge', '--insecure', ref], { config });
  const m = /sha256:[0-9a-f]{64}/.exec(out);
  if (!m) throw new Error(`docker manifest push ${ref}: no digest in output:\n${out}`);
  return m[0];
}

// ---------------------------------------------------------------------------------------------
// skopeo, the independent witness

/**
 * The digest skopeo reports for `ref` (a registry reference without scheme). With `raw`, the
 * sha256 of the raw top-level manifest bytes (`skopeo inspect --raw`); without, skopeo's own
 * `{{.Digest}}`. For an index both are the index digest (checked with skopeo 1.9).
 */
export async function skopeoInspect(ref: string, opts: { creds?: { user: string; password: string }; raw?: boolean } = {}): Promise<string> {
  const args = ['inspect', '--tls-verify=false'];
  args.push(...(opts.creds ? ['--creds', `${opts.creds.user}:${opts.creds.password}`] : ['--no-creds']));
  if (opts.raw) {
    const { stdout } = await runRaw('skopeo', [...args, '--raw', `docker://${ref}`]);
    return 'sha256:' + createHash('sha256').update(stdout).digest('hex');
  }
  const { stdout } = await run('skopeo', [...args, '--format', '{{.Digest}}', `docker://${ref}`]);
  return stdout.trim();
}

/** The raw top-level manifest skopeo fetches for `ref` (an index for a multi-platform image). */
export async function skopeoRaw(ref: string, opts: { creds?: { user: string; password: string } } = {}): Promise<Buffer> {
  const args = ['inspect', '--tls-verify=false', ...(opts.creds ? ['--creds', `${opts.creds.user}:${opts.creds.password}`] : ['--no-creds'])];
  return (await runRaw('skopeo', [...args, '--raw', `docker://${ref}`])).stdout;
}

function runRaw(cmd: string, args: string[]): Promise<{ stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new CommandError(`${cmd} ${args.join(' ')}: ${stderr.toString().trim()}`, '', stderr.toString(), null));
      else resolve({ stdout });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// fault injection beside the real engine

/** An "engine" on a unix socket that accepts connections and never answers; `requests` lists what it was asked ("GET /images/json"). */
export async function startHangingEngine(): Promise<{ socketPath: string; requests: string[]; stop(): Promise<void> }> {
  const dir = shortTempDir('vfi-h-');
  const socketPath = join(dir, 'docker.sock');
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let seen = '';
    s.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      let m: RegExpExecArray | null;
      const line = /^(GET|POST|HEAD|PUT|DELETE) (\S+) HTTP\/1\.[01]\r\n/m;
      while ((m = line.exec(seen)) !== null) {
        requests.push(`${m[1]} ${m[2]!.replace(/^\/v[0-9.]+\//, '/')}`);
        seen = seen.slice(m.index + m[0].length);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    requests,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface EngineProxy {
  socketPath: string;
  /** `unix://…`, for DOCKER_HOST */
  host: string;
  /** "GET /distribution/…/json", … in arrival order (API version prefix dropped) */
  requests: string[];
  /** resolves when a request matching `hold` has arrived and is being held */
  held(): Promise<void>;
  /** let held requests (and later ones) through */
  release(): void;
  stop(): Promise<void>;
}

/**
 * A unix-socket proxy in front of the REAL engine, for faults the engine itself will not make:
 * `deny` answers 403 with an HTML body, as a socket proxy (HAProxy-based docker-socket-proxy)
 * refuses an endpoint; `hold` keeps matching requests until release(). Everything else is
 * forwarded as it is, streams included.
 */
export async function startEngineProxy(upstreamSocket: string, opts: { deny?: RegExp; hold?: RegExp } = {}): Promise<EngineProxy> {
  const dir = shortTempDir('vfi-p-');
  const socketPath = join(dir, 'docker.sock');
  const requests: string[] = [];
  let released = !opts.hold;
  const waiting: (() => void)[] = [];
  let onHeld: () => void = () => {};
  const heldOnce = new Promise<void>((r) => (onHeld = r));
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/v[0-9.]+\//, '/');
    const what = `${req.method} ${path}`;
    requests.push(what);
    if (opts.deny?.test(what)) {
      req.resume();
      res.writeHead(403, { 'Content-Type': 'text/html' }).end('<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n');
      return;
    }
    const forward = () => {
      const up = http.request({ socketPath: upstreamSocket, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    };
    if (!released && opts.hold?.test(what)) {
      waiting.push(forward);
      onHeld();
    } else forward();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    host: `unix://${socketPath}`,
    requests,
    held: () => heldOnce,
    release() {
      released = true;
      for (const f of waiting.splice(0)) f();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A "registry" on 127.0.0.1 that accepts connections and never answers. */
export async function startSilentRegistry(): Promise<{ host: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A "registry" on 127.0.0.1 that answers every request with `status` (default 500). */
export async function startBrokenRegistry(status = 500): Promise<{ host: string; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'Content-Type': 'application/json', 'Docker-Distribution-Api-Version': 'registry/2.0' });
    res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected failure' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// skip locally, fail in CI

/** Start everything at once; if one fails, stop the others (by PID) before failing. */
export async function startAll<T extends readonly Promise<{ stop(): Promise<void> }>[]>(all: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(all);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop().catch(() => {}) : undefined)));
    throw failure.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/**
 * Run `setup` for an integration suite. When it fails: with `CI=true` the error is rethrown
 * (the suite fails); otherwise it is printed loudly and `undefined` is returned so the tests
 * can skip.
 */
export async function setupOrSkip<T>(suite: string, setup: () => Promise<T>): Promise<T | undefined> {
  try {
    return await setup();
  } catch (e) {
    if (process.env.CI === 'true') throw e;
    const bar = '!'.repeat(78);
    console.warn(`\n${bar}\n${suite}: SKIPPED, the real Docker engine/registry could not be started here.\n${(e as Error).message}\n(With CI=true this is a failure.)\n${bar}\n`);
    return undefined;
  }
}

/**
 * The servers a suite needs, as a fixture: `start` (startAll of them) and `build` (the images and
 * configs the tests use) run in beforeAll; a failing build stops what was started; afterAll stops
 * them all (by PID). Returns `need(ctx)`: the built fixture for a test, or a skip where the servers
 * could not be started (a failure with CI=true, see setupOrSkip).
 */
export function useServers<S extends readonly { stop(): Promise<void> }[], T>(
  suite: string,
  start: () => Promise<S>,
  build: (...servers: S) => Promise<T>,
): (ctx: { skip(): void }) => T {
  let built: T | undefined;
  let running: readonly { stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    built = await setupOrSkip(suite, async () => {
      const started = await start();
      try {
        const value = await build(...started);
        running = started;
        return value;
      } catch (e) {
        await Promise.all(started.map((s) => s.stop().catch(() => {})));
        throw e;
      }
    });
  });
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
  });
  return (ctx) => {
    if (!built) ctx.skip();
    return built!;
  };
}
