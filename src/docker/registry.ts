/**
 * The one thing the Docker engine API (v1.41, dockerd 20.10; still true of v1.49) cannot give:
 * the raw bytes of a registry manifest. `GET /distribution/{name}/json` answers the index
 * digest and the list of platforms, but not the child manifests' digests, which
 * `vfi resolve --platform` needs. So this fetches `name@<index digest>` straight from the
 * registry (distribution v2 HTTP API), with the same credentials the engine gets, and checks the
 * bytes against the digest the engine reported: the engine stays the source of truth, the
 * registry only supplies content that must hash to what the engine said.
 *
 * Plain HTTP is used only for registries the engine itself treats as insecure
 * (`RegistryConfig` of `GET /info`: InsecureRegistryCIDRs, 127.0.0.0/8 by default, and
 * IndexConfigs[host].Secure=false), trying HTTPS without certificate checks first, as dockerd does.
 * Authentication: Basic, or Bearer tokens (anonymous, Basic-authenticated, or an identity token
 * exchanged with grant_type=refresh_token). Secrets never appear in errors.
 */
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { VfiError } from '../errors.js';
import type { RegistryAuth } from './credentials.js';

export const MANIFEST_MEDIA_TYPES = {
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
} as const;

export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([MANIFEST_MEDIA_TYPES.dockerList, MANIFEST_MEDIA_TYPES.ociIndex]);

const ACCEPT = [
  MANIFEST_MEDIA_TYPES.ociIndex,
  MANIFEST_MEDIA_TYPES.dockerList,
  MANIFEST_MEDIA_TYPES.ociManifest,
  MANIFEST_MEDIA_TYPES.dockerManifest,
].join(', ');

export interface FetchedManifest {
  mediaType: string;
  bytes: Buffer;
  digest: string;
}

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Docker Hub's API endpoint for the `docker.io` domain. */
export function registryEndpointHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

function request(
  url: URL,
  opts: { method?: string; headers?: Record<string, string>; body?: string; insecure: boolean; signal: AbortSignal },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: { 'User-Agent': 'vfi', ...(opts.headers ?? {}) },
        signal: opts.signal,
        ...(url.protocol === 'https:' && opts.insecure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 8 * 1024 * 1024) req.destroy(new Error('response too large'));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse one WWW-Authenticate challenge: `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2] ?? '')) !== null) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3] ?? '';
  return { scheme: m[1]!.toLowerCase(), params };
}

function basicHeader(auth: RegistryAuth | undefined): string | undefined {
  if (!auth || !('password' in auth)) return undefined;
  return 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
}

async function bearerToken(ch: Challenge, scope: string, auth: RegistryAuth | undefined, insecure: boolean, signal: AbortSignal, registry: string): Promise<string> {
  const realm = ch.params.realm;
  if (!realm) throw new VfiError('REGISTRY', `registry ${registry} sent a Bearer challenge without a realm`, { registry });
  const realmUrl = new URL(realm);
  const service = ch.params.service ?? '';
  let answer: HttpAnswer;
  if (auth && 'identitytoken' in auth) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, service, scope, client_id: 'vfi' });
    answer = await request(realmUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      insecure,
      signal,
    });
  } else {
    if (service) realmUrl.searchParams.set('service', service);
    realmUrl.searchParams.set('scope', scope);
    const basic = basicHeader(auth);
    answer = await request(realmUrl, { headers: basic ? { Authorization: basic } : {}, insecure, signal });
  }
  if (answer.status === 401 || answer.status === 403) {
    throw new VfiError('UNAUTHORIZED', `registry ${registry} refused the credentials from the docker config (token service answered ${answer.status})`, { registry, status: answer.status });
  }
  if (answer.status !== 200) {
    throw new VfiError('REGISTRY', `registry ${registry}: token service answered HTTP ${answer.status}`, { registry, status: answer.status });
  }
  let json: { token?: unknown; access_token?: unknown };
  try {
    json = JSON.parse(answer.body.toString('utf8')) as typeof json;
  } catch {
    throw new VfiError('REGISTRY', `registry ${registry}: token service answered something that is not JSON`, { registry });
  }
  const token = typeof json.token === 'string' ? json.token : typeof json.access_token === 'string' ? json.access_token : '';
  if (!token) throw new VfiError('REGISTRY', `registry ${registry}: token service gave no token`, { registry });
  return token;
}

function registryMessage(body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e) return [e.code, e.message].filter(Boolean).join(': ');
  } catch {
    /* not JSON */
  }
  return body.toString('utf8').slice(0, 200).trim();
}

/**
 * GET /v2/<path>/manifests/<reference> from the registry of `domain`.
 * When `reference` is a digest, the bytes must hash to it.
 */
export async function fetchManifest(
  target: { domain: string; path: string; reference: string },
  auth: RegistryAuth | undefined,
  opts: { insecure: boolean; signal: AbortSignal },
): Promise<FetchedManifest> {
  const registry = target.domain;
  const host = registryEndpointHost(target.domain);
  const schemes = opts.insecure ? ['https', 'http'] : ['https'];
  const scope = `repository:${target.path}:pull`;
  let lastError: unknown;
  for (const scheme of schemes) {
    const url = new URL(`${scheme}://${host}/v2/${target.path}/manifests/${target.reference}`);
    try {
      let authorization: string | undefined;
      let answer = await request(url, { headers: { Accept: ACCEPT }, insecure: opts.insecure, signal: opts.signal });
      if (answer.status === 401) {
        const ch = parseChallenge(answer.headers['www-authenticate'] as string | undefined);
        if (ch?.scheme === 'basic') {
          authorization = basicHeader(auth);
          if (!authorization) {
            throw new VfiError('UNAUTHORIZED', `no credentials for ${registry} (none in the docker config)`, { registry, status: 401 });
          }
        } else if (ch?.scheme === 'bearer') {
          authorization = 'Bearer ' + (await bearerToken(ch, scope, auth, opts.insecure, opts.signal, registry));
        }
        if (authorization) {
          answer = await request(url, { headers: { Accept: ACCEPT, Authorization: authorization }, insecure: opts.insecure, signal: opts.signal });
        }
      }
      return checkAnswer(answer, target, auth, registry);
    } catch (e) {
      if (e instanceof VfiError) throw e;
      if (opts.signal.aborted) {
        throw new VfiError('TIMEOUT', `registry ${registry} did not answer in time (manifest ${target.path}@${target.reference})`, { registry });
      }
      lastError = e; // connection or TLS failure: try the next scheme
    }
  }
  const err = lastError as NodeJS.ErrnoException | undefined;
  throw new VfiError('REGISTRY', `registry ${registry} unreachable (${err?.code ?? err?.message ?? 'connection failed'})`, { registry });
}

