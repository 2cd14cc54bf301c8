/**
 * Secrets stay out (issue 18, item 7): `vfi push` and `vfi pull` with credentials from the
 * environment and from a git credential helper configured in the store, against a server on
 * 127.0.0.1 that fails in every way (connection refused, 401, 500, a reset mid-response). Then
 * stdout, stderr, VFI_DEBUG=1 traces, every file of the store and every object in it are searched
 * for the secret, plain and base64-encoded. Black-box through the CLI: it holds whatever the
 * transport is (vfi's own HTTP client or the git binary), and checks no wording.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, runtimeVfi, tempDir, vfi } from '../helpers/cli.js';

const dir = tempDir('vfi-secrets-');

type Mode = 'unauthorized' | 'error' | 'reset';

interface Server {
  url: (mode: Mode) => string;
  /** every Authorization header the server received */
  authorizations: string[];
  close(): Promise<void>;
}

// The server runs in a process of its own: the CLI runs through spawnSync, which blocks this one.
const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const log = process.argv[1];
const server = http.createServer((req, res) => {
  const mode = (req.url || '').split('/')[1];
  const auth = req.headers.authorization;
  if (auth) fs.appendFileSync(log, auth + '\\n');
  req.resume();
  if (!auth || mode === 'unauthorized') {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="vfi-test"', 'Content-Type': 'text/plain' });
    res.end('authentication required\\n');
  } else if (mode === 'error') {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('internal server error\\n');
  } else {
    // Headers and a first piece of an advertisement, then the connection torn down.
    res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' });
    res.write('001e# service=git-upload-pack\\n0000');
    setImmediate(() => req.socket.destroy());
  }
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startFailingServer(): Promise<Server> {
  const log = path.join(dir, 'authorizations.log');
  fs.writeFileSync(log, '');
  const child = spawn(process.execPath, ['-e', SERVER, log], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`the test server exited (${code})`)));
  });
  return {
    url: (mode) => `http://127.0.0.1:${port}/${mode}/store.git`,
    get authorizations() {
      return fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
    },
    close: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

/** A port nothing listens on: one the kernel just gave out, closed again. */
async function refusedUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/refused/store.git`;
}

let server: Server;
beforeAll(async () => {
  server = await startFailingServer();
});
afterAll(async () => {
  await server?.close();
});

/** The forms a secret could leak in: as is, in a Basic header, in a URL. */
function forms(secret: string, user: string): string[] {
  return [secret, Buffer.from(`${user}:${secret}`).toString('base64'), Buffer.from(secret).toString('base64'), encodeURIComponent(secret)];
}

function everythingInStore(store: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) parts.push(Buffer.from(p), fs.readFileSync(p));
    }
  };
  walk(store);
  // Objects are compressed on disk: read every one of them as git sees it, reachable or not.
  const all = spawnSync('git', ['--git-dir', store, 'cat-file', '--batch-all-objects', '--batch'], { maxBuffer: 1 << 28 });
  parts.push(all.stdout ?? Buffer.alloc(0));
  const reachable = spawnSync('git', ['--git-dir', store, 'log', '--all', '-p', '--format=raw'], { maxBuffer: 1 << 28 });
  parts.push(reachable.stdout ?? Buffer.alloc(0));
  return Buffer.concat(parts);
}

const SECRETS = {
  token: 'tok-9f8e7d6c5b4a-SECRET',
  password: 'pw-Hx81qZ-SECRET',
  helper: 'helper-pw-77QvR-SECRET',
};

describe('secrets stay out of output, traces and the store', () => {
  const cases: { label: string; env: Record<string, string>; helper: boolean; secret: string; user: string }[] = [
    { label: 'token from the environment', env: { VFI_REMOTE_TOKEN: SECRETS.token }, helper: false, secret: SECRETS.token, user: '' },
    { label: 'user name and password from the environment', env: { VFI_REMOTE_USERNAME: 'alice', VFI_REMOTE_PASSWORD: SECRETS.password }, helper: false, secret: SECRETS.password, user: 'alice' },
    { label: 'a credential helper configured in the store', env: {}, helper: true, secret: SECRETS.helper, user: 'bob' },
  ];

  for (const c of cases) {
    it(`${c.label}: push and pull against refused, 401, 500 and reset leave no trace of the secret`, async () => {
      const store = path.join(dir, c.label.replace(/\W+/g, '-'));
      ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
      if (c.helper) {
        // The helper lives outside the store, as a real one does (a keychain, a vault).
        const helper = path.join(dir, 'credential-helper.sh');
        fs.writeFileSync(helper, `#!/bin/sh\ntest "$1" = get || exit 0\nprintf 'username=bob\\npassword=%s\\n' '${c.secret}'\n`, { mode: 0o755 });
        expect(spawnSync('git', ['--git-dir', store, 'config', 'credential.helper', helper]).status).toBe(0);
        // And in the user's git config, for a `git credential` that does not read the store's.
        const global = path.join(dir, 'gitconfig');
        fs.writeFileSync(global, `[credential]\n\thelper = ${helper}\n`);
        c.env.GIT_CONFIG_GLOBAL = global;
      }
      const urls = [await refusedUrl(), server.url('unauthorized'), server.url('error'), server.url('reset')];
      const seenBefore = server.authorizations.length;
      let output = '';
      for (const url of urls) {
        for (const command of ['push', 'pull']) {
          for (const debug of command === 'push' ? ['1'] : ['', '1']) {
            // Neither git nor a terminal may ask: a prompt would hang, and must not be where a secret goes.
            const r = vfi(store, [command, url], { env: { ...c.env, VFI_DEBUG: debug, GIT_TERMINAL_PROMPT: '0', VFI_REMOTE_TIMEOUT: '5' } });
            expect(r.code, `${command} ${url}: ${r.stderr}`).not.toBe(0);
            expect(r.stderr).not.toMatch(/internal error/);
            output += r.stdout + r.stderr;
          }
        }
      }
      // The secret reached the server (so it was in the process, and the search below means something)...
      const sent = server.authorizations.slice(seenBefore).map((h) => Buffer.from(h.replace(/^\w+ /, ''), 'base64').toString('utf8') + h);
      expect(sent.some((h) => h.includes(c.secret)), 'the server never received the credentials').toBe(true);
      // ...and nowhere else.
      const store_ = everythingInStore(store);
      for (const f of forms(c.secret, c.user)) {
        expect(output.includes(f), `output holds ${f}`).toBe(false);
        expect(store_.includes(Buffer.from(f)), `the store holds ${f}`).toBe(false);
      }
    }, 180_000);
  }
});
