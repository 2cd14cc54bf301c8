/**
 * A real git smart-HTTP server for tests: node:http on 127.0.0.1 in front of `git http-backend`,
 * run as a CGI per request (git-http-backend(1): GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL,
 * PATH_INFO, QUERY_STRING, REQUEST_METHOD, CONTENT_TYPE, CONTENT_LENGTH, REMOTE_USER, GIT_PROTOCOL
 * from the Git-Protocol header; the CGI answer is headers, a blank line, the body, with `Status:`
 * giving the HTTP status). Optional Basic auth, read-only users, and fault injection beside the real
 * thing: answer a request with an error status, or cut the connection after some bytes.
 *
 * It runs in the test process, so tests must talk to it asynchronously (spawn, never spawnSync).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface GitRequest {
  method: string;
  /** the path without the query, e.g. /team.git/git-upload-pack */
  path: string;
  /** git-upload-pack or git-receive-pack, when the request is for one */
  service: string | undefined;
  user: string | undefined;
  /** the Authorization header as received, if any */
  authorization?: string;
}

export type Fault =
  /** answer with this status and a short text body, without running git */
  | { status: number; body?: string }
  /** run git, then close the connection after this many bytes of the response body */
  | { cutAfterBytes: number }
  /** wait this long before running git (the request body waits unread) */
  | { holdMs: number };

export interface GitServerOptions {
  /** Basic-auth users and their passwords; when given, every request must authenticate */
  users?: Record<string, string>;
  /** users who may read but not push (403 on receive-pack) */
  readOnly?: string[];
  /** serve https with this key and certificate (PEM) */
  tls?: { key: string; cert: string };
}

export interface GitServer {
  /** http://127.0.0.1:PORT */
  base: string;
  root: string;
  /** make a bare repository that accepts pushes; returns its URL */
  createRepo(name: string): string;
  repoPath(name: string): string;
  /** set to inject a fault into matching requests (return undefined to serve normally) */
  fault: ((r: GitRequest) => Fault | undefined) | undefined;
  /** every request served, in order */
  requests: GitRequest[];
  stop(): Promise<void>;
}

