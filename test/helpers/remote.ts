/** The CLI for suites whose stores meet through git servers started in this process (gitServer.ts). */
import * as path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { FIXED_ENV, MAIN, runtimeVfi, tempDir, vfi as vfiSync, type Result, type RunOptions } from './cli.js';
import { isolatedGitEnv, runAsync, startGitServer, type GitServer, type GitServerOptions } from './gitServer.js';

export interface RemoteCli {
  /** The suite's temp folder; git's HOME is `home` in it. */
  dir: string;
  /** No user or system git configuration, the fixed author and clock. */
  env: NodeJS.ProcessEnv;
  /** The CLI, asynchronously: a blocking run would stall the server, which shares this process. */
  vfi(store: string, args: string[], extra?: NodeJS.ProcessEnv): Promise<Result>;
  /** Local-only commands may block. */
  local(store: string, args: string[], opts?: RunOptions): Result;
  /** local that must succeed: its stdout. */
  ok(store: string, args: string[], opts?: RunOptions): string;
  /** Publish runtimeVfi(overrides) as NAME at 13:MINUTE; the new id. */
  publish(store: string, name: string, overrides: Record<string, string>, minute?: number): string;
}

/** A temp folder (`prefix`) and the CLI in it; `unset` names variables removed from the environment. */
export function remoteCli(prefix: string, unset: readonly string[] = []): RemoteCli {
  const dir = tempDir(prefix);
  const env: NodeJS.ProcessEnv = { ...isolatedGitEnv(path.join(dir, 'home')), ...FIXED_ENV, VFI_DEBUG: '' };
  for (const k of unset) delete env[k];
  const local = (store: string, args: string[], opts: RunOptions = {}) =>
    vfiSync(store, args, { input: opts.input, env: { ...(env as Record<string, string>), ...opts.env } });
  const publish = (store: string, name: string, overrides: Record<string, string>, minute = 0) => {
    const r = local(store, ['add', name, '-'], { input: JSON.stringify(runtimeVfi(overrides)), env: { VFI_NOW: `2026-11-01T13:${String(minute).padStart(2, '0')}:00Z` } });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim().split('@')[1]!;
  };
  return {
    dir,
    publish,
    env,
    vfi: (store, args, extra = {}) => runAsync(process.execPath, [MAIN, '--store', store, ...args], { env: { ...env, ...extra } }),
    local,
    ok: (store, args, opts = {}) => {
      const r = local(store, args, opts);
      expect(r.code, `vfi ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    },
  };
}

/**
 * A git server for the suite: started in beforeAll, stopped in afterAll; call the result once it
 * runs. `opts` may be a function, for options that earlier beforeAll hooks make (a certificate).
 */
export function useGitServer(opts: GitServerOptions | (() => GitServerOptions) = {}): () => GitServer {
  let server: GitServer | undefined;
  beforeAll(async () => {
    server = await startGitServer(typeof opts === 'function' ? opts() : opts);
  });
  afterAll(async () => {
    if (server) server.fault = undefined; // a held request would keep stop waiting
    await server?.stop();
  });
  return () => server!;
}
