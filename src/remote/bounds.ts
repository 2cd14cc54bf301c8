/**
 * Bounds on what a remote can make a pull (or a push's ref listing) cost, whatever it sends: git
 * itself has no limit on a fetch (`receive.maxInputSize` is for the receiving server only), so vfi
 * watches the git processes it runs. Every few milliseconds it reads, from /proc, the resident
 * memory of the whole tree (git fetch, git-remote-http or ssh, index-pack) and the size of the
 * pack being received (the file under objects/ that the tree holds open); past a limit it kills the
 * tree, removes the partial pack, and the pull fails with one line. A `git ls-remote` is read as it
 * comes and stopped past a number of refs or bytes.
 *
 * The limits (README "What a pull admits") come from the environment:
 *   VFI_MAX_PACK_BYTES   the pack a fetch receives (default 2 GiB)
 *   VFI_MAX_GIT_MEMORY   resident memory of git and its children (default 160 MiB; with vfi's own
 *                        ~60 MiB, a pull stays under 256 MiB)
 *   VFI_MAX_REFS         refs a remote may advertise to `ls-remote` (default 100,000)
 *   VFI_MAX_ADVERTISEMENT_BYTES  bytes of that advertisement (default 32 MiB)
 * On systems without /proc the memory and pack watch is not available and git runs unwatched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { VfiError } from '../errors.js';
import { processAlive } from './cleanup.js';

const MiB = 1024 * 1024;
const PAGE = 4096;
const INTERVAL_MS = 10;

export interface PullBounds {
  packBytes: number;
  gitMemory: number;
  refs: number;
  advertisementBytes: number;
}

function limit(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) {
    throw new VfiError('USAGE', `${name}=${JSON.stringify(raw)} is not a whole number of 1 or more`, { variable: name, value: raw });
  }
  return n;
}

export function pullBounds(env: NodeJS.ProcessEnv): PullBounds {
  return {
    packBytes: limit(env, 'VFI_MAX_PACK_BYTES', 2 * 1024 * MiB),
    gitMemory: limit(env, 'VFI_MAX_GIT_MEMORY', 160 * MiB),
    refs: limit(env, 'VFI_MAX_REFS', 100_000),
    advertisementBytes: limit(env, 'VFI_MAX_ADVERTISEMENT_BYTES', 32 * MiB),
  };
}

/**
 * The `-c` options a bounded fetch runs with: every pack is kept as one file (no loose objects),
 * so its size is what the watch measures; objects above 16 MiB are streamed by index-pack instead
 * of held in memory (no VFI, record, commit or tree vfi admits is that large but a tree of 64 MiB).
 */
export function boundedFetchConfig(): string[] {
  return ['-c', 'fetch.unpackLimit=1', '-c', 'transfer.unpackLimit=1', '-c', 'core.bigFileThreshold=16m'];
}

/** The pids of `pid` and all its descendants (through /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ')) if (c.trim()) visit(Number(c));
    }
  };
  visit(pid);
  return out;
}

/** Resident bytes of one process, 0 when it is gone. */
export function residentBytes(pid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
  } catch {
    return 0;
  }
}

/** Regular files under `dir` that process `pid` holds open. */
function openFilesUnder(pid: number, dir: string): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

const watchable = () => process.platform === 'linux' && fs.existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

export type Exceeded = { what: 'memory'; bytes: number; limit: number; packSeen: boolean } | { what: 'pack'; bytes: number; limit: number };

/**
 * Watch a git process tree that writes into `gitdir`'s object store. `attach` it to the spawned
 * child; `finish` after it has exited returns what was exceeded (the tree was killed then), and
 * removes the partial packs the tree was writing.
 */
export class GitWatch {
  private timer: NodeJS.Timeout | undefined;
  private child: ChildProcess | undefined;
  private exceeded: Exceeded | undefined;
  private readonly partial = new Set<string>();
  private packSeen = false;
  /** the largest resident memory of the tree seen (bytes) */
  peak = 0;

  constructor(
    private readonly gitdir: string,
    private readonly bounds: PullBounds,
  ) {}

  attach = (child: ChildProcess): void => {
    if (!watchable() || child.pid === undefined) return;
    this.child = child;
    const objects = `${fs.realpathSync(path.join(this.gitdir, 'objects'))}/`;
    const tick = () => {
      const pids = processTree(child.pid!);
      let rss = 0;
      let pack = 0;
      for (const p of pids) {
        rss += residentBytes(p);
        for (const f of openFilesUnder(p, objects)) {
          if (!/\/tmp_[^/]*$/.test(f)) continue;
          this.partial.add(f);
          this.packSeen = true;
          try {
            pack += fs.statSync(f).size;
          } catch {
            /* renamed into place meanwhile */
          }
        }
      }
      this.peak = Math.max(this.peak, rss);
      if (pack > this.bounds.packBytes) this.stop({ what: 'pack', bytes: pack, limit: this.bounds.packBytes }, pids);
      else if (rss > this.bounds.gitMemory) this.stop({ what: 'memory', bytes: rss, limit: this.bounds.gitMemory, packSeen: this.packSeen }, pids);
    };
    this.timer = setInterval(tick, INTERVAL_MS);
    child.once('exit', () => clearInterval(this.timer));
    tick();
  };

