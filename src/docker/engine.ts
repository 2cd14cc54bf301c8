/**
 * The Docker engine, as far as pinning needs it (SPEC §4), behind the smallest interface:
 * `ImageEngine`. `dockerodeEngine()` implements it with dockerode's modem against a real engine;
 * tests may implement it with fakes beside the real one.
 *
 * Measured against dockerd 20.10.24 (API 1.41) with docker-registry 2.8 (see
 * test/integration/docker.test.ts), what the engine answers and how it maps:
 *
 * | situation                                      | engine answer                                                     | VfiError code   |
 * |------------------------------------------------|-------------------------------------------------------------------|-----------------|
 * | socket missing / nobody listening               | connect ENOENT / ECONNREFUSED                                     | ENGINE          |
 * | engine accepts but never answers                | (nothing)                                                         | TIMEOUT (abort) |
 * | unknown tag or repository (registry allows it)  | 404 "manifest unknown: manifest unknown"                          | IMAGE_NOT_FOUND |
 * | htpasswd registry, no credentials sent          | 500 "Head \"http://…/manifests/v1\": no basic auth credentials"   | UNAUTHORIZED    |
 * | htpasswd registry, wrong credentials            | 401 "unauthorized: authentication required"                      | UNAUTHORIZED    |
 * | htpasswd registry, right credentials, no tag    | 404 "manifest unknown: manifest unknown"                          | IMAGE_NOT_FOUND |
 * | registry stopped                                | 500 "Get \"http://…/v2/\": dial tcp …: connect: connection refused" | REGISTRY      |
 * | registry answering 500                          | 500 "received unexpected HTTP status: 500 Internal Server Error"  | REGISTRY        |
 * | pull, wrong credentials                         | 500 "unauthorized: authentication required" (not 401)             | UNAUTHORIZED    |
 * | pull, unknown tag                               | 404 "manifest for … not found: manifest unknown: …"               | IMAGE_NOT_FOUND |
 * | route the engine does not have (old API)        | 404 {"message":"page not found"}                                   | ENGINE, pullMayHelp |
 * | a socket proxy refusing the endpoint            | 403 with an HTML or text body, not the engine's JSON               | ENGINE, pullMayHelp |
 *
 * A garbage X-Registry-Auth header is ignored by the engine (treated as no credentials).
 * Token registries (Docker Hub) answer "denied: requested access to the resource is denied"
 * both for a private repository without access and for one that does not exist; on the pull path
 * dockerd wraps it as 404 "pull access denied for …, repository does not exist or may require
 * 'docker login': denied: …" (moby distribution/errors.go, notFoundError). Either way that is
 * UNAUTHORIZED with `data.maybeNotFound: true`, and the message says both are possible.
 *
 * `data.pullMayHelp` marks a distribution inspect the engine could not make at all (the
 * endpoint is missing or refused before any registry was asked): a pull may still work there.
 *
 * dockerode's `getImage().distribution()` ignores abortSignal and `followProgress` reports
 * success when a pull fails midway, so both endpoints are dialled here through `modem.dial`
 * with an AbortSignal, and pull streams are read line by line for `error`/`errorDetail`.
 */
import type Docker from 'dockerode';
import { lookup } from 'node:dns/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import { addAbortSignal } from 'node:stream';
import { VfiError } from '../errors.js';
import { loadDockerode } from './dockerode.js';
import { chooseEngine } from './context.js';
import { parseImageReference } from '../core/imageRef.js';
import { encodeRegistryAuth, type RegistryAuth } from './credentials.js';
import { fetchManifest, hostOf, isInsecureRegistry, type EngineRegistryConfig, type FetchedManifest } from './registry.js';

export type { RegistryAuth } from './credentials.js';

export type { Platform } from '../core/platform.js';
import type { Platform } from '../core/platform.js';

export interface DistributionInfo {
  /** the registry's manifest digest; for a multi-platform image, the index digest */
  digest: string;
  mediaType: string;
  size?: number;
  platforms: Platform[];
}

export interface PullEvent {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
}

/** What the engine records about a local image: its tags, and the manifest digests it pulled or pushed. */
export interface LocalImage {
  repoTags: string[];
  repoDigests: string[];
}

export interface PullResult {
  /** the digest the engine reported pulling ("Digest: sha256:…"), if it said */
  digest?: string;
}

