/**
 * vfi reaches remotes through the `git` binary, run on the store (a bare repository): `git
 * ls-remote`, `git fetch`, `git push`. Whatever git does for a remote then applies unchanged: ssh
 * with the user's ssh config and agent, credential helpers and TLS settings from every config
 * level (the store's own included), proxies, http.extraHeader, url.<base>.insteadOf, protocol v2.
 * vfi adds only what it promises on top: credentials from VFI_REMOTE_* (given to git through a
 * credential helper in the environment, never on a command line), no prompt without a terminal,
 * and every failure as a VfiError with a stable code and a message without credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VfiError } from '../errors.js';
import type { RemoteUrl } from './url.js';
import { scrubCredentials } from './url.js';
import { repositoryFreeEnv } from '../git/env.js';

export interface GitRunOptions {
  env: NodeJS.ProcessEnv;
  /** a person can answer a credential prompt */
  interactive: boolean;
  /** where git's progress goes: stderr, when it is a terminal */
  progress?: NodeJS.WritableStream;
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Credentials from the environment, or undefined. */
export function credentialFromEnv(env: NodeJS.ProcessEnv): { username: string; password: string } | undefined {
  const token = env.VFI_REMOTE_TOKEN;
  if (token) {
    // With a user name the token is its password (GitLab, Gitea, Bitbucket); alone it is the user
    // name with an empty password, which GitHub and Gitea accept for personal access tokens.
    return env.VFI_REMOTE_USERNAME ? { username: env.VFI_REMOTE_USERNAME, password: token } : { username: token, password: '' };
  }
  if (env.VFI_REMOTE_USERNAME && env.VFI_REMOTE_PASSWORD !== undefined) return { username: env.VFI_REMOTE_USERNAME, password: env.VFI_REMOTE_PASSWORD };
  return undefined;
}

// Reads the credential from the helper's environment, so that it appears in no process listing.
const ENV_HELPER = '!f() { test "$1" = get || exit 0; printf "username=%s\\npassword=%s\\n" "$VFI_GIT_USERNAME" "$VFI_GIT_PASSWORD"; }; f';

/** The environment git runs in for `target`. */
export function gitEnv(target: RemoteUrl | undefined, opts: GitRunOptions): NodeJS.ProcessEnv {
  const env = repositoryFreeEnv(opts.env);
  // (ssh is left as configured: core.sshCommand, GIT_SSH_COMMAND and ~/.ssh/config all apply)
  if (!opts.interactive) env.GIT_TERMINAL_PROMPT = '0';
  const seconds = Number(opts.env.VFI_REMOTE_TIMEOUT);
  if (seconds > 0) {
    env.GIT_HTTP_LOW_SPEED_LIMIT = '1';
    env.GIT_HTTP_LOW_SPEED_TIME = String(Math.ceil(seconds));
  }
  const extra: [string, string][] = [];
  // A remote reached over https is never followed to plain http (git's redirects are curl's).
  if (target?.protocol === 'https') extra.push(['protocol.http.allow', 'never']);
  const cred = target?.credentials ?? credentialFromEnv(opts.env);
  // Given explicitly, they come before every configured helper: an empty value resets the list.
  if (cred) extra.push(['credential.helper', ''], ['credential.helper', ENV_HELPER]);
  if (extra.length > 0) {
    const n = Number(env.GIT_CONFIG_COUNT) || 0;
    env.GIT_CONFIG_COUNT = String(n + extra.length);
    extra.forEach(([k, v], i) => {
      env[`GIT_CONFIG_KEY_${n + i}`] = k;
      env[`GIT_CONFIG_VALUE_${n + i}`] = v;
    });
  }
  if (cred) {
    env.VFI_GIT_USERNAME = cred.username;
    env.VFI_GIT_PASSWORD = cred.password;
  }
  return env;
}

/** Run git on the store; resolves with its status and output (it fails only when git cannot run). */
export function runGit(gitdir: string, args: string[], env: NodeJS.ProcessEnv, opts: { progress?: NodeJS.WritableStream; input?: string; onSpawn?: (child: ChildProcess) => void } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitdir, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    opts.onSpawn?.(child); // remote/bounds.ts watches what it costs
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      opts.progress?.write(d);
      if (err.length < 1 << 20) err += d.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new VfiError('REMOTE', 'git is not installed: vfi reaches remotes through it', { reason: 'no-git' }, 'install git') : e));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: err }));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** A line of git's or a server's words, safe to print: no control characters, no credentials. */
