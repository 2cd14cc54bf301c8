/**
 * One conversation with a git server over smart HTTP: list the server's refs (isomorphic-git's
 * getRemoteInfo2, which also does the 401 dance with remote/credentials.ts), fetch (one
 * upload-pack request for every ref that differs, remote/uploadPack.ts, unpacked into loose
 * objects by remote/unpack.ts), push (isomorphic-git's push, one ref per call, from a scratch
 * directory: remote/sandbox.ts). isomorphic-git's own fetch is not used: in 1.44 it fetches only
 * branches, tags and one ref named explicitly (no refspecs: isomorphic-git#1481), writes refs
 * itself before the pack has arrived, and fails on a server whose HEAD names an unborn branch,
 * which is what a repository holding only vfi refs looks like. isomorphic-git is loaded only here.
 * Every failure becomes a VfiError with a stable code and a message without credentials.
 */
import { VfiError } from '../errors.js';
import { nameProblem } from '../core/names.js';
import type { Store } from '../store/store.js';
import { RemoteAuth } from './credentials.js';
import { httpTransport, isTransportFault, type Transport } from './http.js';
import { openSandbox, type Sandbox } from './sandbox.js';
import { quietProgress, type TransferProgress } from './progress.js';
import { scrubCredentials } from './url.js';
import { readUploadPackResult, UploadPackError, uploadPackRequest } from './uploadPack.js';
import { PackFormatError, unpackObjects } from './unpack.js';
import { refusalKind, serverMessageLines } from './receivePack.js';
import type { RemoteTarget } from './config.js';

export const ASSERTIONS_REF = 'refs/vfi-assertions/main';
const LINEAGES = 'refs/vfi/';

/** Is this a ref vfi exchanges? (lineages with valid names, and the assertions ref) */
export function isVfiRef(ref: string): boolean {
  return ref === ASSERTIONS_REF || (ref.startsWith(LINEAGES) && nameProblem(ref.slice(LINEAGES.length)) === undefined);
}

export interface SessionOptions {
  env: NodeJS.ProcessEnv;
  /** a person can answer a credential prompt */
  interactive: boolean;
  progress?: TransferProgress;
  /** seconds of silence before a request is abandoned (default 120, or $VFI_REMOTE_TIMEOUT) */
  timeoutSeconds?: number;
}

type Git = typeof import('isomorphic-git');
type Verb = 'list refs of' | 'fetch from' | 'push to';

export class RemoteSession {
  private readonly http: Transport;
  private readonly auth: RemoteAuth;
  private sandboxDir: Sandbox | undefined;
  private readonly cache = {};
  private readonly progress: TransferProgress;
  private uploadCapabilities: Set<string> | undefined;

  private constructor(
    private readonly git: Git,
    private readonly store: Store,
    readonly target: RemoteTarget,
    opts: SessionOptions,
  ) {
    this.progress = opts.progress ?? quietProgress;
    const seconds = opts.timeoutSeconds ?? (Number(opts.env.VFI_REMOTE_TIMEOUT) || 120);
    this.http = httpTransport({ home: target.url, idleTimeoutMs: seconds * 1000, onBytes: (n) => this.progress.bytes(n) });
    this.auth = new RemoteAuth(target, opts.env, opts.interactive);
  }

  static async open(store: Store, target: RemoteTarget, opts: SessionOptions): Promise<RemoteSession> {
    const git = await import('isomorphic-git');
    return new RemoteSession(git, store, target, opts);
  }

  private callbacks() {
    return {
      http: this.http,
      url: this.target.url,
      onAuth: this.auth.onAuth,
      onAuthSuccess: this.auth.onAuthSuccess,
      onAuthFailure: this.auth.onAuthFailure,
      headers: this.auth.headers(),
    };
  }