function runGit(args: string[], cwd?: string): void {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

function authUser(req: http.IncomingMessage, users: Record<string, string>): string | undefined {
  const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [user, pass] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return Object.hasOwn(users, user) && users[user] === pass ? user : undefined;
}

/** Split a CGI answer into status, headers and what follows the blank line. */
function parseCgiHead(head: string): { status: number; message: string; headers: [string, string][] } {
  let status = 200;
  let message = 'OK';
  const headers: [string, string][] = [];
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const m = /^(\d{3})\s*(.*)$/.exec(value);
      if (m) {
        status = Number(m[1]);
        message = m[2] || message;
      }
    } else {
      headers.push([name, value]);
    }
  }
  return { status, message, headers };
}

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-git-server-'));
  const home = path.join(root, '.home');
  fs.mkdirSync(home);
  const requests: GitRequest[] = [];
  const state: { fault: GitServer['fault'] } = { fault: undefined };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const service = url.searchParams.get('service') ?? (/\/(git-upload-pack|git-receive-pack)$/.exec(url.pathname)?.[1]);
    let user: string | undefined;
    const authorization = req.headers.authorization;
    if (opts.users) {
      user = authUser(req, opts.users);
      if (!user) {
        req.resume();
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="vfi test server"', 'Content-Type': 'text/plain' });
        res.end('authentication required\n');
        requests.push({ method: req.method ?? 'GET', path: url.pathname, service, user: undefined, authorization });
        return;
      }
      if (service === 'git-receive-pack' && opts.readOnly?.includes(user)) {
        req.resume();
        res.writeHead(403, { 'Content-Type': 'text/plain' });
        res.end('read-only user\n');
        requests.push({ method: req.method ?? 'GET', path: url.pathname, service, user, authorization });
        return;
      }
    }
    const info: GitRequest = { method: req.method ?? 'GET', path: url.pathname, service, user, authorization };
    requests.push(info);
    const fault = state.fault?.(info);
    if (fault && 'status' in fault) {
      req.resume();
      res.writeHead(fault.status, { 'Content-Type': 'text/plain' });
      res.end(fault.body ?? `injected ${fault.status}\n`);
      return;
    }
    if (fault && 'holdMs' in fault) {
      const timer = setTimeout(() => serve(req, res, url, user, undefined), fault.holdMs);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    serve(req, res, url, user, fault);
  };
  const server = opts.tls ? https.createServer(opts.tls, handler) : http.createServer(handler);

  /** Answer one request through git http-backend. */
  function serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL, user: string | undefined, fault: Fault | undefined): void {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_SOFTWARE: 'vfi-test',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
    };
    if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
    if (user) env.REMOTE_USER = user;
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    cgi.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    cgi.stdin.on('error', () => {});
    req.pipe(cgi.stdin);
    let head: Buffer | undefined = Buffer.alloc(0);
    let sent = 0;
    const cut = fault && 'cutAfterBytes' in fault ? fault.cutAfterBytes : Infinity;
    const write = (chunk: Buffer) => {
      if (sent >= cut) return;
      const room = cut - sent;
      res.write(chunk.length > room ? chunk.subarray(0, room) : chunk);
      sent += Math.min(chunk.length, room);
      if (sent >= cut) {
        // Let the bytes reach the client, then drop the connection mid-response.
        setTimeout(() => res.socket?.destroy(), 20);
        cgi.kill();
      }
    };
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (head === undefined) return write(chunk);
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
      if (end < 0) return;
      const parsed = parseCgiHead(head.subarray(0, end).toString('latin1'));
      const rest = head.subarray(end);
      head = undefined;
      res.statusCode = parsed.status;
      res.statusMessage = parsed.message;
      for (const [k, v] of parsed.headers) res.setHeader(k, v);
      // Never Content-Length from the CGI: the body is streamed (chunked), so a cut is detectable.
      res.removeHeader('Content-Length');
      if (rest.length) write(rest);
    });
    cgi.on('close', (code) => {
      if (head !== undefined && !res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`git http-backend failed (${code}): ${stderr}\n`);
        return;
      }
      if (sent < cut) res.end();
    });
  }
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    base,
    root,
    requests,
    get fault() {
      return state.fault;
    },
    set fault(f) {
      state.fault = f;
    },
    repoPath: (name) => path.join(root, name),
    createRepo(name) {
      const dir = path.join(root, name);
      runGit(['init', '--bare', '--quiet', '--initial-branch=main', dir]);
      runGit(['config', 'http.receivepack', 'true'], dir);
      // Check every object received, as hosted git servers do: a malformed object fails the push.
      runGit(['config', 'receive.fsckObjects', 'true'], dir);
      return `${base}/${name}`;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface Redirector {
  /** http(s)://127.0.0.1:PORT */
  base: string;
  /** the Authorization header of every request, in order (undefined: none sent) */
  authorizations: (string | undefined)[];
  stop(): Promise<void>;
}

/**
 * A server that answers every request with a redirect to the same path under `target` (another
 * server), for testing what a client sends where. With `askForCredentials`, a request without an
 * Authorization header gets a 401 first, as a host that redirects only authenticated users does.
 * With `tls`, it speaks https.
 */
export async function startRedirector(target: string, opts: { askForCredentials?: boolean; status?: number; tls?: { key: string; cert: string } } = {}): Promise<Redirector> {
  const authorizations: (string | undefined)[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    authorizations.push(req.headers.authorization);
    req.resume();
    if (opts.askForCredentials && !req.headers.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="redirector"' });
      res.end();
      return;
    }
    res.writeHead(opts.status ?? 302, { Location: `${target}${req.url ?? '/'}` });
    res.end();
  };
  const server: http.Server = opts.tls ? (await import('node:https')).createServer(opts.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    authorizations,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program without blocking the event loop (the server above lives in this process). */
export function runAsync(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** An environment in which git and vfi see no user or system git configuration. */
export function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
  fs.mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
  for (const k of Object.keys(env)) if (k.startsWith('VFI_REMOTE_') || k.startsWith('GIT_CONFIG_KEY_') || k.startsWith('GIT_CONFIG_VALUE_')) delete env[k];
  delete env.GIT_CONFIG_COUNT;
  delete env.GIT_DIR;
  return env;
}