export function masked(text: string): string {
  return scrubCredentials(text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\x00-\x1f\x7f]+/g, ' ').trim());
}

/** The lines git said that carry meaning (its progress meters dropped), masked. */
export function saidLines(stderr: string): string[] {
  return stderr.split(/[\r\n]+/).map(masked).filter((l) => l && !/^(remote: )?(Enumerating|Counting|Compressing|Writing|Receiving|Resolving|Total|Unpacking) /.test(l));
}

type Verb = 'list refs of' | 'fetch from' | 'push to';

/** What a failed git command said, as a VfiError (codes of errors.ts). */
export function gitFailure(stderr: string, target: RemoteUrl, verb: Verb, sentCredentials: boolean): VfiError {
  const where = target.display;
  const data = { url: where };
  const lines = saidLines(stderr);
  const said = lines.filter((l) => /^(fatal|error):/.test(l)).map((l) => l.replace(/^(fatal|error): /, '')).at(-1) ?? lines.at(-1) ?? 'git failed';
  const again = verb === 'push to' ? 'the remote may or may not have been updated; pushing again is safe' : 'nothing was changed in the store; run the command again';
  const status = Number(/returned error: (\d{3})/.exec(stderr)?.[1]) || undefined;
  const credHint = 'give credentials through a git credential helper (git config credential.helper), or VFI_REMOTE_TOKEN, or VFI_REMOTE_USERNAME and VFI_REMOTE_PASSWORD';
  if (/Authentication failed|Invalid username or password/i.test(stderr)) {
    return new VfiError('UNAUTHORIZED', `${where} refused the credentials`, { ...data, status: 401, reason: 'refused' }, credHint);
  }
  if (/could not read (Username|Password)|terminal prompts disabled/i.test(stderr) || status === 401) {
    return new VfiError('UNAUTHORIZED', `${where} requires authentication`, { ...data, status: 401, reason: 'missing' }, credHint);
  }
  if (status === 403) {
    return new VfiError('UNAUTHORIZED', `${where} denied access (HTTP 403)${sentCredentials ? '' : ' without credentials'}`, { ...data, status, reason: 'forbidden', credentialsSent: sentCredentials },
      sentCredentials ? 'the credentials were sent but may not be allowed to do this (read-only access?)' : credHint);
  }
  if (/Permission denied \((publickey|password)/.test(stderr) || /Host key verification failed/.test(stderr)) {
    return new VfiError('UNAUTHORIZED', `${verb} ${where}: ${said}`, { ...data, reason: 'ssh' }, 'check your ssh keys and agent (ssh -T HOST), and the host key in known_hosts');
  }
  if (/SSL certificate problem|server certificate verification failed|unable to get local issuer|self.signed certificate/i.test(stderr)) {
    return new VfiError('NETWORK', `${verb} ${where}: ${said}`, { ...data, reason: 'tls' },
      'give git the CA that signed the server\'s certificate: git config http.sslCAInfo FILE (in the store, or globally), or GIT_SSL_CAINFO');
  }
  if (status === 404 || /does not appear to be a git repository|not a git repository|Repository not found|not valid: is this a git repository|repository '.*' not found/i.test(stderr)) {
    return new VfiError('REMOTE', `${where} is not a git repository`, { ...data, status, reason: 'not-a-repository' },
      'check the URL or path; the repository must exist (make an empty one with git init --bare)');
  }
  if (/Operation too slow|timed out|Timeout was reached/i.test(stderr)) {
    return new VfiError('TIMEOUT', `${verb} ${where}: ${said}`, { ...data, reason: 'timeout' }, again);
  }
  if (/Could not resolve host|Failed to connect|Connection refused|Could not resolve hostname|No route to host|Network is unreachable|Couldn't connect/i.test(stderr)) {
    return new VfiError('NETWORK', `cannot reach ${where}: ${said}`, { ...data, reason: 'unreachable' }, 'check the URL, the network (and proxy settings), and that the server is up');
  }
  if (/fsck|bad object|badTimezone|missing|object file .* is empty|did not send all necessary objects|invalid index-pack output|index-pack failed/i.test(stderr) && verb === 'fetch from') {
    return new VfiError('REMOTE', `${verb} ${where}: what it sent is not sound: ${said}`, { ...data, reason: 'protocol' }, 'no ref of the store was changed');
  }
  if (status !== undefined && status >= 500) {
    return new VfiError('REMOTE', `${verb} ${where} failed: the server answered HTTP ${status}`, { ...data, status, reason: 'http' }, again);
  }
  if (/early EOF|unexpected disconnect|hung up unexpectedly|transfer closed|RPC failed|Connection reset|Empty reply|the remote end hung up|curl \d+|unexpected end of file|expected flush/i.test(stderr)) {
    return new VfiError('NETWORK', `${verb} ${where} was interrupted: ${said}`, { ...data, status, reason: 'interrupted' }, again);
  }
  if (status !== undefined) return new VfiError('REMOTE', `${verb} ${where} failed (HTTP ${status}): ${said}`, { ...data, status, reason: 'http' }, again);
  return new VfiError('REMOTE', `${verb} ${where} failed: ${said}`, { ...data, reason: 'git' }, again);
}

/**
 * The URL git would use for `word` after its `url.<base>.insteadOf` rules (every config level, the
 * store's included), or undefined when git cannot say; node works on while git answers.
 */
export function expandUrl(gitdir: string, word: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return runGit(gitdir, ['ls-remote', '--get-url', '--', word], gitEnv(undefined, { env, interactive: false })).then((r) => (r.code === 0 ? r.stdout.replace(/\n$/, '') : undefined), () => undefined);
}

/**
 * Whether `where` (a remote that listed no refs at all over http) is a web page rather than a git
 * repository. git takes a 200 answer without a ref line for an empty repository served as static
 * files ("dumb" http), so a web server that answers every path with a page looks like an empty
 * remote to it. What git received says which: a git server answers `info/refs` with
 * application/x-git-upload-pack-advertisement, static files with text/plain or octet-stream (and
 * lines of "<id>\t<ref>"), a web page with text/html, or markup under another type. Asked through git itself (its curl trace, with credentials redacted as
 * git always does), so that proxies, CAs and credential helpers apply as for the transfer.
 */
export async function webPageAt(gitdir: string, where: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const trace = curlTrace(env);
  try {
    await runGit(gitdir, ['ls-remote', '--', where, 'refs/vfi/*'], trace.env);
    return trace.page();
  } finally {
    trace.done();
  }
}

/**
 * git's curl trace of one command (credentials redacted, as git always does), to tell a web page
 * from a git repository by what the command received (webPageAt): the environment to run it in.
 */
export function curlTrace(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; page: () => string | undefined; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-probe-'));
  const trace = path.join(dir, 'trace');
  return { env: { ...env, GIT_TRACE_CURL: trace, GIT_TRACE_REDACT: '1' }, page: () => webPageIn(trace), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function webPageIn(trace: string): string | undefined {
  let text = '';
  try {
    text = fs.readFileSync(trace, 'utf8');
  } catch {
    return undefined; // not http after all (an insteadOf rule), or git traced nothing
  }
  // the answer to the first request, info/refs: headers up to the next request
  const first = text.split(/=> Send header: (?:GET|POST) /)[1] ?? '';
  const type = /<= Recv header: Content-Type: *([^\r\n;]+)/i.exec(first)?.[1]?.trim().toLowerCase() ?? 'no type';
  // the trace shows bytes as received: a chunked answer starts with its chunk size, CR LF as ".."
  const body = [...first.matchAll(/<= Recv data: ?(.*)/g)].map((m) => m[1]).join('').replace(/^[0-9a-f]+\.\./i, '');
  return type === 'text/html' || type === 'application/xhtml+xml' || /^\s*</.test(body) ? type : undefined;
}

/** The error for a URL that answers with a web page: one line, exit 1. */
export function webPageError(target: RemoteUrl, type: string, verb: Verb): VfiError {
  return new VfiError('REMOTE', `${verb} ${target.display}: the server answered with a web page (${type}), not a git repository`,
    { url: target.display, reason: 'not-a-repository', contentType: type },
    'check the URL: it must be the repository\'s clone URL (as `git clone` takes it), e.g. https://host/team/vfi.git');
}
