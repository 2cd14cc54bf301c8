/**
 * Objects read through one long-lived `git cat-file --batch-command --buffer`, many requests in flight: git
 * inflates and resolves deltas in C (on the other core), node only parses what it needs. For
 * reading many objects at once (a pull's admission), where ObjectStore.read's native reader costs
 * more than the checks themselves. No id is hashed again: what a fetch brought was checked by
 * git's index-pack, and every other object was already in the store.
 *
 * Bounded: the size in an answer's header is read before its body, and an object over the
 * caller's bound is refused without being buffered (the process is replaced, the requests behind
 * it asked again); at most WINDOW requests are in flight.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { VfiError } from '../errors.js';
import type { ObjectType } from '../core/gitObject.js';
import { tooLarge, type GitObject } from './objects.js';
import { repositoryFreeEnv } from './env.js';

const WINDOW = 256;
/** "<40 hex> <type> <size>\n", or "<what was asked> missing\n": longer is not cat-file speaking */
const MAX_HEADER = 256;

interface Request {
  id: string;
  maxBytes: number | undefined;
  resolve: (o: GitObject) => void;
  reject: (e: Error) => void;
}

/**
 * `--batch-command` (git 2.36) answers a window in one write; an older git refuses the option
 * (exit 129, usage) and is then asked object by object with `--batch`, for the rest of the process.
 */
let batchCommand = true;

