/**
 * Remote URLs: parsed once at the edge, and always shown without credentials. vfi speaks git's
 * smart HTTP(S) only, so that is what a vfi remote is (a URL git itself would accept for `git fetch`).
 */
import * as fs from 'node:fs';
import { VfiError } from '../errors.js';

/** A checked remote URL: `url` is what is sent (it may carry user:pass@), `display` is safe to print. */
export interface RemoteUrl {
  url: string;
  display: string;
  protocol: 'http' | 'https';
  /** host[:port] */
  host: string;
  /** the path without its leading slash, as git credential helpers expect it */
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

const ONLY_HTTP = 'vfi talks to git servers over http:// or https:// only (not ssh, file:// or a path on disk), e.g. https://git.example.com/team/vfi-store.git';

/** Parse a remote URL, refusing what the HTTP transport cannot reach. */
export function parseRemoteUrl(raw: string): RemoteUrl {
  const shown = JSON.stringify(scrubCredentials(raw));
  if (!looksLikeUrl(raw) && looksLikePath(raw)) {
    throw new VfiError('USAGE', `${shown} is a path: only http(s) remotes are supported`, { url: scrubCredentials(raw) }, ONLY_HTTP);
  }
  // WHATWG URL parsing silently drops tabs and newlines and encodes spaces: refuse them instead.
  if (/[\x00-\x20\x7f]/.test(raw)) {
    throw new VfiError('USAGE', `not a remote URL: ${shown} contains a space or a control character`, { url: scrubCredentials(raw) },
      'percent-encode a space in a path as %20');
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new VfiError('USAGE', `not a remote URL: ${shown}`, { url: scrubCredentials(raw) }, ONLY_HTTP);
  }
  const protocol = u.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https') {
    throw new VfiError('USAGE', `unsupported remote URL scheme "${protocol}:" in ${shown}: only http(s) remotes are supported`, { url: scrubCredentials(raw) }, ONLY_HTTP);
  }
  // `http:///x.git` parses, with "x.git" taken for the host: the authority must be written.
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/?#@]*@)?([^/?#]*)/.exec(raw)?.[1] ?? '';
  if (authority === '' || u.hostname === '') {
    throw new VfiError('USAGE', `not a remote URL: ${shown} has no host`, { url: scrubCredentials(raw) }, ONLY_HTTP);
  }
  const hasCredentials = u.username !== '' || u.password !== '';
  const display = displayUrl(raw);
  return { url: raw.replace(/\/+$/, ''), display: display.replace(/\/+$/, ''), protocol, host: u.host, path: decodeURIComponent(u.pathname.replace(/^\/+/, '')), hasCredentials };
}

/** The URL without user:password@, for messages. */
export function displayUrl(raw: string): string {
  return scrubCredentials(raw);
}

/** Remove `user:password@` (or `token@`) from every URL in a text. */
export function scrubCredentials(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@\s]*@/g, '$1');
}
