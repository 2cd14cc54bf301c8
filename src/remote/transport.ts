/**
 * One conversation with a git repository in git's protocol v0, stateless-RPC form (gitprotocol-
 * http(5)), spoken directly, over smart HTTP or, for a repository on disk, through git's own
 * upload-pack and receive-pack (remote/localWire.ts): list the server's refs (info/refs,
 * remote/advertisement.ts), fetch every ref that differs in one upload-pack request
 * (remote/uploadPack.ts, kept as a pack or unpacked by remote/unpack.ts), push every ref that
 * fast-forwards in one receive-pack request (remote/receivePack.ts, with a pack of exactly what
 * the server lacks: remote/objectsToSend.ts, remote/packWriter.ts). Credentials are asked for on
 * a 401 only (remote/credentials.ts). isomorphic-git is not used here: in 1.44 its fetch takes no
 * refspecs (isomorphic-git#1481), writes refs before the pack has arrived and fails on a server
 * whose HEAD names an unborn branch (what a repository holding only vfi refs looks like), and its
 * push takes one ref per call and walks the whole history to find what to send.
 * Every failure becomes a VfiError with a stable code and a message without credentials.
 */
import { VfiError } from '../errors.js';
import { nameProblem } from '../core/names.js';
import type { Store } from '../store/store.js';
import { readAdvertisement, type Advertisement } from './advertisement.js';
import { RemoteAuth } from './credentials.js';
import { httpTransport, isTransportFault, type HttpResponse, type Transport } from './http.js';
import { LocalGitError, localWire, type Service, type Wire } from './localWire.js';
import { objectsToSend } from './objectsToSend.js';
import { writePack } from './packWriter.js';
import { ProtocolError } from './pktLine.js';
import { quietProgress, type TransferProgress } from './progress.js';
import { readReceivePackResult, receivePackCommands, type RefUpdate } from './receivePack.js';
import { scrubCredentials } from './url.js';
import { readUploadPackResult, uploadPackRequest } from './uploadPack.js';
import { PackFormatError, storeFetchedPack } from './unpack.js';
import type { RemoteTarget } from './config.js';
import { POLICY_REF, TRUST_REF } from '../store/events.js';

export const ASSERTIONS_REF = 'refs/vfi-assertions/main';
const LINEAGES = 'refs/vfi/';
/** Refs whose trees are content-named records, merged as a union: the assertions, the trust list, the policies. */
export const RECORD_REFS: readonly string[] = [ASSERTIONS_REF, TRUST_REF, POLICY_REF];
export const isRecordRef = (ref: string): boolean => RECORD_REFS.includes(ref);

/** Is this a ref vfi exchanges? (lineages with valid names, and the record refs) */
export function isVfiRef(ref: string): boolean {
  return isRecordRef(ref) || (ref.startsWith(LINEAGES) && nameProblem(ref.slice(LINEAGES.length)) === undefined);
}

export interface SessionOptions {
  env: NodeJS.ProcessEnv;
  /** a person can answer a credential prompt */
  interactive: boolean;
  progress?: TransferProgress;
  /** seconds of silence before a request is abandoned (default 120, or $VFI_REMOTE_TIMEOUT) */
  timeoutSeconds?: number;
}

type Verb = 'list refs of' | 'fetch from' | 'push to';

/** An answer other than 200. */
class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly statusMessage: string,
  ) {
    super(`HTTP ${status} ${statusMessage}`.trim());
  }
}

/** A 200 that is not a git smart-HTTP answer (a web page, a dumb server). */
class NotSmartHttpError extends Error {}

export interface PushResult {
  /** per ref sent: undefined when the server updated it, else its reason for refusing */
  refs: Map<string, string | undefined>;
  /** what the server said on the way (hook output, errors) */
  messages: string[];
}

/** Smart HTTP: GET info/refs and POST to the service, with credentials (remote/credentials.ts). */
class HttpWire implements Wire {
  private readonly http: Transport;
  private readonly base: string;

