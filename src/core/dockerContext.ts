/**
 * Which Docker engine to talk to, chosen as the docker CLI chooses it (cli/command/cli.go
 * resolveContextName and the context store): `DOCKER_HOST`, else `DOCKER_CONTEXT`, else
 * `currentContext` in config.json, else the default socket; the context named `default` is the
 * default socket too. A context's endpoint is `contexts/meta/<sha256 hex of its name>/meta.json`
 * (`Endpoints.docker.Host`, `SkipTLSVerify`) with TLS material, when the context has any, in
 * `contexts/tls/<same hash>/docker/{ca,cert,key}.pem`. Pure: the caller reads the files.
 */
import { createHash } from 'node:crypto';
import { VfiError } from '../errors.js';

export type EngineSource =
  | { kind: 'host'; host: string }
  | { kind: 'context'; name: string; from: 'DOCKER_CONTEXT' | 'currentContext' }
  | { kind: 'default' };

/** Where the choice comes from: DOCKER_HOST, a named context, or nothing (the default socket). */
export function engineSource(env: { DOCKER_HOST?: string | undefined; DOCKER_CONTEXT?: string | undefined }, config: { currentContext?: unknown } | undefined): EngineSource {
  if (env.DOCKER_HOST) return { kind: 'host', host: env.DOCKER_HOST };
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT === 'default' ? { kind: 'default' } : { kind: 'context', name: env.DOCKER_CONTEXT, from: 'DOCKER_CONTEXT' };
  const current = config?.currentContext;
  if (typeof current === 'string' && current !== '' && current !== 'default') return { kind: 'context', name: current, from: 'currentContext' };
  return { kind: 'default' };
}

/** The directory name the context store files a context under. */
export const contextDirName = (name: string): string => createHash('sha256').update(name).digest('hex');

export interface ContextEndpoint {
  context: string;
  /** unix:///path, tcp://host:port, ssh://user@host */
  host: string;
  skipTLSVerify: boolean;
  /** which TLS files the context has (contexts/tls/<hash>/docker/) */
  tls: { ca: boolean; cert: boolean; key: boolean };
}

/** A context's docker endpoint from its meta.json (parsed, or undefined when the file is missing). */
export function contextEndpoint(name: string, meta: unknown, tls: { ca: boolean; cert: boolean; key: boolean }, from: string): ContextEndpoint {
  if (meta === undefined) {
    throw new VfiError('ENGINE', `docker context "${name}" (${from}) does not exist`, { context: name }, 'docker context ls lists them; docker context use default goes back to the default socket');
  }
  const endpoint = (meta as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } })?.Endpoints?.docker;
  if (typeof endpoint?.Host !== 'string' || endpoint.Host === '') {
    throw new VfiError('ENGINE', `docker context "${name}" has no docker endpoint`, { context: name }, `docker context inspect ${name}`);
  }
  return { context: name, host: endpoint.Host, skipTLSVerify: endpoint.SkipTLSVerify === true, tls };
}

/** What dockerode is given for an endpoint (TLS file contents are added by the caller). */
export type DockerodeTarget =
  | { socketPath: string }
  | { protocol: 'http' | 'https'; host: string; port: number }
  | { protocol: 'ssh'; host: string; port?: number; username?: string };

export function dockerodeTarget(e: ContextEndpoint): DockerodeTarget {
  let url: URL;
  try {
    url = new URL(e.host);
  } catch {
    throw new VfiError('ENGINE', `docker context "${e.context}": endpoint ${JSON.stringify(e.host)} is not a URL`, { context: e.context });
  }
  switch (url.protocol) {
    case 'unix:':
      return { socketPath: decodeURIComponent(url.pathname) };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = url.protocol === 'https:' || e.tls.ca || e.tls.cert || e.skipTLSVerify;
      // The docker CLI's defaults: 2376 with TLS, 2375 without.
      return { protocol: tls ? 'https' : 'http', host: url.hostname, port: url.port ? Number(url.port) : tls ? 2376 : 2375 };
    }
    case 'ssh:':
      return { protocol: 'ssh', host: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), ...(url.username ? { username: decodeURIComponent(url.username) } : {}) };
    default:
      throw new VfiError('ENGINE', `docker context "${e.context}": endpoint ${e.host} is not one vfi can reach (unix://, tcp://, ssh://)`, { context: e.context });
  }
}
