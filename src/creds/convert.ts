/**
 * Registry credentials in three shapes: plain rows, a docker config.json and a Kubernetes
 * `kubernetes.io/dockerconfigjson` Secret. Pure: no node-only imports, because the same module is
 * bundled for the browser page of `vfi creds serve`. Errors never quote a password, an `auth`
 * value or the document they came from.
 */
import { VfiError } from '../errors.js';

/** One registry's credentials as a person types them. */
export interface Credential {
  registry: string;
  username: string;
  password: string;
  email?: string;
}

/** An `auths` entry of config.json (docker's AuthConfig as it is stored). */
export interface AuthEntry {
  username?: string;
  password?: string;
  email?: string;
  auth?: string;
  identitytoken?: string;
  [other: string]: unknown;
}

export interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [other: string]: unknown;
}

/** A Secret as kubectl prints it; only the fields this module reads or writes are typed. */
export interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [other: string]: unknown;
}

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
export const SECRET_TYPE = 'kubernetes.io/dockerconfigjson';
const CONFIG_KEY = '.dockerconfigjson';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

function bad(message: string, data: Record<string, unknown> = {}, hint?: string): VfiError {
  return new VfiError('INVALID_INPUT', message, data, hint);
}

// A host (DNS labels, optionally a leading "*." as kubelet allows, an IPv4 or a [IPv6]), an
// optional port and an optional path prefix: what kubelet's keyring and docker's
// ConvertToHostname accept as a registry key.
const HOST = /^(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?))*$|^\[[0-9A-Fa-f:.]+\]$/;

/**
 * The key docker and kubelet match a registry by: Docker Hub's aliases become
 * `https://index.docker.io/v1/`; for any other registry the scheme, a leading `/v1/` or `/v2/`
 * and a trailing `/` are dropped and the host is lower-cased, so `https://Reg.example.com/v1/` is `reg.example.com`.
 */