export interface ImageEngine {
  /** where the engine is, for messages: "unix:///var/run/docker.sock" */
  readonly description: string;
  /** RepoTags and RepoDigests of a local image (GET /images/{name}/json), or undefined if not present locally */
  localImage(ref: string, signal: AbortSignal): Promise<LocalImage | undefined>;
  /** GET /distribution/{name}/json: the registry's manifest (or index) digest and platforms, no pull */
  distributionInspect(ref: string, auth: RegistryAuth | undefined, signal: AbortSignal): Promise<DistributionInfo>;
  /** POST /images/create; rejects on any error event in the stream; `onProgress` gets every progress event */
  pull(ref: string, auth: RegistryAuth | undefined, signal: AbortSignal, onProgress?: (e: PullEvent) => void, platform?: Platform): Promise<PullResult | void>;
  /**
   * Optional: every local image's RepoTags and RepoDigests in one call (GET /images/json), so
   * resolving many components asks the engine once instead of once per component.
   */
  localImages?(signal: AbortSignal): Promise<LocalImage[]>;
  /**
   * Optional: the raw manifest (index) bytes of `name@digest` from its registry, for picking a
   * platform's child manifest, which the engine API does not expose.
   */
  fetchManifest?(ref: string, auth: RegistryAuth | undefined, signal: AbortSignal): Promise<FetchedManifest>;
}

// ---------------------------------------------------------------------------------------------
// errors

interface ModemError extends Error {
  statusCode?: number;
  json?: unknown;
  code?: string;
  address?: string;
}

export interface ErrorContext {
  /** the reference the engine was asked about */
  ref: string;
  /** what was asked: "distribution inspect", "pull", "image inspect" */
  op: string;
  engine: string;
  auth: RegistryAuth | undefined;
  signal: AbortSignal;
}

function engineMessage(err: ModemError): string {
  const j = err.json as { message?: unknown } | string | Buffer | undefined;
  if (j && typeof j === 'object' && !Buffer.isBuffer(j) && typeof j.message === 'string') return j.message;
  if (typeof j === 'string') return j;
  if (Buffer.isBuffer(j)) return j.toString('utf8');
  // streamed requests (pull): docker-modem folds the engine's message into err.message
  return err.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/**
 * dockerd answers errors as JSON `{"message": …}` (streamed ones arrive folded into err.message);
 * raw bytes, a bare JSON string or HTML come from something else on the socket: a proxy.
 */
function answeredByEngine(err: ModemError, msg: string): boolean {
  const j = err.json;
  if (j && typeof j === 'object' && !Buffer.isBuffer(j)) return true;
  if (j === null || j === undefined) return !/^\s*</.test(msg);
  return false;
}

function registryOf(ref: string): string {
  try {
    return parseImageReference(ref).domain;
  } catch {
    return ref.split('/')[0] ?? ref;
  }
}

const CONNECT_ERRORS = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTSOCK', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTDIR']);