  constructor(
    target: RemoteTarget,
    readonly auth: RemoteAuth,
    idleTimeoutMs: number,
    onBytes: (n: number) => void,
  ) {
    this.http = httpTransport({ home: target.url, idleTimeoutMs, onBytes });
    this.base = target.display; // the URL without credentials: they go in a header
  }

  async advertise(service: Service): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.send(service, 'GET', `${this.base}/info/refs?service=${service}`);
    if (res.headers['content-type'] !== `application/x-${service}-advertisement`) {
      await drain(res.body);
      throw new NotSmartHttpError(`content type ${res.headers['content-type'] ?? '(none)'}`);
    }
    return res.body;
  }

  async rpc(service: Service, body: Buffer[]): Promise<AsyncIterable<Uint8Array>> {
    return (await this.send(service, 'POST', `${this.base}/${service}`, body)).body;
  }

  /**
   * One request, with the 401 dance: credentials up front when known to work (or in the URL),
   * else asked for after a 401 and the request made once more.
   */
  private async send(service: Service, method: 'GET' | 'POST', url: string, body?: Buffer[]): Promise<HttpResponse> {
    const headers: Record<string, string> = method === 'GET'
      ? { accept: '*/*', pragma: 'no-cache' }
      : { 'content-type': `application/x-${service}-request`, accept: `application/x-${service}-result` };
    const withAuth = (a: string | undefined) => (a ? { ...headers, authorization: a } : headers);
    let res = await this.http.request({ url, method, headers: withAuth(this.auth.header()), body });
    if (res.statusCode === 401) {
      await drain(res.body);
      const retry = await this.auth.afterUnauthorized();
      if (retry) {
        res = await this.http.request({ url, method, headers: withAuth(retry), body });
        if (res.statusCode === 401) await this.auth.failed();
      }
    }
    if (res.statusCode === 200) await this.auth.succeeded();
    else {
      await drain(res.body);
      throw new HttpStatusError(res.statusCode, res.statusMessage);
    }
    return res;
  }

  close(): void {
    this.http.close();
  }
}

export class RemoteSession {
  private readonly wire: Wire;
  private readonly auth: { refused: boolean; missing: boolean; offered: boolean } = { refused: false, missing: false, offered: false };
  private readonly progress: TransferProgress;
  private readonly capabilities = new Map<Service, Set<string>>();

  constructor(
    private readonly store: Store,
    readonly target: RemoteTarget,
    opts: SessionOptions,
  ) {
    this.progress = opts.progress ?? quietProgress;
    const onBytes = (n: number) => this.progress.bytes(n);
    if (target.protocol === 'file') {
      this.wire = localWire(target.path, opts.env, onBytes);
    } else {
      const seconds = opts.timeoutSeconds ?? (Number(opts.env.VFI_REMOTE_TIMEOUT) || 120);
      const wire = new HttpWire(target, new RemoteAuth(target, opts.env, opts.interactive), seconds * 1000, onBytes);
      this.auth = wire.auth;
      this.wire = wire;
    }
  }

  /** The server's vfi refs (lineages and the assertions ref) and their object ids, sorted by name. */
  async listRefs(forPush: boolean): Promise<Map<string, string>> {
    const service: Service = forPush ? 'git-receive-pack' : 'git-upload-pack';
    const ad: Advertisement = await this.guard('list refs of', async () => readAdvertisement(await this.wire.advertise(service), service));
    this.capabilities.set(service, ad.capabilities);
    const out = new Map<string, string>();
    for (const [ref, oid] of ad.refs) if (isVfiRef(ref)) out.set(ref, oid);
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
    const capabilities = this.capabilities.get('git-upload-pack') ?? new Set(['side-band-64k', 'ofs-delta']);
    this.progress.label(`fetching ${wants.length} ref(s)`);
    await this.guard('fetch from', async () => {
      const answer = await this.wire.rpc('git-upload-pack', [uploadPackRequest(wants, haves, capabilities)]);
      const { pack } = await readUploadPackResult(answer, (line) => this.progress.phase({ phase: line, loaded: 0, total: 0 }));
      if (!pack) return;
      await storeFetchedPack(this.store.objects, pack, (label) => this.progress.label(label));
    });
    for (const oid of wants) {
      if (!(await this.store.objects.has(oid))) {
        throw new VfiError('REMOTE', `${this.target.display} did not send ${oid}`, { url: this.target.display, oid }, 'run the command again');
      }
    }
  }

