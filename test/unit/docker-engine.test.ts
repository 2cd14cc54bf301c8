/**
 * Error mapping (engine answers → VfiError codes), the pieces of the direct registry client, and
 * that registry secrets stay out of docker-modem's debug log. The answers below are the ones
 * dockerd 20.10 gave in test/integration/docker.test.ts.
 */
import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mapEngineError, type ErrorContext } from '../../src/docker/engine.js';
import { fetchManifest, parseChallenge, isInsecureRegistry, hostOf, registryEndpointHost } from '../../src/docker/registry.js';
import type { RegistryAuth } from '../../src/docker/credentials.js';
import type { ErrorCode } from '../../src/errors.js';

const AUTH: RegistryAuth = { username: 'u', password: 'p', serveraddress: 'reg.example:5000' };

function ctx(over: Partial<ErrorContext> = {}): ErrorContext {
  return { ref: 'reg.example:5000/team/app:v1', op: 'distribution inspect', engine: 'unix:///var/run/docker.sock', auth: undefined, signal: new AbortController().signal, ...over };
}

function httpError(statusCode: number, message: string) {
  return Object.assign(new Error(`(HTTP code ${statusCode}) x - ${message}`), { statusCode, json: { message } });
}

describe('mapEngineError', () => {
  const cases: [string, number, string, boolean, ErrorCode][] = [
    ['unknown tag', 404, 'manifest unknown: manifest unknown', false, 'IMAGE_NOT_FOUND'],
    ['pull of unknown tag', 404, 'manifest for x:nope not found: manifest unknown: manifest unknown', false, 'IMAGE_NOT_FOUND'],
    ['no credentials (basic auth registry)', 500, 'Head "http://127.0.0.1:5000/v2/team/app/manifests/v1": no basic auth credentials', false, 'UNAUTHORIZED'],
    ['wrong credentials', 401, 'unauthorized: authentication required', true, 'UNAUTHORIZED'],
    ['pull with wrong credentials (500, not 401)', 500, 'unauthorized: authentication required', true, 'UNAUTHORIZED'],
    ['token registry, private or missing repo', 401, 'denied: requested access to the resource is denied', false, 'UNAUTHORIZED'],
    ['registry stopped', 500, 'Get "http://127.0.0.1:5009/v2/": dial tcp 127.0.0.1:5009: connect: connection refused', false, 'REGISTRY'],
    ['dns failure', 500, 'Get "https://nope.invalid/v2/": dial tcp: lookup nope.invalid on 1.1.1.1:53: no such host', false, 'REGISTRY'],
    ['registry answering 500', 500, 'received unexpected HTTP status: 500 Internal Server Error', false, 'REGISTRY'],
    ['rate limit', 500, 'toomanyrequests: You have reached your pull rate limit', false, 'REGISTRY'],
    ['bad request', 400, 'invalid reference format', false, 'ENGINE'],
    // dockerd 20.10 distribution/errors.go notFoundError for the registry's DENIED, on pull (404)
    ['pull, Docker Hub style denied', 404, "pull access denied for reg.example:5000/team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", false, 'UNAUTHORIZED'],
    ['pull, Docker Hub style denied, with credentials', 404, "pull access denied for reg.example:5000/team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", true, 'UNAUTHORIZED'],
    ['an engine-side permission error is not a registry denial', 500, 'open /var/lib/docker/image/overlay2/repositories.json: permission denied', false, 'REGISTRY'],
  ];
  it.each(cases)('%s → %s', (_label, status, message, withAuth, code) => {
    const e = mapEngineError(httpError(status, message), ctx(withAuth ? { auth: AUTH } : {}));
    expect(e.code).toBe(code);
    expect(e.message).toContain('reg.example:5000');
  });

  it('a 401 without credentials may also mean "does not exist": flagged, not guessed', () => {
    const e = mapEngineError(httpError(401, 'denied: requested access to the resource is denied'), ctx());
    expect(e.data.maybeNotFound).toBe(true);
    const withCreds = mapEngineError(httpError(401, 'unauthorized: authentication required'), ctx({ auth: AUTH }));
    expect(withCreds.data.maybeNotFound).toBeUndefined();
  });

  it('socket errors are ENGINE and name the socket', () => {
    for (const code of ['ENOENT', 'ECONNREFUSED', 'EACCES']) {
      const e = mapEngineError(Object.assign(new Error(`connect ${code}`), { code, address: '/run/x.sock' }), ctx({ engine: 'unix:///run/x.sock' }));
      expect(e.code).toBe('ENGINE');
      expect(e.message).toContain('unix:///run/x.sock');
    }
  });

  it('a tcp engine is named with its port (err.address has only the host)', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 1 });
    const e = mapEngineError(err, ctx({ engine: 'tcp://127.0.0.1:1' }));
    expect(e.code).toBe('ENGINE');
    expect(e.message).toContain('tcp://127.0.0.1:1');
  });

  it('the pull path\'s "pull access denied … may require docker login" is ambiguous, not IMAGE_NOT_FOUND', () => {
    const text = "pull access denied for nosuch/repo, repository does not exist or may require 'docker login': denied: requested access to the resource is denied";
    // as a streamed request: docker-modem folds the engine's JSON message into err.message
    const streamed = Object.assign(new Error(`(HTTP code 404) unexpected - ${text} `), { statusCode: 404, json: null });
    for (const [label, err, auth] of [['json', httpError(404, text), undefined], ['streamed', streamed, undefined], ['with credentials', httpError(404, text), AUTH]] as const) {
      const e = mapEngineError(err, ctx({ op: 'pull', ref: 'docker.io/nosuch/repo:latest', auth }));
      expect(e.code, label).toBe('UNAUTHORIZED');
      expect(e.data.maybeNotFound, label).toBe(true);
      expect(e.message, label).toMatch(/does not exist/);
      expect(e.hint, label).toBe('docker login docker.io');
    }
  });

  it('a distribution inspect the engine cannot make at all is ENGINE with pullMayHelp', () => {
    const html = '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n';
    const cases: [string, Error][] = [
      ['dockerd without the route', httpError(404, 'page not found')],
      ['socket proxy (HTML body)', Object.assign(new Error(`(HTTP code 403) unexpected - ${html}`), { statusCode: 403, json: Buffer.from(html) })],
      ['authz plugin', httpError(403, 'authorization denied by plugin opa: request rejected')],
      ['not implemented', httpError(501, 'not implemented')],
    ];
    for (const [label, err] of cases) {
      const e = mapEngineError(err, ctx());
      expect(e.code, label).toBe('ENGINE');
      expect(e.data.pullMayHelp, label).toBe(true);
      expect(e.message, label).not.toMatch(/<html|<h1/);
    }
    // the same answers to a pull: a pull does not help a pull
    expect(mapEngineError(httpError(404, 'page not found'), ctx({ op: 'pull' })).data.pullMayHelp).toBeUndefined();
    // a registry's own 404 is not one of them
    expect(mapEngineError(httpError(404, 'manifest unknown: manifest unknown'), ctx()).data.pullMayHelp).toBeUndefined();
  });

  it('an aborted call is TIMEOUT', () => {
    const ac = new AbortController();
    ac.abort(new DOMException('timed out', 'TimeoutError'));
    const e = mapEngineError(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }), ctx({ signal: ac.signal }));
    expect(e.code).toBe('TIMEOUT');
  });

  it('streamed errors (pull) carry the engine message in err.message only', () => {
    const e = mapEngineError(Object.assign(new Error('(HTTP code 404) not found - manifest for a:b not found: manifest unknown: manifest unknown '), { statusCode: 404 }), ctx({ op: 'pull' }));
    expect(e.code).toBe('IMAGE_NOT_FOUND');
    expect(e.data.engineMessage).toBe('manifest for a:b not found: manifest unknown: manifest unknown');
  });

  it('never puts credentials in the error', () => {
    const e = mapEngineError(httpError(401, 'unauthorized: authentication required'), ctx({ auth: { username: 'someone', password: 'hunter2', serveraddress: 'x' } }));
    expect(`${e.message} ${e.hint} ${JSON.stringify(e.data)}`).not.toMatch(/hunter2|someone/);
  });
});