/** Map anything the engine (or the way to it) answered to a VfiError; see the table above. */
export function mapEngineError(e: unknown, ctx: ErrorContext): VfiError {
  if (e instanceof VfiError) return e;
  const err = (e ?? {}) as ModemError;
  const registry = registryOf(ctx.ref);
  const base = { reference: ctx.ref, engine: ctx.engine, operation: ctx.op };

  if (ctx.signal.aborted || err.name === 'AbortError' || err.code === 'ABORT_ERR') {
    const reason = ctx.signal.reason as { name?: string } | undefined;
    const timedOut = !reason || reason.name === 'TimeoutError';
    const who = ctx.op === 'image inspect' || ctx.op === 'image list' ? `the Docker engine at ${ctx.engine}` : `the Docker engine at ${ctx.engine} (or registry ${registry} behind it)`;
    return new VfiError('TIMEOUT', timedOut ? `${ctx.op} of ${ctx.ref}: timed out waiting for ${who}` : `${ctx.op} of ${ctx.ref} was cancelled`, base);
  }

  if (err.statusCode === undefined) {
    if (err.code && CONNECT_ERRORS.has(err.code)) {
      // ctx.engine is the whole address (tcp://host:port, unix:///path); err.address drops the port
      const why =
        err.code === 'ENOENT' ? 'no socket there; is dockerd running?'
        : err.code === 'ECONNREFUSED' ? 'connection refused; is dockerd running?'
        : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied; is this user in the docker group?'
        : err.code;
      return new VfiError('ENGINE', `cannot reach the Docker engine at ${ctx.engine} (${why})`, { ...base, errno: err.code }, 'set DOCKER_HOST=unix:///path/to/docker.sock to use another engine');
    }
    return new VfiError('ENGINE', `${ctx.op} of ${ctx.ref}: the Docker engine at ${ctx.engine} failed: ${err.message}`, base);
  }

  const status = err.statusCode;
  const msg = engineMessage(err).trim();
  const data = { ...base, registry, status, engineMessage: msg };
  // the engine could not make a distribution inspect at all: a pull is another way to the digest
  const unable = ctx.op === 'distribution inspect' ? { pullMayHelp: true } : {};

  if (!answeredByEngine(err, msg)) {
    const said = msg.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
    return new VfiError(
      'ENGINE',
      `${ctx.op} of ${ctx.ref}: something in front of the Docker engine at ${ctx.engine} (a socket proxy?) refused it with HTTP ${status}${said ? ` (${said})` : ''}`,
      { ...data, ...unable },
    );
  }
  if (/authorization denied by plugin/i.test(msg)) {
    return new VfiError('ENGINE', `the Docker engine at ${ctx.engine} refused ${ctx.op} of ${ctx.ref} (${msg})`, { ...data, ...unable });
  }
  if ((status === 404 && /^page not found$/i.test(msg)) || status === 405 || status === 501) {
    return new VfiError('ENGINE', `the Docker engine at ${ctx.engine} cannot do ${ctx.op} (HTTP ${status}: ${msg || 'no such endpoint'}; API older than 1.30?)`, { ...data, ...unable });
  }
  if (/no basic auth credentials/i.test(msg)) {
    return new VfiError('UNAUTHORIZED', `no credentials for ${registry}: it requires them for ${ctx.ref} and the docker config has none`, data, `docker login ${registry}`);
  }
  if (/dial tcp|connection refused|no such host|i\/o timeout|network is unreachable|no route to host|tls: |x509:|server gave HTTP response to HTTPS client|connection reset|EOF$/i.test(msg)) {
    return new VfiError('REGISTRY', `registry ${registry} unreachable (${msg})`, data);
  }
  // Before "not found": dockerd answers 404 "pull access denied …, repository does not exist or may
  // require 'docker login': denied: …" for the registry's ambiguous DENIED.
  if (/pull access denied|requested access to the resource is denied|(^|: )denied: /i.test(msg)) {
    const how = ctx.auth ? 'with the credentials from the docker config' : 'without credentials';
    const why = ctx.auth ? 'the repository does not exist, or those credentials do not give access to it' : 'the repository is private or does not exist';
    return new VfiError('UNAUTHORIZED', `registry ${registry} denied access to ${ctx.ref} ${how}; ${why} (${msg})`, { ...data, maybeNotFound: true }, `docker login ${registry}`);
  }
  if (status === 404 || /manifest unknown|name unknown|not found/i.test(msg)) {
    if (status === 404 && /no such image/i.test(msg)) {
      return new VfiError('IMAGE_NOT_FOUND', `${ctx.ref} is not present in the Docker engine`, data);
    }
    return new VfiError('IMAGE_NOT_FOUND', `${ctx.ref} not found in registry ${registry}`, data);
  }
  if (status === 401 || status === 403 || /unauthorized|authentication required|incorrect username or password/i.test(msg)) {
    if (ctx.auth) {
      return new VfiError('UNAUTHORIZED', `registry ${registry} refused the credentials from the docker config for ${ctx.ref} (${msg})`, data, `docker login ${registry}`);
    }
    // anonymous clients cannot tell a private repository from a missing one
    return new VfiError(
      'UNAUTHORIZED',
      `registry ${registry} denied access to ${ctx.ref} without credentials; the repository is private or does not exist (${msg})`,
      { ...data, maybeNotFound: true },
      `docker login ${registry}`,
    );
  }
  if (/toomanyrequests|rate limit/i.test(msg)) {
    return new VfiError('REGISTRY', `registry ${registry} rate-limited ${ctx.op} of ${ctx.ref} (${msg})`, data);
  }
  if (status >= 500) {
    return new VfiError('REGISTRY', `${ctx.op} of ${ctx.ref} failed at registry ${registry} (${msg})`, data);
  }
  return new VfiError('ENGINE', `${ctx.op} of ${ctx.ref}: the Docker engine answered ${status} (${msg})`, data);
}

// ---------------------------------------------------------------------------------------------
// dockerode implementation

interface DistributionJson {
  Descriptor?: { mediaType?: string; digest?: string; size?: number };
  Platforms?: { os?: string; architecture?: string; variant?: string }[] | null;
}