  /**
   * Update `updates` on the server in one request, sending the objects reachable from their new
   * heads and not from `known` (heads the server advertised that the store has). Each ref is
   * updated or refused by the server on its own; the result says which.
   */
  async push(updates: readonly RefUpdate[], known: readonly string[]): Promise<PushResult> {
    const capabilities = this.capabilities.get('git-receive-pack') ?? new Set(['report-status', 'side-band-64k']);
    this.progress.label(`pushing ${updates.length} ref(s)`);
    const outgoing = await objectsToSend(this.store.objects, updates.map((u) => u.new), known);
    const pack = await writePack(outgoing.length, async (i) => {
      if (i % 256 === 0) this.progress.phase({ phase: 'packing objects', loaded: i, total: outgoing.length });
      const o = outgoing[i]!;
      if (o.type && o.body) return { type: o.type, body: o.body };
      return this.store.objects.read(o.id);
    });
    this.progress.label(`pushing ${updates.length} ref(s), ${outgoing.length} object(s)`);
    return this.guard('push to', async () => {
      const body = [receivePackCommands(updates, capabilities), ...pack.chunks];
      const answer = await this.wire.rpc('git-receive-pack', body);
      const result = await readReceivePackResult(answer, capabilities.has('side-band-64k'), (line) => this.progress.phase({ phase: line, loaded: 0, total: 0 }));
      const refs = new Map<string, string | undefined>();
      for (const u of updates) {
        const reported = result.refs.has(u.ref) ? result.refs.get(u.ref) : 'the server reported nothing for it';
        refs.set(u.ref, reported ?? (result.unpack === 'ok' ? undefined : `unpack ${result.unpack}`));
      }
      return { refs, messages: result.messages };
    });
  }

  close(): void {
    this.progress.done();
    this.wire.close();
  }

  private async guard<T>(verb: Verb, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw remoteError(e, this.target, this.auth, verb);
    } finally {
      this.progress.done();
    }
  }
}

/** Turn what the conversation threw into a VfiError (codes of errors.ts). */
export function remoteError(e: unknown, target: RemoteTarget, auth: { refused: boolean; missing: boolean; offered: boolean }, verb: Verb): unknown {
  if (e instanceof VfiError) return e;
  const where = target.display;
  const data = { url: where };
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
  if (e instanceof ProtocolError) {
    if (e.kind === 'truncated') return new VfiError('NETWORK', `${verb} ${where} was interrupted: ${e.message}`, { ...data, reason: 'interrupted' }, again);
    if (e.kind === 'server') return new VfiError('REMOTE', `${verb} ${where}: ${scrubCredentials(e.message)}`, { ...data, reason: 'server' }, again);
    return new VfiError('REMOTE', `${verb} ${where}: unexpected answer from the server: ${scrubCredentials(e.message)}`, { ...data, reason: 'protocol' }, again);
  }
  if (e instanceof LocalGitError) {
    if (e.kind === 'not-a-repository') {
      return new VfiError('REMOTE', `${where} is not a git repository`, { ...data, reason: 'not-a-repository' },
        'check the path; the repository must exist (make an empty one with git init --bare)');
    }
    return new VfiError('REMOTE', `${verb} ${where} failed: ${e.message}`, { ...data, reason: e.kind === 'no-git' ? 'no-git' : 'git' }, e.kind === 'no-git' ? undefined : again);
  }
  if (e instanceof NotSmartHttpError) {
    return new VfiError('REMOTE', `${where} is not a git repository (it did not answer as a git smart-HTTP server: ${e.message})`, { ...data, reason: 'not-a-repository' },
      'check the URL');
  }
  if (e instanceof HttpStatusError) {
    const status = e.status;
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
    return new VfiError('REMOTE', `${verb} ${where} failed: ${scrubCredentials(e.message)}`, { ...data, status, reason: 'http' }, verb === 'push to' ? again : undefined);
  }
  return e;
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
