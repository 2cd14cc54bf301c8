/**
 * A git repository URL as Kargo normalizes it before naming a Freight (pkg/urls NormalizeGit):
 * lowercased, no user part for http(s), no trailing `/` then no `.git`, and scp-like
 * `[user@]host:path` rewritten as `ssh://[user@]host/path`. A URL Kargo cannot normalize comes back
 * as written. Covers the forms a Warehouse subscribes to (http, https, ssh, scp-like); Kargo has no
 * git:// or file:// subscriptions, and their names are left to that rule. Pure.
 */

const SCP_LIKE = /^((?:[\w-]+@)?[\w-]+(?:\.[\w-]+)*)(?::(.*))?$/;
const PERCENT = /%(?![0-9a-f]{2})/;

/** Go's url.PathEscape in path mode: what it leaves as is, it leaves; the rest becomes %XX. */
function escapePath(path: string): string {
  return Array.from(new TextEncoder().encode(path), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/**
 * Trim `/` then `.git` from a path as Go would: the path is compared decoded, and written back as
 * it came when nothing was trimmed, else re-escaped. undefined when the escapes do not decode.
 */
function trimPath(raw: string): string | undefined {
  if (PERCENT.test(raw)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  let trimmed = decoded.endsWith('/') ? decoded.slice(0, -1) : decoded;
  if (trimmed.endsWith('.git')) trimmed = trimmed.slice(0, -4);
  return trimmed === decoded ? raw : escapePath(trimmed);
}

export function kargoGitUrl(url: string): string {
  const lower = url.toLowerCase().trim();
  const scheme = /^(https?|ssh):\/\/([^/?#]*)(.*)$/.exec(lower);
  if (scheme) {
    const [, proto = '', authority = '', rest = ''] = scheme;
    if (rest.includes('?') || rest.includes('#')) return url;
    const host = proto === 'ssh' ? authority : authority.slice(authority.lastIndexOf('@') + 1);
    const path = trimPath(rest);
    return path === undefined ? url : `${proto}://${host}${path}`;
  }
  const scp = SCP_LIKE.exec(lower);
  if (!scp) return url;
  const [, userHost = '', rawPath = ''] = scp;
  // Go parses the path as a relative URL: a colon in its first segment is a scheme or an error.
  if (/^[^/]*:/.test(rawPath) || rawPath.includes('?') || rawPath.includes('#')) return url;
  const path = trimPath(rawPath);
  if (path === undefined) return url;
  return path === '' ? `ssh://${userHost}` : `ssh://${userHost}/${path}`;
}