function checkAnswer(answer: HttpAnswer, target: { path: string; reference: string }, auth: RegistryAuth | undefined, registry: string): FetchedManifest {
  const where = `${registry}/${target.path}@${target.reference}`;
  if (answer.status === 200) {
    const digest = 'sha256:' + createHash('sha256').update(answer.body).digest('hex');
    if (target.reference.includes(':') && target.reference !== digest) {
      throw new VfiError('REGISTRY', `registry ${registry} returned a manifest for ${where} whose digest is ${digest}`, { registry, digest });
    }
    let mediaType = String(answer.headers['content-type'] ?? '').split(';')[0]!.trim();
    try {
      const j = JSON.parse(answer.body.toString('utf8')) as { mediaType?: unknown };
      if (typeof j.mediaType === 'string') mediaType = j.mediaType;
    } catch {
      throw new VfiError('REGISTRY', `registry ${registry} returned a manifest for ${where} that is not JSON`, { registry });
    }
    return { mediaType, bytes: answer.body, digest };
  }
  const msg = registryMessage(answer.body);
  if (answer.status === 404) throw new VfiError('IMAGE_NOT_FOUND', `${where} not found in the registry (${msg})`, { registry, status: 404 });
  if (answer.status === 401 || answer.status === 403) {
    const why = auth ? 'refused the credentials from the docker config' : 'requires credentials (none in the docker config)';
    throw new VfiError('UNAUTHORIZED', `registry ${registry} ${why} for ${where} (HTTP ${answer.status})`, { registry, status: answer.status });
  }
  throw new VfiError('REGISTRY', `registry ${registry} answered HTTP ${answer.status} for ${where}${msg ? ` (${msg})` : ''}`, { registry, status: answer.status });
}

// ---- insecure registries, as the engine configures them -----------------------------------

export interface EngineRegistryConfig {
  InsecureRegistryCIDRs?: string[] | null;
  IndexConfigs?: Record<string, { Secure?: boolean }> | null;
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(base ?? '');
  if (a !== undefined && b !== undefined && Number.isInteger(bits) && bits >= 0 && bits <= 32) {
    if (bits === 0) return true;
    const mask = (0xffffffff << (32 - bits)) >>> 0;
    return (a & mask) >>> 0 === (b & mask) >>> 0;
  }
  // IPv6: only exact or ::1 style host matches are worth supporting here
  return cidr === `${ip}/128`;
}

/** dockerd's isSecureIndex: IndexConfigs first, then the host's addresses against the CIDRs. */
export function isInsecureRegistry(domain: string, addresses: string[], config: EngineRegistryConfig | undefined): boolean {
  const index = config?.IndexConfigs?.[domain];
  if (index && typeof index.Secure === 'boolean') return !index.Secure;
  const cidrs = config?.InsecureRegistryCIDRs ?? ['127.0.0.0/8'];
  return addresses.some((ip) => cidrs.some((c) => inCidr(ip, c)));
}

/** "host", "host:port", "[v6]:port" → the host part. */
export function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const colon = domain.lastIndexOf(':');
  return colon < 0 ? domain : domain.slice(0, colon);
}
