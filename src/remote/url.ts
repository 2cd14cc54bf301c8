/**
 * Remote URLs: parsed once at the edge, and always shown without credentials. A vfi remote is what
 * git itself accepts for `git fetch` (git reaches it: remote/git.ts): a URL (https://, http://,
 * ssh://, git://, file://), git's scp-like `user@host:path`, or the path of a repository on disk.
 * A word git would also take for an ssh host (`gh:org/repo`) is refused unless it names a user
 * (`git@gh:org/repo`), a host with a dot, or a `url.<base>.insteadOf` rewrites it: such words are
 * far more often a forge shorthand vfi should not guess at than an ssh alias.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VfiError } from '../errors.js';

/** A checked remote URL: `url` is what git is given (never credentials), `display` is safe to print. */
export interface RemoteUrl {
  url: string;
  display: string;
  protocol: string;
  /** for 'file', the absolute path; else the path part of the URL */
  path: string;
  hasCredentials: boolean;
  /** user and password from the URL, handed to git through the environment, never on its command line */
  credentials?: { username: string; password: string };
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** git's scp-like syntax, `[user@]host:path` with no slash before the first colon (connect.c parse_connect_url) */
const SCP = /^(?:([^@/]+)@)?(\[[^\]]+\]|[^/:@]+):(.*)$/s;

export function looksLikeUrl(s: string): boolean {
  return SCHEME.test(s) || /^[^/@:]+@[^/@:]+:/.test(s);
}

/**
 * Does this argument name a repository on disk rather than a remote? As git decides for `git push
 * X`: anything with a slash before any colon (a remote name cannot have one), `.`/`..`, or a name
 * that is not a remote but is a directory here.
 */
export function looksLikePath(s: string, isRemoteName: (name: string) => boolean = () => false): boolean {
  if (looksLikeUrl(s)) return false;
  if (s === '.' || s === '..' || fs.existsSync(s)) return !isRemoteName(s) || s.includes('/');
  if (SCP.test(s) && !s.slice(0, s.indexOf(':')).includes('/')) return false;
  return s.includes('/');
}

const SUPPORTED = 'a vfi remote is a git URL (https://host/team/store.git, ssh://git@host/team/store.git, git@host:team/store.git) or the path of a git repository on disk';

/** A repository on disk, by its absolute path. */
function onDisk(dir: string): RemoteUrl {
  const abs = path.resolve(dir).replace(/(.)\/+$/, '$1');
  return { url: abs, display: scrubCredentials(abs), protocol: 'file', path: abs, hasCredentials: false };
}

const usage = (message: string, raw: string, hint = SUPPORTED) => new VfiError('USAGE', message, { url: scrubCredentials(raw) }, hint);

function decode(s: string, raw: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw usage(`not a remote URL: ${JSON.stringify(scrubCredentials(raw))} has a malformed %-escape`, raw, 'write a "%" in a URL as %25');
  }
}

/**
 * Parse a remote URL or path, refusing what git cannot reach. Relative paths are taken from the
 * current directory, as git does. `rewritten` is the URL after git's `url.<base>.insteadOf`, when
 * that changed it (remote/git.ts expandUrl).
 */
