/** Reads the docker CLI's context store to find the engine (the choice itself is core/dockerContext.ts). */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { VfiError } from '../errors.js';
import { contextDirName, contextEndpoint, dockerodeTarget, engineSource, type DockerodeTarget } from '../core/dockerContext.js';
import { dockerConfigDir } from './credentials.js';

export interface ChosenEngine {
  /** for messages: `unix:///…`, with the context's name when a context chose it */
  description: string;
  /** dockerode's options, or undefined for dockerode's own defaults (DOCKER_HOST, else the default socket) */
  options: (DockerodeTarget & { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean }) | undefined;
}

/** A JSON file, or undefined when missing; unreadable config.json is bad input (as for credentials), a broken context is the engine's. */
function readJson(path: string, bad: 'INVALID_INPUT' | 'ENGINE'): unknown {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new VfiError(bad, `cannot read ${path}: ${code ?? 'read error'}`, { path });
  }
  try {
    return text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new VfiError(bad, `${path} is not valid JSON`, { path });
  }
}

/** The engine the docker CLI would talk to with this environment and docker config. */
export function chooseEngine(env: NodeJS.ProcessEnv): ChosenEngine {
  const configDir = dockerConfigDir(env);
  // config.json is read only when DOCKER_HOST and DOCKER_CONTEXT leave the choice to it.
  const needsConfig = !env.DOCKER_HOST && !env.DOCKER_CONTEXT;
  const source = engineSource(env, needsConfig ? (readJson(join(configDir, 'config.json'), 'INVALID_INPUT') as { currentContext?: unknown } | undefined) : undefined);
  if (source.kind === 'host') return { description: source.host, options: undefined };
  if (source.kind === 'default') return { description: 'unix:///var/run/docker.sock', options: undefined };
  const hash = contextDirName(source.name);
  const tlsDir = join(configDir, 'contexts', 'tls', hash, 'docker');
  const file = (f: string) => join(tlsDir, f);
  const has = { ca: fs.existsSync(file('ca.pem')), cert: fs.existsSync(file('cert.pem')), key: fs.existsSync(file('key.pem')) };
  const endpoint = contextEndpoint(source.name, readJson(join(configDir, 'contexts', 'meta', hash, 'meta.json'), 'ENGINE'), has,
    source.from === 'DOCKER_CONTEXT' ? 'from DOCKER_CONTEXT' : `the current context in ${join(configDir, 'config.json')}`);
  const target = dockerodeTarget(endpoint);
  const options: NonNullable<ChosenEngine['options']> = { ...target };
  if ('protocol' in target && target.protocol === 'https') {
    if (has.ca) options.ca = fs.readFileSync(file('ca.pem'));
    if (has.cert) options.cert = fs.readFileSync(file('cert.pem'));
    if (has.key) options.key = fs.readFileSync(file('key.pem'));
    if (endpoint.skipTLSVerify) options.rejectUnauthorized = false;
  }
  return { description: `${endpoint.host} (docker context "${source.name}")`, options };
}
