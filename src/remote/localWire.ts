/**
 * A repository on disk (a path, or file://: a bare repository on a shared or NFS volume is a common
 * team setup), reached the way `git http-backend` reaches it: git's own upload-pack and
 * receive-pack in stateless-RPC mode (`--stateless-rpc --advertise-refs`, then `--stateless-rpc`
 * with the request on stdin), so the same requests and answers as over HTTP, and the repository's
 * own hooks, permissions (core.sharedRepository) and checks (receive.fsckObjects) apply, as they
 * do for `git push /path`. Needs git on the PATH.
 */
import { spawn } from 'node:child_process';
import { FLUSH, pktLine } from './pktLine.js';

export type Service = 'git-upload-pack' | 'git-receive-pack';

/** How the two requests of git's stateless protocol reach a repository. */
export interface Wire {
  /** the ref advertisement of `service`, starting with its `# service=` line */
  advertise(service: Service): Promise<AsyncIterable<Uint8Array> | Iterable<Uint8Array>>;
  /** one request to `service`, and its answer */
  rpc(service: Service, body: Buffer[]): Promise<AsyncIterable<Uint8Array> | Iterable<Uint8Array>>;
  close(): void;
}

/** git on the path could not serve the repository. */
export class LocalGitError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-a-repository' | 'no-git' | 'failed',
  ) {
    super(message);
  }
}

// What git itself clears before running a command in another repository (environment.c local_repo_env).
const REPOSITORY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_GRAFT_FILE', 'GIT_SHALLOW_FILE', 'GIT_NO_REPLACE_OBJECTS', 'GIT_REPLACE_REF_BASE', 'GIT_PREFIX', 'GIT_NAMESPACE', 'GIT_QUARANTINE_PATH', 'GIT_PROTOCOL'];

function runGit(args: string[], input: readonly Buffer[], env: NodeJS.ProcessEnv, onBytes?: (n: number) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const clean = { ...env };
    for (const k of REPOSITORY_ENV) delete clean[k];
    const child = spawn('git', args, { env: clean, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let received = 0;
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      received += d.length;
      onBytes?.(received);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 65536) err += d.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new LocalGitError(e.code === 'ENOENT' ? 'git is not installed (it is needed for a repository on disk)' : e.message, e.code === 'ENOENT' ? 'no-git' : 'failed')));
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out));
      const said = err.split('\n').map((l) => l.replace(/^(fatal|error): /, '').trim()).filter(Boolean).at(-1) ?? `git ${args[0]} exited with ${code}`;
      reject(new LocalGitError(said, /does not appear to be a git repository|not a git repository/i.test(err) ? 'not-a-repository' : 'failed'));
    });
    child.stdin.on('error', () => {}); // it exited before reading everything: its status says why
    for (const b of input) child.stdin.write(b);
    child.stdin.end();
  });
}

export function localWire(dir: string, env: NodeJS.ProcessEnv, onBytes?: (n: number) => void): Wire {
  const command = (service: Service) => service.slice('git-'.length);
  return {
    async advertise(service) {
      const refs = await runGit([command(service), '--stateless-rpc', '--advertise-refs', dir], [], env, onBytes);
      return [pktLine(`# service=${service}\n`), FLUSH, refs];
    },
    async rpc(service, body) {
      return [await runGit([command(service), '--stateless-rpc', dir], body, env, onBytes)];
    },
    close() {},
  };
}