describe('registry helpers', () => {
  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/ubuntu:pull' },
    });
    expect(parseChallenge('Basic realm="vfi-test"')).toEqual({ scheme: 'basic', params: { realm: 'vfi-test' } });
    expect(parseChallenge(undefined)).toBeUndefined();
  });

  it('decides insecure registries as dockerd does', () => {
    const config = { InsecureRegistryCIDRs: ['127.0.0.0/8', '10.1.0.0/16'], IndexConfigs: { 'docker.io': { Secure: true }, 'lan.example:5000': { Secure: false } } };
    expect(isInsecureRegistry('127.0.0.1:5000', ['127.0.0.1'], config)).toBe(true);
    expect(isInsecureRegistry('localhost:5000', ['::1', '127.0.0.1'], config)).toBe(true);
    expect(isInsecureRegistry('build:5000', ['10.1.2.3'], config)).toBe(true);
    expect(isInsecureRegistry('lan.example:5000', ['192.168.1.1'], config)).toBe(true);
    expect(isInsecureRegistry('docker.io', ['127.0.0.1'], config)).toBe(false);
    expect(isInsecureRegistry('ghcr.io', ['140.82.1.1'], config)).toBe(false);
    expect(hostOf('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(hostOf('[::1]:5000')).toBe('::1');
    expect(registryEndpointHost('docker.io')).toBe('registry-1.docker.io');
  });
});

