/**
 * Registry credentials from the user's docker config, as the docker CLI finds them (SPEC §4):
 * `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; for a registry host
 * `credHelpers[host]`, then `credsStore`, then `auths[host]`. Credential helpers are run with
 * the helper protocol (`docker-credential-<name> get`, server URL on stdin, JSON
 * `{ServerURL, Username, Secret}` on stdout; Username `<token>` means an identity token).
 *
 * One deliberate difference with the CLI: when a helper answers "credentials not found", the
 * `auths` entry is still consulted (the CLI stops at the helper). A config that names a helper
 * normally has empty `auths` entries, so this only helps hand-edited configs.
 *
 * Secrets never leave this module except inside the RegistryAuth value handed to the engine:
 * error messages name the config file, the host and the helper, never a username, password or
 * token, and never the helper's stdout.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VfiError } from '../errors.js';

/** The engine's AuthConfig (the JSON carried, base64url-encoded, in X-Registry-Auth). */
export type RegistryAuth =
  | { username: string; password: string; serveraddress: string }
  | { identitytoken: string; serveraddress: string; username?: string };

/** Docker Hub's key in config.json and for credential helpers (the CLI's IndexServer). */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export interface CredentialOptions {
  /** the folder holding config.json; default `$DOCKER_CONFIG`, else `~/.docker` */
  configDir?: string;
  /** environment for finding the config ($DOCKER_CONFIG) and running helpers (PATH); without it, ~/.docker and vfi's own environment */
  env?: NodeJS.ProcessEnv;
  /** how long a credential helper may take; default 30 s */
  helperTimeoutMs?: number;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

export interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : join(homedir(), '.docker');
}

/** The key a registry host has in config.json and the server URL given to helpers. */
export function registryKey(host: string): string {
  return DOCKER_HUB_HOSTS.has(host.toLowerCase()) ? DOCKER_HUB_KEY : host;
}

/** The CLI's ConvertToHostname: drop the scheme and anything after the first '/'. */
function keyHostname(key: string): string {
  const noScheme = key.replace(/^https?:\/\//i, '');
  const slash = noScheme.indexOf('/');
  return (slash < 0 ? noScheme : noScheme.slice(0, slash)).toLowerCase();
}

function sameRegistry(key: string, host: string): boolean {
  const a = keyHostname(key);
  const b = host.toLowerCase();
  if (DOCKER_HUB_HOSTS.has(b)) return DOCKER_HUB_HOSTS.has(a);
  return a === b;
}

function lookup<T>(map: Record<string, T> | undefined, host: string): T | undefined {
  if (!map || typeof map !== 'object') return undefined;
  const key = registryKey(host);
  if (Object.prototype.hasOwnProperty.call(map, key)) return map[key];
  if (Object.prototype.hasOwnProperty.call(map, host)) return map[host];
  for (const k of Object.keys(map)) if (sameRegistry(k, host)) return map[k];
  return undefined;
}

/** Read config.json; undefined when there is none. */
export async function readDockerConfig(opts: CredentialOptions = {}): Promise<{ path: string; config: DockerConfigFile } | undefined> {
  const path = join(opts.configDir ?? dockerConfigDir(opts.env ?? {}), 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new VfiError('INVALID_INPUT', `cannot read docker config ${path}: ${code ?? 'read error'}`, { path });
  }
  if (text.trim() === '') return { path, config: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // never quote the file: it may hold secrets
    throw new VfiError('INVALID_INPUT', `docker config ${path} is not valid JSON`, { path });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new VfiError('INVALID_INPUT', `docker config ${path} is not a JSON object`, { path });
  }
  return { path, config: parsed as DockerConfigFile };
}

function fromAuthEntry(entry: AuthEntry, host: string, path: string): RegistryAuth | undefined {
  const serveraddress = registryKey(host);
  let username = typeof entry.username === 'string' ? entry.username : '';
  let password = typeof entry.password === 'string' ? entry.password : '';
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new VfiError('INVALID_INPUT', `docker config ${path}: the "auth" entry for ${host} is not base64 of user:password`, { path, host });
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1); // passwords may contain ':'
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    return { identitytoken: entry.identitytoken, serveraddress, ...(username ? { username } : {}) };
  }
  if (username === '' && password === '') return undefined;
  return { username, password, serveraddress };
}