  private stop(exceeded: Exceeded, pids: number[]): void {
    this.exceeded = exceeded;
    clearInterval(this.timer);
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
  }

  /** After the child has exited: what was exceeded, if anything; its partial packs are removed either way. */
  finish(): Exceeded | undefined {
    clearInterval(this.timer);
    // git renames a whole pack into place; a temp file still there after the tree exited is a cut one.
    for (const f of this.partial) fs.rmSync(f, { force: true });
    return this.exceeded;
  }
}

/** The error for a fetch stopped at a bound. */
export function exceededError(e: Exceeded, where: string, doing = 'fetching from'): VfiError {
  if (e.what === 'pack') {
    return new VfiError('REMOTE', `${where} sent a pack larger than ${shownBytes(e.limit)}: it was stopped, nothing was changed in the store`,
      { url: where, reason: 'too-large', limit: e.limit, variable: 'VFI_MAX_PACK_BYTES' }, 'if the remote is trusted and the data is that large, raise VFI_MAX_PACK_BYTES');
  }
  const why = e.packSeen ? 'while indexing what it sent' : 'before it sent any objects (an endless ref advertisement?)';
  return new VfiError('REMOTE', `git used more than ${shownBytes(e.limit)} of memory ${doing} ${where}, ${why}: it was stopped, nothing was changed in the store`,
    { url: where, reason: 'too-large', limit: e.limit, variable: 'VFI_MAX_GIT_MEMORY' }, 'if the remote is trusted, raise VFI_MAX_GIT_MEMORY');
}

function shownBytes(n: number): string {
  return n % (1024 * MiB) === 0 ? `${n / (1024 * MiB)} GiB` : n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`;
}

/**
 * Partial packs (`objects/pack/tmp_pack_*`, `tmp_idx_*`) that a killed fetch
 * left: removed when no process holds them open (git's own) or their writer is gone (vfi's
 * `tmp_pack_<pid>_<hex>`), so a fetch in flight in another process keeps its file.
 */
export function sweepPartialPacks(gitdir: string): void {
  const dir = path.join(gitdir, 'objects', 'pack');
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith('tmp_'));
  } catch {
    return;
  }
  if (names.length === 0 || !watchable()) return;
  const real = fs.realpathSync(dir);
  const open = openEverywhere(`${real}/`);
  for (const n of names) {
    const ours = /^tmp_(pack|idx)_(\d+)_[0-9a-f]+$/.exec(n);
    if (ours ? processAlive(Number(ours[2])) : open.has(path.join(real, n))) continue;
    fs.rmSync(path.join(dir, n), { force: true });
  }
}

/** Every file under `dir` that some process this user can inspect holds open. */
function openEverywhere(dir: string): Set<string> {
  const out = new Set<string>();
  for (const p of fs.readdirSync('/proc')) if (/^\d+$/.test(p)) for (const f of openFilesUnder(Number(p), dir)) out.add(f);
  return out;
}

/**
 * Run `git ls-remote` and read its output as it comes: past `refs` lines or `bytes` bytes, git is
 * killed and the listing refused. Resolves like runGit.
 */
export function boundedLsRemote(gitdir: string, args: string[], env: NodeJS.ProcessEnv, bounds: PullBounds, where: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitdir, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const watch = new GitWatch(gitdir, bounds);
    watch.attach(child);
    const out: Buffer[] = [];
    let size = 0;
    let lines = 0;
    let over: VfiError | undefined;
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      if (over) return;
      size += d.length;
      for (const b of d) if (b === 10) lines++;
      if (lines > bounds.refs || size > bounds.advertisementBytes) {
        over = new VfiError('REMOTE', `${where} advertises more than ${lines > bounds.refs ? `${bounds.refs} refs` : shownBytes(bounds.advertisementBytes)}: the listing was stopped`,
          { url: where, reason: 'too-large', variable: lines > bounds.refs ? 'VFI_MAX_REFS' : 'VFI_MAX_ADVERTISEMENT_BYTES' }, 'if the remote is trusted, raise VFI_MAX_REFS or VFI_MAX_ADVERTISEMENT_BYTES');
        for (const p of processTree(child.pid!)) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        return;
      }
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 1 << 20) err += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const exceeded = watch.finish();
      if (over) return reject(over);
      if (exceeded) return reject(exceededError(exceeded, where, 'listing the refs of'));
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: err });
    });
  });
}
