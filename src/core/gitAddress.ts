/**
 * `git` component addresses: `<repository URL>@<40-hex commit>` (SPEC §1). The URL takes the
 * forms git accepts for a remote repository (git-clone(1) "GIT URLS"): `https://`, `http://`,
 * `ssh://`, `git://`, `file://` and the scp-like `[user@]host:path`. A VFI is content-addressed
 * and kept forever, so the URL must carry no secret: http(s) and git URLs take no user part at
 * all (a token is often written as the user name), ssh forms take a user name but no password.
 * Pure: no I/O.
 */

const COMMIT = /^[0-9a-f]{40}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;
const USER = /^[A-Za-z0-9._~-]+$/;
// Conservative on purpose: what repository paths use, plus %-escapes for anything else.
const PATH_CHAR = /^[A-Za-z0-9._~/%+:=,-]$/;
const SCHEMES = ['https', 'http', 'ssh', 'git', 'file'] as const;
// `x:rest` is scp-like to git (host x); these x are URI schemes, which a VFI must not smuggle in as hosts.
const NOT_HOSTS = new Set([...SCHEMES, 'javascript', 'vbscript', 'data', 'blob', 'about', 'mailto', 'ftp', 'ftps']);

export interface GitAddress {
  url: string;
  commit: string;
}

export type GitAddressResult = { ok: true; address: GitAddress } | { ok: false; reason: string };

/** Parse `<repository URL>@<40-hex commit>`, or say why it is not one. */
export function tryParseGitAddress(address: string): GitAddressResult {
  const fail = (reason: string): GitAddressResult => ({ ok: false, reason });
  const bad = /[\s\u0000-\u001f\u007f-\u009f]/.exec(address);
  if (bad) return fail(`contains ${describeChar(bad[0])}`);
  const at = address.lastIndexOf('@');
  if (at < 0) return fail('expected <repository URL>@<40-hex commit>');
  const url = address.slice(0, at);
  const commit = address.slice(at + 1);
  if (!COMMIT.test(commit)) {
    return fail(/^[0-9a-fA-F]{40}$/.test(commit)
      ? `the commit id "${commit}" must be lowercase`
      : `"${commit}" after the last "@" is not a full 40-hex commit id`);
  }
  if (/@[0-9a-fA-F]{40}$/.test(url)) return fail('more than one "@<commit>": give exactly one commit');
  if (url === '') return fail('the repository URL is empty');
  const problem = urlProblem(url);
  return problem ? fail(problem) : { ok: true, address: { url, commit } };
}

/** Why `address` is not a git address, or undefined. */
export function gitAddressProblem(address: string): string | undefined {
  const r = tryParseGitAddress(address);
  return r.ok ? undefined : r.reason;
}

function urlProblem(url: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const name = scheme[1]!;
    if (!(SCHEMES as readonly string[]).includes(name)) {
      return `unsupported scheme "${name}://" (use ${SCHEMES.map((s) => `${s}://`).join(', ')} or user@host:path)`;
    }
    return schemeUrlProblem(name as (typeof SCHEMES)[number], url.slice(name.length + 3));
  }
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) return scpLikeProblem(url);
  return 'the repository URL must be https://, http://, ssh://, git://, file:// or user@host:path (a local path is file:///path)';
}

function schemeUrlProblem(scheme: (typeof SCHEMES)[number], rest: string): string | undefined {
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (scheme === 'file') {
    if (authority !== '' && authority !== 'localhost') return 'a file:// URL names a local path: file:///path';
    return pathProblem(path);
  }
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  if (userinfo !== undefined) {
    if (scheme !== 'ssh') {
      return `the URL carries credentials ("${redact(userinfo)}@"): a VFI is kept forever, so ${scheme}:// URLs take no user name or token ` +
        '(git asks a credential helper instead)';
    }
    const problem = userProblem(userinfo);
    if (problem) return problem;
  }
  const port = /^(.*?)(?::(\d*))?$/.exec(hostPort)!;
  const host = hostPort.startsWith('[') ? /^(\[[^\]]*\])(?::(\d*))?$/.exec(hostPort) ?? port : port;
  if (host[1] === '') return `a ${scheme}:// URL needs a host`;
  if (!HOST.test(host[1]!)) return `"${host[1]}" is not a host name`;
  if (host[2] !== undefined && !(/^\d{1,5}$/.test(host[2]) && Number(host[2]) >= 1 && Number(host[2]) <= 65535)) {
    return `"${host[2]}" is not a port number`;
  }
  return pathProblem(path);
}

/** `[user@]host:path`: recognised by git when a colon comes before any slash. */
function scpLikeProblem(url: string): string | undefined {
  const colon = url.indexOf(':');
  const authority = url.slice(0, colon);
  const at = authority.lastIndexOf('@');
  if (at < 0 && /^[^/@]*@/.test(url.slice(colon + 1))) {
    // `user:password@host:path`: git would read "user" as the host; say what it really is.
    return 'the URL carries a password ("user:…@"): a VFI is kept forever, so it takes a user name at most (git@host:path)';
  }
  if (at >= 0) {
    const problem = userProblem(authority.slice(0, at));
    if (problem) return problem;
  }
  const host = authority.slice(at + 1);
  if (at < 0 && NOT_HOSTS.has(host.toLowerCase())) return `"${host}:" is a URL scheme, not a repository host (scp-like addresses are user@host:path)`;
  if (!HOST.test(host)) return `"${host}" is not a host name`;
  const path = url.slice(colon + 1);
  if (path === '') return 'expected a repository path after "host:"';
  return pathProblem(path);
}

function userProblem(userinfo: string): string | undefined {
  if (userinfo.includes(':')) {
    return 'the URL carries a password ("user:…@"): a VFI is kept forever, so it takes a user name at most (ssh://git@host/path)';
  }
  if (!USER.test(userinfo)) return `"${userinfo}" is not a user name`;
  return undefined;
}

function pathProblem(path: string): string | undefined {
  if (path.replace(/^\/+/, '') === '') return 'expected a repository path after the host';
  for (const ch of path) {
    if (!PATH_CHAR.test(ch)) {
      return `the repository path contains ${describeChar(ch)} (allowed: letters, digits, - . _ ~ / + : = , and %-escapes)`;
    }
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return 'the repository path has a "%" that is not a %-escape';
  return undefined;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (/\s/.test(ch) || code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
    return `white space or a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  }
  return JSON.stringify(ch);
}

/** Never repeat a secret in an error message. */
const redact = (userinfo: string): string => (userinfo.includes(':') ? `${userinfo.slice(0, userinfo.indexOf(':'))}:…` : '…');