export function parseRemoteUrl(raw: string, rewritten?: string): RemoteUrl {
  const shown = JSON.stringify(scrubCredentials(raw));
  if (/[\x00-\x1f\x7f]/.test(raw)) throw usage(`not a remote: ${shown} contains a control character`, raw);
  if (!looksLikeUrl(raw) && looksLikePath(raw)) {
    // `github.com/org/repo` is far likelier a URL without its scheme than a directory to be
    if (/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?\//.test(raw) && !fs.existsSync(raw)) {
      throw usage(`not a remote: ${shown} is neither a repository on disk nor a URL`, raw, `write the URL in full (https://${scrubCredentials(raw)} or git@${scrubCredentials(raw).replace('/', ':')}), or the path of an existing repository`);
    }
    return onDisk(raw);
  }
  if (rewritten !== undefined && rewritten !== raw) {
    const inner = parseRemoteUrl(rewritten);
    return { ...inner, url: raw, display: scrubCredentials(raw) };
  }
  if (/ /.test(raw)) throw usage(`not a remote URL: ${shown} contains a space`, raw, 'percent-encode a space in a URL as %20');
  if (!SCHEME.test(raw)) return scpLike(raw, shown);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw usage(`not a remote URL: ${shown}`, raw);
  }
  const protocol = u.protocol.slice(0, -1).toLowerCase();
  if (protocol === 'file') {
    if (u.host !== '' && u.host !== 'localhost') {
      throw usage(`cannot use ${shown}: a file:// URL names a path on this machine (file:///path), not on ${u.host}`, raw);
    }
    return onDisk(decode(u.pathname, raw));
  }
  if (!['http', 'https', 'ssh', 'git', 'git+ssh', 'ssh+git'].includes(protocol)) {
    throw usage(`unsupported remote URL scheme "${protocol}:" in ${shown}`, raw);
  }
  // `http:///x.git` parses, with "x.git" taken for the host: the authority must be written.
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/?#@]*@)?([^/?#]*)/.exec(raw)?.[1] ?? '';
  if (authority === '' || u.hostname === '') throw usage(`not a remote URL: ${shown} has no host`, raw);
  const pathname = decode(u.pathname, raw);
  const password = u.password !== '' ? decode(u.password, raw) : undefined;
  const hasCredentials = password !== undefined || ((protocol === 'http' || protocol === 'https') && u.username !== '');
  let url = raw.replace(/\/+$/, '');
  let credentials: RemoteUrl['credentials'];
  if (hasCredentials) {
    // A user alone in an http URL is a token (as git takes it, with an empty password).
    credentials = { username: decode(u.username, raw), password: password ?? '' };
    const bare = new URL(raw);
    bare.username = '';
    bare.password = '';
    url = bare.href.replace(/\/+$/, '');
  }
  return { url, display: scrubCredentials(raw).replace(/\/+$/, ''), protocol, path: pathname.replace(/^\/+/, ''), hasCredentials, credentials };
}

function scpLike(raw: string, shown: string): RemoteUrl {
  const m = SCP.exec(raw);
  const user = raw.includes('@') ? raw.slice(0, raw.indexOf('@')) : undefined;
  if (user?.includes(':') && !user.includes('/')) {
    throw usage(`not a remote: ${shown} carries a password`, raw, 'write the user only (git@host:path); ssh uses your keys and agent');
  }
  if (!m || m[3] === '' || (!m[1] && !/[.[]/.test(m[2]!) && m[2] !== 'localhost')) {
    throw usage(`not a remote: ${shown} is neither a repository on disk nor a URL git can reach`, raw,
      `${SUPPORTED}; for an ssh host alias write ssh://ALIAS/path, or add a url.<base>.insteadOf rule to your git config`);
  }
  return { url: raw.replace(/\/+$/, ''), display: raw.replace(/\/+$/, ''), protocol: 'ssh', path: m[3]!, hasCredentials: false };
}

/** The URL without user:password@, for messages. */
export function displayUrl(raw: string): string {
  return scrubCredentials(raw);
}

/**
 * Remove `user:password@` (or `token@`) from every URL in a text, however many slashes follow the
 * scheme (`http:/user:secret@host` is taken by some parsers too), and a password from a scp-like
 * `user:secret@host:path`.
 */
export function scrubCredentials(text: string): string {
  return text
    .replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/*)[^/@\s]*@/g, (m, scheme: string) => (/^ssh|git/i.test(scheme) && !m.slice(scheme.length).includes(':') ? m : scheme))
    .replace(/(^|\s)[^\s/@:]+:[^\s/@]*@/g, '$1');
}