/** Run `docker-credential-<helper> get`; undefined when the helper has no credentials. */
export function runCredentialHelper(helper: string, serverURL: string, opts: CredentialOptions = {}): Promise<RegistryAuth | undefined> {
  const program = `docker-credential-${helper}`;
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    return Promise.reject(new VfiError('INVALID_INPUT', `docker config names an invalid credential helper ${JSON.stringify(helper)}`, { helper }));
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      ['get'],
      { env: opts.env, timeout: opts.helperTimeoutMs ?? 30_000, maxBuffer: 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const out = `${stdout}\n${stderr}`;
        if (err) {
          if (/credentials not found/i.test(out)) return resolve(undefined);
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
          let why: string;
          if (e.code === 'ENOENT') why = `${program} is not installed (not found on PATH)`;
          else if (e.killed) why = `${program} did not answer within ${opts.helperTimeoutMs ?? 30_000} ms`;
          else why = `${program} failed (exit ${typeof e.code === 'number' ? e.code : e.signal ?? '?'})${helperMessage(stdout, stderr)}`;
          return reject(new VfiError('UNAUTHORIZED', `cannot get credentials for ${serverURL}: ${why}`, { helper, registry: serverURL }));
        }
        let parsed: { Username?: unknown; Secret?: unknown };
        try {
          parsed = JSON.parse(stdout) as typeof parsed;
        } catch {
          return reject(new VfiError('UNAUTHORIZED', `cannot get credentials for ${serverURL}: ${program} answered something that is not JSON`, { helper, registry: serverURL }));
        }
        const username = typeof parsed.Username === 'string' ? parsed.Username : '';
        const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
        if (secret === '' && username === '') return resolve(undefined);
        if (username === '<token>') return resolve({ identitytoken: secret, serveraddress: serverURL });
        resolve({ username, password: secret, serveraddress: serverURL });
      },
    );
    child.stdin?.on('error', () => {
      /* helper exited before reading: reported by the callback */
    });
    child.stdin?.end(serverURL);
  });
}

/** A helper's own error line, when it is an error text and not (possibly secret) JSON output. */
function helperMessage(stdout: string, stderr: string): string {
  const line = (stderr.trim() || stdout.trim()).split('\n')[0]?.trim() ?? '';
  if (line === '' || line.startsWith('{')) return '';
  return `: ${line.slice(0, 200)}`;
}

/** Credentials for one registry host (a reference's domain: "docker.io", "127.0.0.1:5000"). */
export async function credentialsFor(host: string, opts: CredentialOptions = {}): Promise<RegistryAuth | undefined> {
  const file = await readDockerConfig(opts);
  if (!file) return undefined;
  return credentialsFromConfig(file.config, file.path, host, opts);
}

async function credentialsFromConfig(config: DockerConfigFile, path: string, host: string, opts: CredentialOptions): Promise<RegistryAuth | undefined> {
  const serverURL = registryKey(host);
  const helper = lookup(config.credHelpers, host);
  if (typeof helper === 'string' && helper !== '') {
    const got = await runCredentialHelper(helper, serverURL, opts);
    if (got) return got;
  } else if (typeof config.credsStore === 'string' && config.credsStore !== '') {
    const got = await runCredentialHelper(config.credsStore, serverURL, opts);
    if (got) return got;
  }
  const entry = lookup(config.auths, host);
  if (entry && typeof entry === 'object') return fromAuthEntry(entry, host, path);
  return undefined;
}

/**
 * A credentials lookup for many references: reads config.json once and asks each helper at most
 * once per host (concurrent callers share the answer).
 */
export function dockerCredentials(opts: CredentialOptions = {}): (host: string) => Promise<RegistryAuth | undefined> {
  let file: Promise<{ path: string; config: DockerConfigFile } | undefined> | undefined;
  const perHost = new Map<string, Promise<RegistryAuth | undefined>>();
  return (host: string) => {
    const key = registryKey(host);
    let p = perHost.get(key);
    if (!p) {
      file ??= readDockerConfig(opts);
      p = file.then((f) => (f ? credentialsFromConfig(f.config, f.path, host, opts) : undefined));
      perHost.set(key, p);
    }
    return p;
  };
}

/** X-Registry-Auth: base64url (padded) of the AuthConfig JSON, as the engine decodes it. */
export function encodeRegistryAuth(auth: RegistryAuth): string {
  return Buffer.from(JSON.stringify(auth), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Which kind of credentials, for messages: never the secret itself. */
export function describeAuth(auth: RegistryAuth | undefined): string {
  if (!auth) return 'no credentials';
  return 'identitytoken' in auth ? 'an identity token' : 'a username and password';
}
