/**
 * Remote URLs: parsed once at the edge, and always shown without credentials. A vfi remote is what
 * git itself would accept for `git fetch` over the transports vfi speaks: smart HTTP(S), or a
 * repository on disk (a path, or file://, served by git's own upload-pack and receive-pack:
 * remote/localWire.ts). ssh is not spoken.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VfiError } from '../errors.js';

/** A checked remote URL: `url` is what is sent (it may carry user:pass@), `display` is safe to print. */
export interface RemoteUrl {
  url: string;
  display: string;
  protocol: 'http' | 'https' | 'file';
  /** host[:port]; empty for a repository on disk */
  host: string;
  /** the path without its leading slash, as git credential helpers expect it; for 'file', the absolute path */
  path: string;
  hasCredentials: boolean;
}

export function looksLikeUrl(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s) || /^[^/@:]+@[^/@:]+:/.test(s);
}

/**
 * Does this argument name a repository on disk rather than a remote? As git decides for `git push
 * X`: anything with a slash (a remote name cannot have one), `.`/`..`, or a name that is not a
 * remote but is a directory here.
 */
export function looksLikePath(s: string, isRemoteName: (name: string) => boolean = () => false): boolean {
  if (looksLikeUrl(s)) return false;
  if (s.includes('/') || s === '.' || s === '..') return true;
  return !isRemoteName(s) && fs.existsSync(s);
}

const SUPPORTED = 'a vfi remote is an http:// or https:// git URL (e.g. https://git.example.com/team/vfi-store.git) or the path of a git repository on disk; ssh is not supported';

/** A repository on disk, by its absolute path. */
function onDisk(dir: string): RemoteUrl {
  const abs = path.resolve(dir).replace(/(.)\/+$/, '$1');
  return { url: abs, display: abs, protocol: 'file', host: '', path: abs, hasCredentials: false };
}

/** Parse a remote URL or path, refusing what vfi cannot reach. Relative paths are taken from the current directory, as git does. */
export function parseRemoteUrl(raw: string): RemoteUrl {
  const shown = JSON.stringify(scrubCredentials(raw));
  // WHATWG URL parsing silently drops tabs and newlines and encodes spaces: refuse them instead
  // (a space is fine in a path).
  if (/[\x00-\x1f\x7f]/.test(raw)) {
    throw new VfiError('USAGE', `not a remote: ${shown} contains a control character`, { url: scrubCredentials(raw) }, SUPPORTED);
  }
  if (!looksLikeUrl(raw) && looksLikePath(raw)) return onDisk(raw);
  if (/ /.test(raw)) {
    throw new VfiError('USAGE', `not a remote URL: ${shown} contains a space`, { url: scrubCredentials(raw) }, 'percent-encode a space in a URL as %20');
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new VfiError('USAGE', `not a remote URL: ${shown}`, { url: scrubCredentials(raw) }, SUPPORTED);
  }
  const protocol = u.protocol.slice(0, -1);
  if (protocol === 'file') {
    if (u.host !== '' && u.host !== 'localhost') {
      throw new VfiError('USAGE', `cannot use ${shown}: a file:// URL names a path on this machine (file:///path), not on ${u.host}`, { url: raw }, SUPPORTED);
    }
    return onDisk(decodeURIComponent(u.pathname));
  }
  if (protocol !== 'http' && protocol !== 'https') {
    throw new VfiError('USAGE', `unsupported remote URL scheme "${protocol}:" in ${shown}`, { url: scrubCredentials(raw) }, SUPPORTED);
  }
  // `http:///x.git` parses, with "x.git" taken for the host: the authority must be written.
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/?#@]*@)?([^/?#]*)/.exec(raw)?.[1] ?? '';
  if (authority === '' || u.hostname === '') {
    throw new VfiError('USAGE', `not a remote URL: ${shown} has no host`, { url: scrubCredentials(raw) }, SUPPORTED);
  }
  const hasCredentials = u.username !== '' || u.password !== '';
  const display = displayUrl(raw);
  return { url: raw.replace(/\/+$/, ''), display: display.replace(/\/+$/, ''), protocol: protocol as 'http' | 'https', host: u.host, path: decodeURIComponent(u.pathname.replace(/^\/+/, '')), hasCredentials };
}

/** The URL without user:password@, for messages. */
export function displayUrl(raw: string): string {
  return scrubCredentials(raw);
}

/** Remove `user:password@` (or `token@`) from every URL in a text. */
export function scrubCredentials(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@\s]*@/g, '$1');
}