interface InfoJson {
  RegistryConfig?: EngineRegistryConfig;
}

/**
 * docker-modem logs every request it sends, headers included, under the `debug` namespace
 * `modem` (DEBUG=modem or DEBUG=*): that would print X-Registry-Auth, i.e. the registry password.
 * Exclude that namespace whatever DEBUG says; other namespaces keep logging.
 */
function keepSecretsOutOfModemDebug(env: NodeJS.ProcessEnv): void {
  if (!env.DEBUG) return;
  try {
    const modemRequire = createRequire(createRequire(import.meta.url).resolve('docker-modem'));
    const debug = modemRequire('debug') as { disable(): string; enable(namespaces: string): void };
    const current = debug.disable();
    debug.enable(current ? `${current},-modem` : '-modem');
  } catch {
    /* no debug module: nothing to silence */
  }
}

function localImageOf(json: { RepoTags?: string[] | null; RepoDigests?: string[] | null } | undefined): LocalImage {
  return {
    repoTags: Array.isArray(json?.RepoTags) ? json.RepoTags : [],
    repoDigests: Array.isArray(json?.RepoDigests) ? json.RepoDigests : [],
  };
}

/**
 * An ImageEngine over dockerode. Without `socketPath`, the engine the docker CLI would use
 * (docker/context.ts): DOCKER_HOST (unix://, tcp://, with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, as
 * dockerode reads them), else DOCKER_CONTEXT or config.json's currentContext, else
 * /var/run/docker.sock.
 */
