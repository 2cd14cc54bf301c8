/**
 * What git's transport brings: a real sshd serving a bare repository (push, pull, a divergent
 * merge, "pull first"), git http-backend behind https with a CA given only through http.sslCAInfo
 * in the store's own config and Basic auth answered by a credential helper set in the store's
 * config, and a recording proxy that http_proxy sends git through. All on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../helpers/cli.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';
import { head } from '../helpers/refs.js';
import { startProxy, type Proxy } from '../helpers/proxy.js';
import { startSshServer, type SshServer } from '../helpers/sshServer.js';

const { dir, vfi, local, publish } = remoteCli('vfi-remote-transports-', [
  'GIT_SSL_CAINFO', 'GIT_SSL_NO_VERIFY', 'CURL_CA_BUNDLE', 'http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY', 'all_proxy', 'ALL_PROXY',
]);

describe('over ssh (a real sshd)', () => {
  let sshd: SshServer;
  let repo = '';
  let sshEnv: NodeJS.ProcessEnv = {};
  const a = path.join(dir, 'ssh-a');
  const b = path.join(dir, 'ssh-b');

  beforeAll(async () => {
    sshd = await startSshServer();
    repo = path.join(dir, 'ssh-team.git');
    expect(spawnSync('git', ['init', '-q', '--bare', repo]).status).toBe(0);
    sshEnv = { GIT_SSH_COMMAND: sshd.sshCommand };
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it('pushes to ssh://, pulls by scp-like address into a new store, merges diverged lineages, says "pull first"', async () => {
    publish(a, 'Runtime', {}, 1);
    expect(local(a, ['remote', 'add', 'origin', `ssh://${sshd.user}@127.0.0.1${repo}`]).code).toBe(0);
    const pushed = await vfi(a, ['push'], sshEnv);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(head(repo)).toBe(head(a));

    const pulled = await vfi(b, ['pull', `${sshd.user}@127.0.0.1:${repo}`], sshEnv);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(head(b)).toBe(head(a));
    expect(JSON.parse(local(b, ['remote', 'list', '--json']).stdout)).toEqual([{ name: 'origin', url: `${sshd.user}@127.0.0.1:${repo}` }]);

    // both publish; b pushes first; a is told to pull first, exit 1, and the remote keeps b's head
    publish(a, 'Runtime', { nsq: 'nsqio/nsq:v1.3.0' }, 2);
    publish(b, 'Runtime', { redis: 'redis:7.2' }, 3);
    expect((await vfi(b, ['push'], sshEnv)).code).toBe(0);
    const refused = await vfi(a, ['push'], sshEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/pull first/);
    expect(head(repo)).toBe(head(b));
    // a pulls: a three-way merge that keeps both edits; then its push goes through
    const merged = await vfi(a, ['pull'], sshEnv);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/Runtime: diverged/);
    const vfiJson = git(a, ['show', 'refs/vfi/Runtime:vfi.json']).stdout;
    expect(vfiJson).toContain('nsqio/nsq:v1.3.0');
    expect(vfiJson).toContain('redis:7.2');
    expect((await vfi(a, ['push'], sshEnv)).code).toBe(0);
    expect(head(repo)).toBe(head(a));
    expect(git(repo, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
  });

  it('a key the server does not know: UNAUTHORIZED, store untouched', async () => {
    const other = path.join(dir, 'ssh-other');
    const r = await vfi(other, ['pull', `ssh://${sshd.user}@127.0.0.1${repo}`], { GIT_SSH_COMMAND: sshd.sshCommand.replace(/-i \S+/, '-i /dev/null') });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(other)).toBe(false);
  });
});

describe('over https with a private CA, a credential helper and a proxy', () => {
  let proxy: Proxy;
  let ca = '';

  beforeAll(async () => {
    const ssl = (args: string[]) => {
      const r = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
      expect(r.status, r.stderr).toBe(0);
    };
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=vfi test CA']);
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext']);
    ca = path.join(dir, 'ca.pem');
  });
  const server = useGitServer(() => ({ users: { alice: 's3cret' }, tls: { key: fs.readFileSync(path.join(dir, 'server.key'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'server.pem'), 'utf8') } }));
  const plain = useGitServer();
  beforeAll(async () => {
    server().createRepo('team.git');
    plain().createRepo('team.git');
    proxy = await startProxy();
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('takes the CA and the credential helper from the store\'s own config', async () => {
    const store = path.join(dir, 'tls');
    publish(store, 'Runtime', {}, 1);
    const url = `${server().base}/team.git`;
    expect(local(store, ['remote', 'add', 'origin', url]).code).toBe(0);
    // without the CA: a TLS failure, said as such
    const untrusted = await vfi(store, ['push']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/sslCAInfo/);
    expect(git(store, ['config', 'http.sslCAInfo', ca]).code).toBe(0);
    // with the CA but no credentials: UNAUTHORIZED
    expect((await vfi(store, ['push'])).code).toBe(1);
    expect(git(store, ['config', 'credential.helper', '!f() { test "$1" = get && echo username=alice && echo password=s3cret; }; f']).code).toBe(0);
    const pushed = await vfi(store, ['push']);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(head(server().repoPath('team.git'))).toBe(head(store));
    expect(server().requests.some((r) => r.user === 'alice' && r.service === 'git-receive-pack')).toBe(true);
    // a pull too, with the helper still from the store's config
    publish(store, 'Runtime', { nsq: 'nsqio/nsq:v1.3.0' }, 2);
    expect((await vfi(store, ['push'])).code).toBe(0);
    const other = path.join(dir, 'tls-other');
    expect(spawnSync('git', ['init', '-q', '--bare', other]).status).toBe(0);
    expect(git(other, ['config', 'http.sslCAInfo', ca]).code).toBe(0);
    expect(git(other, ['config', 'credential.helper', '!f() { test "$1" = get && echo username=alice && echo password=s3cret; }; f']).code).toBe(0);
    const pulled = await vfi(other, ['pull', url]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(head(other)).toBe(head(store));
  });

  it('goes through the proxy http_proxy names', async () => {
    const store = path.join(dir, 'proxied');
    publish(store, 'Runtime', {}, 1);
    const url = `${plain().base}/team.git`;
    const r = await vfi(store, ['push', url], { http_proxy: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.forwarded.some((f) => f.includes(`${new URL(plain().base).host}/team.git/info/refs`))).toBe(true);
    expect(proxy.forwarded.some((f) => f.includes('git-receive-pack'))).toBe(true);
    expect(head(plain().repoPath('team.git'))).toBe(head(store));
  });
});
