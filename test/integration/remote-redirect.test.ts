/**
 * Redirects: a server in front of the real git server (git http-backend) that answers every
 * request with a redirect to another origin (127.0.0.1, another port). git follows them (vfi's
 * transfer is git's): credentials never reach the other origin unasked, a credential helper is
 * asked for the origin that asks (by its host), and vfi forbids an https → http hop. Tests check
 * codes, not wording.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, runtimeVfi, snapshot } from '../helpers/cli.js';
import { startRedirector, type Redirector } from '../helpers/gitServer.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';

const { dir, vfi, local } = remoteCli('vfi-remote-redirect-');

const BASIC_ALICE = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
const helperLog = path.join(dir, 'helper.log');
/** A git credential helper that logs every question it is asked (action and host). */
const helperEnv: NodeJS.ProcessEnv = {
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'credential.helper',
  GIT_CONFIG_VALUE_0: `!f() { host=$(grep '^host=' | cut -d= -f2); echo "$1 $host" >> '${helperLog}'; if [ "$1" = get ]; then echo username=alice; echo password=s3cret; fi; }; f`,
};

const open = useGitServer();
const locked = useGitServer({ users: { alice: 's3cret' } });
const redirectors: Redirector[] = [];
const source = path.join(dir, 'source');

beforeAll(async () => {
  open().createRepo('team.git');
  locked().createRepo('team.git');
  const r = local(source, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
  expect(r.code).toBe(0);
});
afterAll(async () => {
  for (const r of redirectors) await r.stop();
});

async function redirector(target: string, opts: Parameters<typeof startRedirector>[1] = {}): Promise<Redirector> {
  const r = await startRedirector(target, opts);
  redirectors.push(r);
  return r;
}

describe('a redirect to another origin', () => {
  it('drops credentials given in the URL, and the transfer goes on at the new address', async () => {
    const hop = await redirector(open().base);
    const url = `${hop.base.replace('http://', 'http://alice:s3cret@')}/team.git`;
    open().requests.length = 0;
    const pushed = await vfi(source, ['push', url]);
    expect(pushed.code).toBe(0);
    expect(git(open().repoPath('team.git'), ['rev-parse', 'refs/vfi/Runtime']).stdout).toBe(git(source, ['rev-parse', 'refs/vfi/Runtime']).stdout);
    const pulled = await vfi(path.join(dir, 'via-redirect'), ['pull', url]);
    expect(pulled.code).toBe(0);
    expect(open().requests.length).toBeGreaterThan(0);
    expect(open().requests.map((r) => r.authorization)).toEqual(open().requests.map(() => undefined));
  });

  it('a redirect to an origin that asks for credentials: a helper is asked for that origin\'s host', async () => {
    const hop = await redirector(locked().base);
    fs.rmSync(helperLog, { force: true });
    locked().requests.length = 0;
    const store = path.join(dir, 'never-made');
    const r = await vfi(store, ['pull', `${hop.base}/team.git`], { ...helperEnv, VFI_REMOTE_USERNAME: 'mallory', VFI_REMOTE_PASSWORD: 'remote-only' });
    expect(r.stderr).not.toContain('s3cret');
    const lockedHost = new URL(locked().base).host;
    // credentials from the environment are the remote's: git sends them wherever it is asked, so
    // a redirect to an origin that asks makes the transfer fail rather than use a helper's
    expect(r.code).toBe(1);
    expect(fs.existsSync(store)).toBe(false);
    const without = await vfi(path.join(dir, 'helped'), ['pull', `${hop.base}/team.git`], helperEnv);
    expect(without.code, without.stderr).toBe(0);
    const asked = fs.readFileSync(helperLog, 'utf8').trim().split('\n');
    expect(asked.filter((l) => l.startsWith('get ')).every((l) => l === `get ${lockedHost}`)).toBe(true);
  });
});

describe('a redirect from https to http', () => {
  let certEnv: NodeJS.ProcessEnv = {};
  let tls: { key: string; cert: string };

  beforeAll(() => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    tls = { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
    certEnv = { GIT_SSL_CAINFO: cert };
  });

  it('is refused before anything is sent in the clear', async () => {
    const hop = await redirector(open().base, { tls });
    open().requests.length = 0;
    const url = `${hop.base.replace('https://', 'https://alice:s3cret@')}/team.git`;
    const store = path.join(dir, 'downgraded');
    const r = await vfi(store, ['pull', url], certEnv);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('s3cret');
    expect(hop.authorizations.length).toBeGreaterThan(0); // it did reach the https server
    expect(open().requests).toEqual([]);
    expect((await vfi(source, ['push', url], certEnv)).code).toBe(1);
    expect(open().requests).toEqual([]);
  });
});