export function dockerodeEngine(opts: { socketPath?: string; env: NodeJS.ProcessEnv }): ImageEngine {
  keepSecretsOutOfModemDebug(opts.env);
  const chosen = opts.socketPath ? { description: `unix://${opts.socketPath}`, options: { socketPath: opts.socketPath } } : chooseEngine(opts.env);
  const description = chosen.description;
  let docker: Docker;
  try {
    const Dockerode = loadDockerode();
    docker = chosen.options ? new Dockerode(chosen.options as Docker.DockerOptions) : new Dockerode();
  } catch (e) {
    // dockerode refuses a malformed DOCKER_HOST at construction
    throw new VfiError('ENGINE', `cannot use the Docker engine at ${description}: ${(e as Error).message}`, { engine: description });
  }
  const modem = docker.modem;

  function dial<T>(options: {
    path: string;
    method: 'GET' | 'POST';
    auth?: RegistryAuth | undefined;
    signal: AbortSignal;
    isStream?: boolean;
    statusCodes: Record<number, string | boolean>;
    /** query parameters; the path must then end with '?' (docker-modem's convention) */
    query?: Record<string, string>;
  }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (options.signal.aborted) {
        reject(options.signal.reason);
        return;
      }
      const headers: Record<string, string> = {};
      if (options.auth) headers['X-Registry-Auth'] = encodeRegistryAuth(options.auth);
      modem.dial(
        {
          path: options.path,
          method: options.method,
          headers,
          abortSignal: options.signal,
          isStream: options.isStream ?? false,
          statusCodes: options.statusCodes,
          // _body {} keeps the query out of the request body (modem sends no body for '{}')
          ...(options.query ? { options: { _query: options.query, _body: {} } } : {}),
        },
        (err, data) => (err ? reject(err) : resolve(data as T)),
      );
    });
  }

  let registryConfig: Promise<EngineRegistryConfig | undefined> | undefined;
  async function insecure(domain: string, signal: AbortSignal): Promise<boolean> {
    registryConfig ??= dial<InfoJson>({ path: '/info', method: 'GET', signal, statusCodes: { 200: true } }).then(
      (info) => info?.RegistryConfig,
      () => undefined,
    );
    const config = await registryConfig;
    const host = hostOf(domain);
    let addresses: string[] = [];
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      addresses = [host];
    }
    return isInsecureRegistry(domain, addresses, config);
  }

  return {
    description,

    async localImage(ref, signal) {
      const ctx: ErrorContext = { ref, op: 'image inspect', engine: description, auth: undefined, signal };
      try {
        const json = await dial<{ RepoTags?: string[] | null; RepoDigests?: string[] | null }>({
          path: `/images/${ref}/json`,
          method: 'GET',
          signal,
          statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
        });
        return localImageOf(json);
      } catch (e) {
        if ((e as ModemError).statusCode === 404 && !signal.aborted && answeredByEngine(e as ModemError, engineMessage(e as ModemError))) return undefined;
        throw mapEngineError(e, ctx);
      }
    },

    async localImages(signal) {
      const ctx: ErrorContext = { ref: '(all local images)', op: 'image list', engine: description, auth: undefined, signal };
      try {
        const list = await dial<{ RepoTags?: string[] | null; RepoDigests?: string[] | null }[]>({
          path: '/images/json',
          method: 'GET',
          signal,
          statusCodes: { 200: true, 500: 'server error' },
        });
        return (Array.isArray(list) ? list : []).map(localImageOf);
      } catch (e) {
        throw mapEngineError(e, ctx);
      }
    },

    async distributionInspect(ref, auth, signal) {
      const ctx: ErrorContext = { ref, op: 'distribution inspect', engine: description, auth, signal };
      let json: DistributionJson;
      try {
        json = await dial<DistributionJson>({
          path: `/distribution/${ref}/json`,
          method: 'GET',
          auth,
          signal,
          statusCodes: { 200: true, 401: 'unauthorized', 403: 'forbidden', 404: 'not found', 500: 'server error' },
        });
      } catch (e) {
        throw mapEngineError(e, ctx);
      }
      const digest = json?.Descriptor?.digest;
      if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
        throw new VfiError('ENGINE', `distribution inspect of ${ref}: the Docker engine gave no digest`, { reference: ref });
      }
      const platforms = (json.Platforms ?? [])
        .filter((p) => p && typeof p.os === 'string' && typeof p.architecture === 'string')
        .map((p) => ({ os: p.os!, architecture: p.architecture!, ...(p.variant ? { variant: p.variant } : {}) }));
      return {
        digest,
        mediaType: json.Descriptor?.mediaType ?? '',
        ...(typeof json.Descriptor?.size === 'number' ? { size: json.Descriptor.size } : {}),
        platforms,
      };
    },

    async pull(ref, auth, signal, onProgress, platform) {
      const ctx: ErrorContext = { ref, op: 'pull', engine: description, auth, signal };
      const parsed = parseImageReference(ref);
      const query: Record<string, string> = { fromImage: parsed.fullName, tag: parsed.digest ?? parsed.tag ?? 'latest' };
      if (platform) query.platform = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
      let stream: IncomingMessage;
      try {
        stream = await dial<IncomingMessage>({
          path: '/images/create?',
          query,
          method: 'POST',
          auth,
          signal,
          isStream: true,
          statusCodes: { 200: true, 401: 'unauthorized', 404: 'not found', 500: 'server error' },
        });
      } catch (e) {
        throw mapEngineError(e, ctx);
      }
      addAbortSignal(signal, stream);
      let digest: string | undefined;
      let failure: { message: string; code?: number } | undefined;
      let buffered = '';
      const handle = (line: string) => {
        if (line.trim() === '') return;
        let ev: PullEvent & { error?: unknown; errorDetail?: { message?: unknown; code?: unknown } };
        try {
          ev = JSON.parse(line) as typeof ev;
        } catch {
          return;
        }
        if (ev.error !== undefined || ev.errorDetail !== undefined) {
          const message = typeof ev.errorDetail?.message === 'string' ? ev.errorDetail.message : String(ev.error);
          failure ??= { message, ...(typeof ev.errorDetail?.code === 'number' ? { code: ev.errorDetail.code } : {}) };
          return;
        }
        const m = typeof ev.status === 'string' ? /^Digest: (sha256:[0-9a-f]{64})$/.exec(ev.status) : null;
        if (m) digest = m[1];
        onProgress?.(ev);
      };
      try {
        for await (const chunk of stream) {
          buffered += (chunk as Buffer).toString('utf8');
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            handle(buffered.slice(0, nl));
            buffered = buffered.slice(nl + 1);
          }
        }
        handle(buffered);
      } catch (e) {
        throw mapEngineError(e, ctx);
      }
      if (failure) {
        // an error in the stream: the HTTP status was already 200, so classify by message
        throw mapEngineError(Object.assign(new Error(failure.message), { statusCode: failure.code ?? 500, json: { message: failure.message } }), ctx);
      }
      return digest ? { digest } : {};
    },

    async fetchManifest(ref, auth, signal) {
      const parsed = parseImageReference(ref);
      const reference = parsed.digest ?? parsed.tag ?? 'latest';
      return fetchManifest({ domain: parsed.domain, path: parsed.path, reference }, auth, { insecure: await insecure(parsed.domain, signal), signal });
    },
  };
}