export class BatchReader {
  private child: ChildProcessWithoutNullStreams | undefined;
  /** sent to the current process, answered in this order */
  private sent: Request[] = [];
  /** waiting for a place in the window */
  private waiting: Request[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** the answer being read: its request, type and body so far */
  private body: { req: Request; type: ObjectType; buf: Buffer; at: number } | undefined;
  private out: string[] = [];
  private flushing = false;
  private closed = false;

  constructor(private readonly gitdir: string, private readonly env: NodeJS.ProcessEnv) {}

  read(id: string, opts: { maxBytes?: number } = {}): Promise<GitObject> {
    if (this.closed) return Promise.reject(new Error('BatchReader is closed'));
    if (!/^[0-9a-f]{40}$/.test(id)) return Promise.reject(new VfiError('NOT_FOUND', `object ${id} is not in the store`, { id }));
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, maxBytes: opts.maxBytes, resolve, reject });
      // with half a window still before git, this one goes with the next refill
      if (this.sent.length <= WINDOW / 2) this.pump();
    });
  }

  close(): void {
    this.closed = true;
    this.stop(new Error('BatchReader is closed'));
  }

  private start(): ChildProcessWithoutNullStreams {
    const modern = batchCommand;
    const child = spawn('git', ['--no-replace-objects', '--git-dir', this.gitdir, 'cat-file', ...(modern ? ['--batch-command', '--buffer'] : ['--batch'])], { env: repositoryFreeEnv(this.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => this.child === child && this.received(d));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    child.stdin.on('error', () => {}); // its exit says why
    child.on('error', (e) => this.child === child && this.failed(e));
    child.on('close', (code) => {
      if (this.child !== child) return;
      if (modern && code === 129 && /batch-command/.test(stderr)) {
        batchCommand = false;
        this.restart();
        return;
      }
      const said = stderr.split('\n').filter(Boolean).at(-1)?.replace(/^(fatal|error): /, '') ?? 'git cat-file stopped';
      const req = this.body?.req ?? this.sent[0];
      this.failed(new VfiError('STORE_DAMAGED', `object ${req?.id ?? ''} cannot be read: ${said}`, { id: req?.id }, 'run `vfi fsck` (or `git fsck`)'));
    });
    return child;
  }

  /**
   * Send what fits in the window: one write per turn of the event loop, for every request made in
   * it, ending in `flush`, so git answers them in one write instead of one per object.
   */
  private pump(): void {
    let n = 0;
    while (this.sent.length < WINDOW && n < this.waiting.length) {
      const req = this.waiting[n++]!;
      this.sent.push(req);
      this.out.push(batchCommand ? `contents ${req.id}\n` : `${req.id}\n`);
    }
    if (n > 0) this.waiting = this.waiting.slice(n);
    if (this.out.length === 0 || this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      if (this.out.length === 0) return;
      this.child ??= this.start();
      this.child.stdin.write(batchCommand ? `${this.out.join('')}flush\n` : this.out.join(''));
      this.out = [];
    });
  }

  private received(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    this.parse();
    // refilled by halves: one write for many requests, and git never waits for the next
    if (this.sent.length <= WINDOW / 2) this.pump();
  }

  private parse(): void {
    for (;;) {
      if (this.body) {
        const b = this.body;
        // copy what arrived of the body; the answer ends with one newline after it
        while (this.chunks.length > 0 && b.at < b.buf.length) {
          const c = this.chunks[0]!;
          const n = Math.min(c.length, b.buf.length - b.at);
          c.copy(b.buf, b.at, 0, n);
          b.at += n;
          this.take(n);
        }
        if (b.at < b.buf.length || this.buffered < 1) return;
        this.take(1);
        this.body = undefined;
        this.sent.shift();
        b.req.resolve({ type: b.type, body: b.buf });
        continue;
      }
      const req = this.sent[0];
      if (!req) return;
      const line = this.headerLine();
      if (line === undefined) return;
      const parts = line.split(' ');
      if (parts[1] === 'missing' || parts[1] === 'ambiguous') {
        this.sent.shift();
        req.reject(new VfiError('NOT_FOUND', `object ${req.id} is not in the store`, { id: req.id }));
        continue;
      }
      const size = Number(parts[2]);
      if (parts.length !== 3 || parts[0] !== req.id || !Number.isSafeInteger(size)) {
        this.failed(new Error(`git cat-file answered ${JSON.stringify(line.slice(0, 80))} for ${req.id}`));
        return;
      }
      if (req.maxBytes !== undefined && size > req.maxBytes) {
        // Not read: the process goes, and a new one is asked what was behind it.
        this.sent.shift();
        req.reject(tooLarge(req.id, req.maxBytes));
        this.restart();
        return;
      }
      const first = this.chunks[0];
      if (first && first.length > size) {
        // the whole answer arrived in one piece: its body is a view of it, not a copy
        this.sent.shift();
        const body = first.subarray(0, size);
        this.take(size + 1);
        req.resolve({ type: parts[1] as ObjectType, body });
        continue;
      }
      this.body = { req, type: parts[1] as ObjectType, buf: Buffer.allocUnsafe(size), at: 0 };
    }
  }

  /** The next header line, or undefined until it has arrived whole. */
  private headerLine(): string | undefined {
    let at = 0;
    for (const [i, c] of this.chunks.entries()) {
      const nl = c.indexOf(10);
      if (nl >= 0) {
        const line = (i === 0 ? c : Buffer.concat(this.chunks.slice(0, i + 1))).toString('latin1', 0, at + nl);
        this.take(at + nl + 1);
        return line;
      }
      at += c.length;
      if (at > MAX_HEADER) break;
    }
    if (this.buffered > MAX_HEADER) this.failed(new Error('git cat-file sent no header line'));
    return undefined;
  }

  /** Drop `n` bytes from the front of what was received. */
  private take(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }

  private restart(): void {
    const again = this.sent;
    this.stop(undefined);
    this.waiting = [...again, ...this.waiting];
    this.pump();
  }

  /** The process failed: the request it was answering fails with `e`, the others are asked again of a new one. */
  private failed(e: Error): void {
    const [first, ...rest] = this.body ? [this.body.req, ...this.sent.slice(1)] : this.sent;
    this.stop(undefined);
    first?.reject(e);
    this.waiting = [...rest, ...this.waiting];
    if (!this.closed) this.pump();
  }

  private stop(e: Error | undefined): void {
    const child = this.child;
    this.child = undefined;
    if (child) {
      child.stdin.destroy();
      child.stdout.destroy();
      child.kill();
    }
    const pending = [...this.sent, ...(e ? this.waiting : [])];
    this.sent = [];
    if (e) this.waiting = [];
    this.chunks = [];
    this.buffered = 0;
    this.body = undefined;
    this.out = [];
    if (e) for (const r of pending) r.reject(e);
  }
}
