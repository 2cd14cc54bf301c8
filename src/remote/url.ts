/**
 * Remote URLs: parsed once at the edge, and always shown without credentials. isomorphic-git speaks
 * HTTP(S) only, so that is what a vfi remote is (a URL git itself would accept for `git fetch`).
 */
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

/** Parse a remote URL, refusing what the HTTP transport cannot reach. */
export function parseRemoteUrl(raw: string): RemoteUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new VfiError('USAGE', `not a remote URL: ${scrubCredentials(raw)}`, { url: scrubCredentials(raw) },
      'a vfi remote is an http:// or https:// git URL, e.g. https://git.example.com/team/vfi-store.git');
  }
  const protocol = u.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https') {
    throw new VfiError('USAGE', `unsupported remote URL scheme "${protocol}:" in ${scrubCredentials(raw)}`, { url: scrubCredentials(raw) },
      'vfi talks to git servers over http:// or https:// (ssh and local paths are not supported)');
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
