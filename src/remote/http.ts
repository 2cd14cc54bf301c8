/**
 * The HTTP client of the smart-HTTP conversation (remote/transport.ts), on node:http(s) with
 * keep-alive (a push or pull makes two or three requests), redirects for GET, a timeout on
 * silence, and errors that say what failed: a connection that could not be made, one that broke
 * while a response was arriving, or a server that went quiet.
 *
 * Redirects are followed as git does with http.followRedirects=initial: a GET is followed, and
 * once the ref advertisement (`…/info/refs`) came from another base URL, the later requests of the
 * session go there too. Credentials go to the remote's own origin (scheme, host, port) only, as
 * curl does without CURLOPT_UNRESTRICTED_AUTH: an Authorization header is dropped on a hop to
 * another origin, and a 401 from there is an error rather than a reason to find credentials for
 * it. A redirect from https to http is refused.
 */
import * as http from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

/** Marks an error raised by this client, for remote/errors.ts. */
export interface TransportFault {
  vfiTransport: 'connect' | 'interrupted' | 'timeout' | 'redirect';
  code?: string;
  /** for 'redirect': an https to http hop, or another origin that asked for credentials */
  redirect?: 'insecure' | 'credentials';
  message: string;
}

export function isTransportFault(e: unknown): e is TransportFault {
  return typeof e === 'object' && e !== null && 'vfiTransport' in e;
}

function fault(kind: TransportFault['vfiTransport'], cause: NodeJS.ErrnoException | string): Error & TransportFault {
  const message = typeof cause === 'string' ? cause : cause.message;
  const e = new Error(message) as Error & TransportFault;
  e.vfiTransport = kind;
  if (typeof cause !== 'string' && cause.code) e.code = cause.code;
  return e;
}

export interface HttpOptions {
  /** the remote's URL: credentials are sent to its origin only */
  home: string;
  /** milliseconds without a byte before giving up */
  idleTimeoutMs: number;
  /** bytes received so far, for progress */
  onBytes?: (received: number) => void;
}

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** sent as it is, in order, with a Content-Length */
  body?: readonly Buffer[];
}

export interface HttpResponse {
  /** where the answer came from, after redirects */
  url: string;
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  /** throws a TransportFault if the transfer breaks */
  body: AsyncIterableIterator<Uint8Array>;
}

export interface Transport {
  request(r: HttpRequest): Promise<HttpResponse>;
  /** free the kept-alive sockets */
  close(): void;
}

const originOf = (u: URL) => `${u.protocol}//${u.host}`;

/** Headers without credentials, for a request to an origin other than the remote's. */
export function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !['authorization', 'cookie', 'proxy-authorization'].includes(k.toLowerCase())));
}

/** Why a redirect hop must not be followed, if it must not. */
export function redirectProblem(from: URL, to: URL): string | undefined {
  if (to.protocol !== 'http:' && to.protocol !== 'https:') return `redirected to a ${to.protocol} URL`;
  if (from.protocol === 'https:' && to.protocol === 'http:') return `redirected from https to http (${originOf(to)}): refusing to continue unencrypted`;
  return undefined;
}

const INFO_REFS = /\/info\/refs(\?.*)?$/;

export function httpTransport(opts: HttpOptions): Transport {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let httpsAgent: HttpsAgent | undefined;
  let httpsModule: typeof import('node:https') | undefined;
  let received = 0;
  const home = originOf(new URL(opts.home));
  /** where the ref advertisement was redirected: later requests under `from` go under `to` */
  let moved: { from: string; to: string } | undefined;

  const once = async (url: URL, method: string, headers: Record<string, string>, body: readonly Buffer[] | undefined): Promise<http.IncomingMessage> => {
    if (originOf(url) !== home) {
      headers = withoutCredentials(headers);
      url = new URL(url);
      url.username = '';
      url.password = '';
    }
    let lib: typeof http | typeof import('node:https') = http;
    let agent: http.Agent = httpAgent;
    if (url.protocol === 'https:') {
      httpsModule ??= await import('node:https');
      httpsAgent ??= new httpsModule.Agent({ keepAlive: true, maxSockets: 4 });
      lib = httpsModule;
      agent = httpsAgent;
    }
    return new Promise((resolve, reject) => {
      const req = lib.request(url, { method, headers: { 'user-agent': 'git/vfi', ...headers }, agent }, resolve);
      req.setTimeout(opts.idleTimeoutMs, () => req.destroy(fault('timeout', `no answer from ${url.host} for ${Math.round(opts.idleTimeoutMs / 1000)} s`)));
      req.on('error', (e: NodeJS.ErrnoException & Partial<TransportFault>) => reject(e.vfiTransport ? e : fault('connect', e)));
      if (body) {
        req.setHeader('content-length', body.reduce((n, b) => n + b.length, 0));
        for (const b of body) req.write(b);
      }
      req.end();
    });
  };

  return {
    async request(r: HttpRequest): Promise<HttpResponse> {
      const { method, body } = r;
      const asked = moved && r.url.startsWith(`${moved.from}/`) ? `${moved.to}${r.url.slice(moved.from.length)}` : r.url;
      let url = new URL(asked);
      let res = await once(url, method, { ...r.headers }, body);
      for (let hops = 0; method === 'GET' && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && res.headers.location && hops < 5; hops++) {
        res.resume();
        const next = new URL(res.headers.location, url);
        const problem = redirectProblem(url, next);
        if (problem) throw Object.assign(fault('redirect', problem), { redirect: 'insecure' as const });
        url = next;
        res = await once(url, method, { ...r.headers }, undefined);
      }
      if (res.statusCode === 401 && originOf(url) !== home) {
        res.resume();
        throw Object.assign(fault('redirect', `redirected to ${originOf(url)}, which asks for credentials; vfi sends credentials only to ${home}`),
          { redirect: 'credentials' as const });
      }
      if (!moved && url.toString() !== asked && INFO_REFS.test(asked) && INFO_REFS.test(url.pathname)) {
        moved = { from: asked.replace(INFO_REFS, ''), to: `${originOf(url)}${url.pathname.replace(INFO_REFS, '')}` };
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return {
        url: url.toString(),
        statusCode: res.statusCode ?? 0,
        statusMessage: res.statusMessage ?? '',
        headers,
        body: responseBody(res, opts, (n) => {
          received += n;
          opts.onBytes?.(received);
        }),
      };
    },
    close() {
      httpAgent.destroy();
      httpsAgent?.destroy();
    },
  };
}

/** The response as an async iterator whose errors say the transfer was interrupted. */
async function* responseBody(
  res: http.IncomingMessage,
  opts: HttpOptions,
  count: (n: number) => void,
): AsyncIterableIterator<Uint8Array> {
  res.setTimeout(opts.idleTimeoutMs, () => res.destroy(fault('timeout', `the server went silent for ${Math.round(opts.idleTimeoutMs / 1000)} s`)));
  try {
    for await (const chunk of res) {
      count((chunk as Buffer).length);
      yield chunk as Buffer;
    }
  } catch (e) {
    const cause = e as NodeJS.ErrnoException & Partial<TransportFault>;
    throw cause.vfiTransport ? (cause as Error & TransportFault)
      : fault('interrupted', cause.message === 'aborted' ? 'the connection closed before the response was complete' : cause);
  }
  // Node ends an incomplete message without an error when the socket closes early.
  if (!res.complete) throw fault('interrupted', 'the connection closed before the response was complete');
}