export function normalizeRegistry(input: string): string {
  const raw = input.trim();
  const noScheme = raw.replace(/^https?:\/\//i, '');
  const slash = noScheme.indexOf('/');
  const hostPort = slash < 0 ? noScheme : noScheme.slice(0, slash);
  let path = slash < 0 ? '' : noScheme.slice(slash);
  // kubelet reads a leading /v1/ or /v2/ as the registry's API root, not a repository path.
  path = path.replace(/^\/v[12](?=\/|$)/, '').replace(/\/+$/, '');
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(hostPort);
  const host = (m?.[1] ?? '').toLowerCase();
  const port = m?.[2];
  if (host === '' || !HOST.test(host) || (port !== undefined && Number(port) > 65535) || /[\s?#@]/.test(path)) {
    throw bad(`${JSON.stringify(input)} is not a registry host`, { registry: input }, 'give a host such as registry.example.com, 127.0.0.1:5000 or docker.io');
  }
  if (DOCKER_HUB_HOSTS.has(host) && port === undefined && path === '') return DOCKER_HUB_KEY;
  return `${host}${port !== undefined ? `:${port}` : ''}${path}`;
}

/** Base64 of the UTF-8 bytes of text (standard alphabet, padded). */
export function encodeBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Decode strict standard base64 into UTF-8 text; undefined when it is not base64 of UTF-8. */
export function decodeBase64(b64: string): string | undefined {
  const s = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  try {
    const bin = atob(s);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** JSON as Go's encoding/json writes it (kubectl): `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Check one row; the registry comes back normalized. */
export function checkCredential(c: Credential): Credential {
  const registry = normalizeRegistry(c.registry);
  if (typeof c.username !== 'string' || c.username === '') throw bad(`${registry}: the username is empty`, { registry });
  if (c.username.includes(':')) throw bad(`${registry}: a username cannot contain ":" (docker's auth is user:password)`, { registry });
  if (typeof c.password !== 'string' || c.password === '') throw bad(`${registry}: the password is empty`, { registry });
  return { registry, username: c.username, password: c.password, ...(c.email ? { email: c.email } : {}) };
}

/** The auths entry kubectl writes: username, password, email (when given), auth, in that order. */
function authEntry(c: Credential): AuthEntry {
  return {
    username: c.username,
    password: c.password,
    ...(c.email ? { email: c.email } : {}),
    auth: encodeBase64(`${c.username}:${c.password}`),
  };
}

/** Rows into the `auths` of a config (later rows for the same registry win). */
export function authsOf(creds: Credential[]): Record<string, AuthEntry> {
  const auths: Record<string, AuthEntry> = {};
  for (const c of creds) {
    const checked = checkCredential(c);
    auths[checked.registry] = authEntry(checked);
  }
  return auths;
}

/** The credentials of one auths entry, `auth` and username/password reconciled. */
export function credentialOf(key: string, entry: AuthEntry): Credential | undefined {
  const registry = normalizeRegistry(key);
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw bad(`the entry for ${registry} is not an object`, { registry });
  let username = typeof entry.username === 'string' ? entry.username : '';
  let password = typeof entry.password === 'string' ? entry.password : '';
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = decodeBase64(entry.auth);
    const colon = decoded?.indexOf(':') ?? -1;
    if (decoded === undefined || colon < 0) {
      throw bad(`the "auth" of ${registry} is not base64 of user:password`, { registry });
    }
    const u = decoded.slice(0, colon);
    const p = decoded.slice(colon + 1); // passwords may contain ':'
    if ((username !== '' && username !== u) || (password !== '' && password !== p)) {
      throw bad(`the "auth" of ${registry} disagrees with its username/password`, { registry }, 'remove one of them, or make them agree');
    }
    username = u;
    password = p;
  }
  if (username === '' && password === '') return undefined;
  return { registry, username, password, ...(typeof entry.email === 'string' && entry.email !== '' ? { email: entry.email } : {}) };
}

/** A config.json's text, checked: a JSON object whose `auths` is an object. */
export function parseConfig(text: string): DockerConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch {
    throw bad('the config is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('the config is not a JSON object');
  const config = parsed as DockerConfig;
  if (config.auths !== undefined && (typeof config.auths !== 'object' || config.auths === null || Array.isArray(config.auths))) {
    throw bad('the config\'s "auths" is not an object');
  }
  return config;
}

/** What a config holds: rows with credentials, and the registries left to credential helpers. */
export interface ConfigContents {
  credentials: Credential[];
  /** registries whose secret lives in a credential helper (credHelpers, or credsStore for empty auths entries) */
  helpers: { registry: string; key: string; helper: string }[];
  /** registries whose entry is an identity token: kubelet cannot use one */
  tokens: string[];
}

export function contentsOf(config: DockerConfig): ConfigContents {
  const credentials: Credential[] = [];
  const helpers: ConfigContents['helpers'] = [];
  const tokens: string[] = [];
  const seen = new Set<string>();
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
    if (typeof helper !== 'string' || helper === '') continue;
    const registry = normalizeRegistry(key);
    helpers.push({ registry, key, helper });
    seen.add(registry);
  }
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    const registry = normalizeRegistry(key);
    if (seen.has(registry)) continue;
    if (entry && typeof entry === 'object' && typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
      tokens.push(registry);
      continue;
    }
    const c = credentialOf(key, entry);
    if (c) credentials.push(c);
    else if (typeof config.credsStore === 'string' && config.credsStore !== '') helpers.push({ registry, key, helper: config.credsStore });
  }
  return { credentials, helpers, tokens };
}

/**
 * The config with each auths entry checked (an `auth` that is not base64 of user:password, or
 * disagrees, is refused) and its `auth` and username/password filled in from each other: docker
 * before 20.10 reads only `auth`, kubelet either. Identity tokens and other fields stay as they are.
 */
export function reconcileConfig(config: DockerConfig): DockerConfig {
  if (config.auths === undefined) return config;
  const auths: Record<string, AuthEntry> = {};
  for (const [key, entry] of Object.entries(config.auths)) {
    const token = entry && typeof entry === 'object' && typeof entry.identitytoken === 'string' && entry.identitytoken !== '';
    const c = token ? undefined : credentialOf(key, entry);
    auths[key] = c ? { ...entry, username: c.username, password: c.password, auth: encodeBase64(`${c.username}:${c.password}`) } : entry;
  }
  return { ...config, auths };
}

/** Only the rows of a config; helpers or tokens are refused, since their secret is not in the file. */
export function credentialsOfConfig(config: DockerConfig): Credential[] {
  const { credentials, helpers, tokens } = contentsOf(config);
  if (helpers.length > 0) {
    throw bad(`the secret of ${helpers[0]!.registry} is kept by docker-credential-${helpers[0]!.helper}, not in the config`, { registry: helpers[0]!.registry });
  }
  if (tokens.length > 0) throw bad(`${tokens[0]} has an identity token, which kubelet cannot use`, { registry: tokens[0] });
  return credentials;
}

/** A config.json that holds these rows: `{"auths": {...}}`. */
export function configOf(creds: Credential[]): DockerConfig {
  return { auths: authsOf(creds) };
}

/** config.json text as docker writes it (tab-indented, newline at the end). */
export function renderConfig(config: DockerConfig): string {
  return `${JSON.stringify(config, null, '\t')}\n`;
}

/**
 * Merge rows into an existing config: each row replaces the entry of its registry (matched after
 * normalization), and a credHelpers entry for it, whose secret would otherwise win.
 */
export function mergeIntoConfig(config: DockerConfig, creds: Credential[]): DockerConfig {
  const auths: Record<string, AuthEntry> = { ...(config.auths ?? {}) };
  const credHelpers = config.credHelpers ? { ...config.credHelpers } : undefined;
  for (const [registry, entry] of Object.entries(authsOf(creds))) {
    for (const k of Object.keys(auths)) if (sameKey(k, registry)) delete auths[k];
    for (const k of Object.keys(credHelpers ?? {})) if (sameKey(k, registry)) delete credHelpers![k];
    auths[registry] = entry;
  }
  return { ...config, auths, ...(credHelpers ? { credHelpers } : {}) };
}

/** A config without these registries; throws NOT_FOUND naming the first that is not in it. */
export function removeFromConfig(config: DockerConfig, registries: string[]): DockerConfig {
  const auths: Record<string, AuthEntry> = { ...(config.auths ?? {}) };
  const credHelpers = config.credHelpers ? { ...config.credHelpers } : undefined;
  for (const r of registries) {
    const registry = normalizeRegistry(r);
    let found = false;
    for (const k of Object.keys(auths)) if (sameKey(k, registry)) (delete auths[k], (found = true));
    for (const k of Object.keys(credHelpers ?? {})) if (sameKey(k, registry)) (delete credHelpers![k], (found = true));
    if (!found) throw new VfiError('NOT_FOUND', `${registry} has no credentials here`, { registry });
  }
  return { ...config, auths, ...(credHelpers ? { credHelpers } : {}) };
}

function sameKey(key: string, registry: string): boolean {
  try {
    return normalizeRegistry(key) === registry;
  } catch {
    return false;
  }
}

/**
 * The Secret `kubectl create secret docker-registry NAME --dry-run=client` builds, fields in the
 * order its JSON printer writes them.
 */
export function secretOf(config: DockerConfig, opts: { name: string; namespace?: string }): SecretObject {
  return {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: opts.name, ...(opts.namespace ? { namespace: opts.namespace } : {}), creationTimestamp: null as unknown as string },
    data: { [CONFIG_KEY]: encodeBase64(goJson(config)) },
    type: SECRET_TYPE,
  };
}

/** A Secret's `.dockerconfigjson` replaced by this config, every other field kept. */
export function withConfig(secret: SecretObject, config: DockerConfig): SecretObject {
  const stringData = { ...(secret.stringData ?? {}) };
  delete stringData[CONFIG_KEY];
  const out: SecretObject = { ...secret, data: { ...(secret.data ?? {}), [CONFIG_KEY]: encodeBase64(goJson(config)) } };
  if (secret.stringData) {
    if (Object.keys(stringData).length > 0) out.stringData = stringData;
    else delete out.stringData;
  }
  return out;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Secret or namespace name as Kubernetes accepts it (an RFC 1123 subdomain, at most 253). */
export function checkName(name: string, what: 'name' | 'namespace'): string {
  if (name.length > 253 || !NAME.test(name)) throw bad(`${JSON.stringify(name)} is not a valid Kubernetes ${what}`, { [what]: name }, 'lower-case letters, digits, "-" and "."');
  return name;
}

/** The config inside a Secret object, checked: kind Secret, type dockerconfigjson, data base64. */
export function configOfSecret(secret: unknown): DockerConfig {
  if (!secret || typeof secret !== 'object' || Array.isArray(secret)) throw bad('the Secret is not an object');
  const s = secret as SecretObject;
  if (s.kind !== 'Secret') throw bad(`this is a ${typeof s.kind === 'string' ? s.kind : 'document without a kind'}, not a Secret`);
  if (s.type !== SECRET_TYPE) {
    throw bad(`the Secret is of type ${JSON.stringify(s.type ?? 'Opaque')}, not ${SECRET_TYPE}`, { type: s.type }, 'kubectl create secret docker-registry makes the right type');
  }
  const fromString = s.stringData?.[CONFIG_KEY];
  const fromData = s.data?.[CONFIG_KEY];
  let text: string;
  if (typeof fromString === 'string') text = fromString;
  else if (typeof fromData === 'string') {
    const decoded = decodeBase64(fromData);
    if (decoded === undefined) throw bad(`the Secret's data.${CONFIG_KEY} is not base64`);
    text = decoded;
  } else throw bad(`the Secret has no ${CONFIG_KEY}`);
  return parseConfig(text);
}

type Yaml = typeof import('yaml');
let yamlModule: Promise<Yaml> | undefined;
const loadYaml = () => (yamlModule ??= import('yaml'));

/** A Secret document, YAML or JSON as kubectl prints either; `format` says which it was. */
export async function parseSecret(text: string): Promise<{ secret: SecretObject; format: 'yaml' | 'json' }> {
  const trimmed = text.trim();
  if (trimmed === '') throw bad('the Secret is empty');
  if (trimmed.startsWith('{')) {
    try {
      return { secret: JSON.parse(trimmed) as SecretObject, format: 'json' };
    } catch {
      throw bad('the Secret is not valid JSON');
    }
  }
  const YAML = await loadYaml();
  const docs = YAML.parseAllDocuments(text);
  if (docs.length !== 1) throw bad(docs.length === 0 ? 'the Secret is empty' : 'give one Secret, not several YAML documents');
  const doc = docs[0]!;
  if (doc.errors.length > 0) {
    const where = doc.errors[0]!.linePos?.[0];
    throw bad(`the Secret is not valid YAML${where ? ` (line ${where.line})` : ''}`);
  }
  return { secret: doc.toJS() as SecretObject, format: 'yaml' };
}

/** A Secret as kubectl -o yaml / -o json prints it. */
export async function renderSecret(secret: SecretObject, format: 'yaml' | 'json'): Promise<string> {
  if (format === 'json') return `${JSON.stringify(secret, null, 4)}\n`;
  const YAML = await loadYaml();
  return YAML.stringify(sortKeys(secret), { lineWidth: 0, minContentWidth: 0 });
}

// kubectl's YAML printer goes through a map: keys come out sorted at every level.
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** True when the text looks like a Secret (YAML or a JSON object with kind Secret), not a config.json. */
export function looksLikeSecret(text: string): boolean {
  const t = text.trim();
  if (!t.startsWith('{')) return t !== '';
  try {
    const v = JSON.parse(t) as Record<string, unknown>;
    return v !== null && typeof v === 'object' && ('kind' in v || 'apiVersion' in v);
  } catch {
    return false;
  }
}