  /** The server's vfi refs (lineages and the assertions ref) and their object ids, sorted by name. */
  async listRefs(forPush: boolean): Promise<Map<string, string>> {
    const info = await this.guard('list refs of', () =>
      this.git.getRemoteInfo2({ ...this.callbacks(), forPush, protocolVersion: 1 }));
    if (!forPush) this.uploadCapabilities = new Set(Object.keys(info.capabilities));
    const out = new Map<string, string>();
    for (const r of info.refs ?? []) if (isVfiRef(r.ref) && /^[0-9a-f]{40}$/.test(r.oid)) out.set(r.ref, r.oid);
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /**
   * Fetch the history of the `wants` (ref tips the server advertised) into the store's objects,
   * never its refs, in one request. `haves` are commits of the store: the server leaves out what is
   * reachable from those it also has. The pack is checked (remote/uploadPack.ts) before any
   * object of it is written.
   */
  async fetch(wants: readonly string[], haves: readonly string[]): Promise<void> {
    if (wants.length === 0) return;
    const capabilities = this.uploadCapabilities ?? new Set(['side-band-64k', 'ofs-delta']);
    this.progress.label(`fetching ${wants.length} ref(s)`);
    await this.guard('fetch from', async () => {
      const body = uploadPackRequest(wants, haves, capabilities);
      let res = await this.postUploadPack(body);
      if (res.statusCode === 401 && !this.auth.refused) {
        // a server that lets anyone list refs but wants credentials to send objects
        await drain(res.body);
        const cred = await this.auth.onAuth();
        if (cred && !cred.cancel) {
          res = await this.postUploadPack(body, cred);
          if (res.statusCode === 401) await this.auth.onAuthFailure();
          else if (res.statusCode === 200) await this.auth.onAuthSuccess();
        }
      }
      if (res.statusCode !== 200) {
        await drain(res.body);
        throw Object.assign(new Error(`HTTP ${res.statusCode}`), { code: 'HttpError', data: { statusCode: res.statusCode, statusMessage: res.statusMessage } });
      }
      const { pack } = await readUploadPackResult(res.body!, (line) => this.progress.phase({ phase: line, loaded: 0, total: 0 }));
      if (!pack) return;
      this.progress.label('unpacking');
      await unpackObjects(pack, (type, body) => this.store.objects.write(type, body), async (id) => {
        try {
          return await this.store.objects.read(id);
        } catch {
          return undefined;
        }
      });
    });
    for (const oid of wants) {
      if (!(await this.store.objects.has(oid))) {
        throw new VfiError('REMOTE', `${this.target.display} did not send ${oid}`, { url: this.target.display, oid }, 'run the command again');
      }
    }
  }

  private postUploadPack(body: Buffer, cred?: { username?: string; password?: string }) {
    const headers: Record<string, string> = {
      'content-type': 'application/x-git-upload-pack-request',
      accept: 'application/x-git-upload-pack-result',
      ...this.auth.headers(),
    };
    if (cred?.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64')}`;
    const { url, auth } = splitCredentials(this.target.url);
    if (auth && !headers.authorization && !headers.Authorization) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    return this.http.request({ url: `${url}/git-upload-pack`, method: 'POST', headers, body: [body] as never });
  }

  /** Point `serverRef` on the server at `oid`, which must fast-forward it; sends what the server lacks. */
  async push(serverRef: string, oid: string): Promise<void> {
    this.sandbox.setRef(serverRef, oid);
    this.progress.label(`pushing ${serverRef.replace(/^refs\//, '')}`);
    const said: string[] = [];
    await this.guard('push to', () =>
      this.git.push({
        ...this.callbacks(),
        fs: this.sandbox.fs,
        gitdir: this.sandbox.gitdir,
        ref: serverRef,
        remoteRef: serverRef,
        cache: this.cache,
        onProgress: (e) => this.progress.phase(e),
        onMessage: (m) => void said.push(...serverMessageLines(m)),
      }), serverRef, said);
  }

  /** The scratch directory isomorphic-git pushes from, made on first use. */
  private get sandbox(): Sandbox {
    this.sandboxDir ??= openSandbox(this.store.gitdir);
    return this.sandboxDir;
  }

  close(): void {
    this.progress.done();
    this.http.close();
    this.sandboxDir?.dispose();
  }

  private async guard<T>(verb: Verb, run: () => Promise<T>, ref?: string, serverMessages: string[] = []): Promise<T> {
    try {
      const result = await withSynchronousHashing(run);
      const broken = this.http.takeFault();
      if (broken) throw broken;
      return result;
    } catch (e) {
      // A body that broke is the cause of whatever isomorphic-git made of it.
      throw remoteError(this.http.takeFault() ?? e, this.target, this.auth, verb, ref, serverMessages);
    } finally {
      this.progress.done();
    }
  }
}

interface IsoGitError {
  code?: string;
  message?: string;
  data?: { statusCode?: number; statusMessage?: string; reason?: string; result?: { refs?: Record<string, { ok: boolean; error: string }>; error?: string } };
}

/** Turn what isomorphic-git or the HTTP client threw into a VfiError (codes of errors.ts). */
export function remoteError(e: unknown, target: RemoteTarget, auth: { refused: boolean; missing: boolean; offered: boolean }, verb: Verb, ref?: string, serverMessages: readonly string[] = []): unknown {
  if (e instanceof VfiError) return e;
  const where = target.display;
  const data = { url: where, ...(ref ? { ref } : {}) };
  // A push cut after its request went out may have been applied by the server or not; git's
  // compare-and-swap on the server makes sending it again safe either way.
  const again = verb === 'push to' ? 'the remote may or may not have been updated; pushing again is safe' : 'nothing was changed in the store; run the command again';
  if (isTransportFault(e)) {
    const detail = scrubCredentials(e.message);
    if (e.vfiTransport === 'connect') {
      return new VfiError('NETWORK', `cannot reach ${where}: ${e.code ?? detail}`, { ...data, reason: 'unreachable', cause: e.code },
        'check the URL and that the server is up');
    }
    if (e.vfiTransport === 'timeout') return new VfiError('TIMEOUT', `${verb} ${where}: ${detail}`, { ...data, reason: 'timeout' }, again);
    if (e.vfiTransport === 'redirect') {
      return e.redirect === 'credentials'
        ? new VfiError('UNAUTHORIZED', `${verb} ${where}: ${detail}`, { ...data, reason: 'redirected' }, 'use the URL it redirects to, if you trust it')
        : new VfiError('REMOTE', `${verb} ${where}: ${detail}`, { ...data, reason: 'insecure-redirect' }, 'nothing was changed');
    }
    return new VfiError('NETWORK', `${verb} ${where} was interrupted: ${detail}`, { ...data, reason: 'interrupted' }, again);
  }
  if (e instanceof PackFormatError) {
    return new VfiError('REMOTE', `${verb} ${where}: the pack it sent is malformed: ${e.message}`, { ...data, reason: 'protocol' }, 'no ref of the store was changed');
  }
  if (e instanceof UploadPackError) {
    return e.kind === 'truncated'
      ? new VfiError('NETWORK', `${verb} ${where} was interrupted: ${e.message}`, { ...data, reason: 'interrupted' }, again)
      : new VfiError('REMOTE', `${verb} ${where}: ${scrubCredentials(e.message)}`, { ...data, reason: e.kind }, 'nothing was changed in the store');
  }
  const err = (e ?? {}) as IsoGitError;
  switch (err.code) {
    case 'HttpError': {
      const status = err.data?.statusCode ?? 0;
      if (status === 401) {
        return auth.refused || target.hasCredentials
          ? new VfiError('UNAUTHORIZED', `${where} refused the credentials (HTTP 401)`, { ...data, status, reason: 'refused' }, credentialHint)
          : new VfiError('UNAUTHORIZED', `${where} requires authentication (HTTP 401)`, { ...data, status, reason: 'missing' }, credentialHint);
      }
      if (status === 403) {
        const sent = auth.offered || target.hasCredentials;
        return sent
          ? new VfiError('UNAUTHORIZED', `${where} denied access (HTTP 403)`, { ...data, status, reason: 'forbidden', credentialsSent: true },
            'the credentials were sent but may not be allowed to do this (read-only access?)')
          : new VfiError('UNAUTHORIZED', `${where} denied access (HTTP 403) without credentials`, { ...data, status, reason: 'forbidden', credentialsSent: false },
            `no credentials were sent, as the server did not ask for them (401); it may want some: ${credentialHint}`);
      }
      if (status === 404) {
        return new VfiError('REMOTE', `${where} is not a git repository (HTTP 404)`, { ...data, status, reason: 'not-a-repository' },
          'check the URL; the repository must exist on the server (create an empty one first)');
      }
      return new VfiError('REMOTE', `${verb} ${where} failed: HTTP ${status} ${err.data?.statusMessage ?? ''}`.trim(), { ...data, status, reason: 'http' });
    }
    case 'SmartHttpError':
      return new VfiError('REMOTE', `${where} is not a git repository (it did not answer as a git smart-HTTP server)`, { ...data, reason: 'not-a-repository' },
        'check the URL');
    case 'UserCanceledError':
      return auth.missing && !target.hasCredentials
        ? new VfiError('UNAUTHORIZED', `${where} requires authentication (HTTP 401)`, { ...data, status: 401, reason: 'missing' }, credentialHint)
        : new VfiError('UNAUTHORIZED', `${where} refused the credentials (HTTP 401)`, { ...data, status: 401, reason: 'refused' }, credentialHint);
    case 'PushRejectedError':
      return new VfiError('PUSH_REJECTED', `${where} rejected ${ref ?? 'the push'}: the remote has publications the store does not; pull first`,
        { ...data, reason: err.data?.reason ?? 'not-fast-forward' }, 'run `vfi pull`, then `vfi push` again');
    case 'GitPushError':
      return pushRefused(where, ref, err.data?.result ?? {}, serverMessages, data);
    case 'UrlParseError':
    case 'UnknownTransportError':
      return new VfiError('USAGE', `cannot use ${where}: ${scrubCredentials(err.message ?? '')}`, data);
    case 'ParseError':
    case 'InternalError':
    case 'NotFoundError':
    case 'InvalidOidError':
      return new VfiError('REMOTE', `${verb} ${where}: unexpected answer from the server: ${scrubCredentials(err.message ?? '')}`, { ...data, reason: 'protocol' }, again);
    default:
      return e;
  }
}

/** A push the server answered with `ng` for a ref, or with a failed unpack. */
function pushRefused(where: string, ref: string | undefined, result: NonNullable<NonNullable<IsoGitError['data']>['result']>, said: readonly string[], data: Record<string, unknown>): VfiError {
  const failed = Object.entries(result.refs ?? {}).filter(([, v]) => !v.ok);
  const reason = failed.map(([, v]) => v.error).join('; ') || (result.error ? `unpack ${result.error}` : 'refused');
  if (refusalKind(reason, said) === 'moved') {
    return new VfiError('PUSH_REJECTED', `${where} rejected ${ref ?? 'the push'}: it moved meanwhile; pull first`, { ...data, reason: 'not-fast-forward' },
      'run `vfi pull`, then `vfi push` again');
  }
  const words = said.slice(-5).map((l) => l.replace(/[\x00-\x1f\x7f]/g, ' '));
  return new VfiError('REMOTE', scrubCredentials(`${where} refused ${ref ?? 'the push'}: ${reason}${words.length ? ` (the server said: ${words.join('; ')})` : ''}`),
    { ...data, reason: 'refused', serverReason: reason, serverMessages: words }, 'pulling will not help: see what the server said');
}

/**
 * isomorphic-git hashes every object it reads or indexes with WebCrypto's async SHA-1 and deflates
 * every object it packs through a web CompressionStream when the runtime has them: a thread-pool
 * round trip per object, which made pushing 10,000 publications several times slower than the
 * work itself. Its fallbacks (a synchronous SHA-1 and pako) are much faster for small objects. It
 * picks at its first hash and its first deflate, and keeps the choice for the process, so hiding
 * both globals while vfi's own calls run settles it.
 */
async function withSynchronousHashing<T>(run: () => Promise<T>): Promise<T> {
  const g = globalThis as { CompressionStream?: unknown };
  const cryptoProperty = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  const compression = g.CompressionStream;
  if (cryptoProperty?.configurable) Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true, writable: true });
  g.CompressionStream = undefined;
  try {
    return await run();
  } finally {
    if (cryptoProperty?.configurable) Object.defineProperty(globalThis, 'crypto', cryptoProperty);
    g.CompressionStream = compression;
  }
}

/** `http://user:pass@host/x` → the URL without credentials and "user:pass". */
function splitCredentials(raw: string): { url: string; auth: string | undefined } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@(.*)$/i.exec(raw);
  if (!m) return { url: raw, auth: undefined };
  return { url: `${m[1]}${m[3]}`, auth: decodeURIComponent(m[2]!) };
}

async function drain(body: AsyncIterable<Uint8Array> | undefined): Promise<void> {
  if (!body) return;
  try {
    for await (const _ of body) void _;
  } catch {
    /* the status already says what went wrong */
  }
}

const credentialHint = 'set VFI_REMOTE_TOKEN, or VFI_REMOTE_USERNAME and VFI_REMOTE_PASSWORD, or configure a git credential helper';