/**
 * A token-auth registry (the Docker Hub protocol) on loopback: no Debian package provides a
 * token server, so this one is a fake. /token hands out a token for Basic credentials u:p or
 * for the refresh token "refresh-me"; /v2/team/app/manifests/<ref> wants it.
 */
async function tokenRegistry(index: Buffer) {
  const digest = 'sha256:' + createHash('sha256').update(index).digest('hex');
  const tokenRequests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url.pathname === '/token') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const basicOk = req.headers.authorization === 'Basic ' + Buffer.from('u:p').toString('base64');
        const refreshOk = req.method === 'POST' && form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'refresh-me';
        tokenRequests.push(`${req.method} ${url.searchParams.get('scope') ?? form.get('scope')}`);
        if (!basicOk && !refreshOk) {
          res.writeHead(401).end('{}');
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(refreshOk ? { access_token: 'tok' } : { token: 'tok' }));
      });
      return;
    }
    if (req.headers.authorization !== 'Bearer tok') {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${base}/token",service="fake",scope="repository:team/app:pull"` }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    if (url.pathname === `/v2/team/app/manifests/${digest}` || url.pathname === '/v2/team/app/manifests/v1') {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.list.v2+json' }).end(index);
      return;
    }
    if (url.pathname === '/v2/team/app/manifests/lying') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"mediaType":"x"}');
      return;
    }
    res.writeHead(404).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { host, digest, tokenRequests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('fetchManifest (fake token registry)', () => {
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: [] }));
  const signal = () => AbortSignal.timeout(5_000);

  it('Basic credentials for a token, then the index, checked against its digest', async () => {
    const reg = await tokenRegistry(index);
    try {
      const got = await fetchManifest({ domain: reg.host, path: 'team/app', reference: reg.digest }, { ...AUTH, serveraddress: reg.host }, { insecure: true, signal: signal() });
      expect(got.digest).toBe(reg.digest);
      expect(got.bytes.equals(index)).toBe(true);
      expect(got.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
      expect(reg.tokenRequests).toEqual(['GET repository:team/app:pull']);
    } finally {
      await reg.close();
    }
  });

  it('an identity token is exchanged with grant_type=refresh_token', async () => {
    const reg = await tokenRegistry(index);
    try {
      const got = await fetchManifest({ domain: reg.host, path: 'team/app', reference: 'v1' }, { identitytoken: 'refresh-me', serveraddress: reg.host }, { insecure: true, signal: signal() });
      expect(got.digest).toBe(reg.digest);
      expect(reg.tokenRequests).toEqual(['POST repository:team/app:pull']);
    } finally {
      await reg.close();
    }
  });

  it('refused credentials: UNAUTHORIZED without the secret; unknown: IMAGE_NOT_FOUND; wrong bytes: REGISTRY', async () => {
    const reg = await tokenRegistry(index);
    try {
      const bad = fetchManifest({ domain: reg.host, path: 'team/app', reference: 'v1' }, { username: 'u', password: 'wrong-secret', serveraddress: reg.host }, { insecure: true, signal: signal() });
      await expect(bad).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      await bad.catch((e: Error) => expect(e.message).not.toContain('wrong-secret'));
      await expect(fetchManifest({ domain: reg.host, path: 'team/app', reference: 'nope' }, { ...AUTH, serveraddress: reg.host }, { insecure: true, signal: signal() })).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
      await expect(
        fetchManifest({ domain: reg.host, path: 'team/app', reference: 'sha256:' + 'a'.repeat(64) }, { ...AUTH, serveraddress: reg.host }, { insecure: true, signal: signal() }),
      ).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    } finally {
      await reg.close();
    }
  });

  it('nobody listening: REGISTRY; a secure registry is never tried over plain HTTP', async () => {
    const reg = await tokenRegistry(index);
    const host = reg.host;
    await reg.close();
    await expect(fetchManifest({ domain: host, path: 'team/app', reference: 'v1' }, undefined, { insecure: true, signal: signal() })).rejects.toMatchObject({ code: 'REGISTRY' });
    const live = await tokenRegistry(index);
    try {
      // plain-HTTP server, registry considered secure: HTTPS only, which fails
      await expect(fetchManifest({ domain: live.host, path: 'team/app', reference: 'v1' }, AUTH, { insecure: false, signal: signal() })).rejects.toMatchObject({ code: 'REGISTRY' });
      expect(live.tokenRequests).toEqual([]);
    } finally {
      await live.close();
    }
  });
});
