/** The engine choice of the docker CLI (core/dockerContext.ts), table-driven, and its reader on a temp DOCKER_CONFIG. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contextDirName, contextEndpoint, dockerodeTarget, engineSource, type EngineSource } from '../../src/core/dockerContext.js';
import { chooseEngine } from '../../src/docker/context.js';
import { VfiError } from '../../src/errors.js';

const NO_TLS = { ca: false, cert: false, key: false };

describe('engineSource: DOCKER_HOST, then DOCKER_CONTEXT, then currentContext, then the default', () => {
  it.each<[string, Record<string, string>, { currentContext?: unknown } | undefined, EngineSource]>([
    ['nothing set', {}, undefined, { kind: 'default' }],
    ['DOCKER_HOST', { DOCKER_HOST: 'tcp://h:2375' }, { currentContext: 'colima' }, { kind: 'host', host: 'tcp://h:2375' }],
    ['DOCKER_HOST before DOCKER_CONTEXT', { DOCKER_HOST: 'unix:///a.sock', DOCKER_CONTEXT: 'colima' }, undefined, { kind: 'host', host: 'unix:///a.sock' }],
    ['DOCKER_CONTEXT before currentContext', { DOCKER_CONTEXT: 'rootless' }, { currentContext: 'colima' }, { kind: 'context', name: 'rootless', from: 'DOCKER_CONTEXT' }],
    ['currentContext', {}, { currentContext: 'colima' }, { kind: 'context', name: 'colima', from: 'currentContext' }],
    ['DOCKER_CONTEXT=default is the default socket', { DOCKER_CONTEXT: 'default' }, { currentContext: 'colima' }, { kind: 'default' }],
    ['currentContext "default"', {}, { currentContext: 'default' }, { kind: 'default' }],
    ['an empty DOCKER_HOST counts as unset', { DOCKER_HOST: '' }, { currentContext: 'colima' }, { kind: 'context', name: 'colima', from: 'currentContext' }],
    ['a currentContext that is not a string is ignored', {}, { currentContext: 7 }, { kind: 'default' }],
  ])('%s', (_title, env, config, expected) => {
    expect(engineSource(env, config)).toEqual(expected);
  });
});

describe('contextDirName', () => {
  it('is the sha256 hex of the name, as the docker context store names folders', () => {
    // sha256("default"), as `printf default | sha256sum` prints it
    expect(contextDirName('default')).toBe('37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f');
  });
});

describe('contextEndpoint and dockerodeTarget', () => {
  const meta = (Host: unknown, SkipTLSVerify = false) => ({ Name: 'c', Metadata: {}, Endpoints: { docker: { Host, SkipTLSVerify } } });
  it.each<[string, unknown, typeof NO_TLS, object]>([
    ['a unix socket', meta('unix:///run/user/1000/docker.sock'), NO_TLS, { socketPath: '/run/user/1000/docker.sock' }],
    ['tcp without TLS', meta('tcp://10.0.0.5:2375'), NO_TLS, { protocol: 'http', host: '10.0.0.5', port: 2375 }],
    ['tcp with TLS material', meta('tcp://docker.example.com'), { ca: true, cert: true, key: true }, { protocol: 'https', host: 'docker.example.com', port: 2376 }],
    ['tcp, SkipTLSVerify', meta('tcp://docker.example.com:2376', true), NO_TLS, { protocol: 'https', host: 'docker.example.com', port: 2376 }],
    ['ssh', meta('ssh://deploy@build.example.com:2222'), NO_TLS, { protocol: 'ssh', host: 'build.example.com', port: 2222, username: 'deploy' }],
  ])('%s', (_title, m, tls, target) => {
    expect(dockerodeTarget(contextEndpoint('c', m, tls, 'test'))).toEqual(target);
  });

  it.each<[string, unknown]>([
    ['a missing meta.json', undefined],
    ['no docker endpoint', { Endpoints: {} }],
    ['an endpoint vfi cannot reach', meta('npipe:////./pipe/docker_engine')],
  ])('refuses %s (ENGINE, exit 1)', (_title, m) => {
    let code: string | undefined;
    try {
      dockerodeTarget(contextEndpoint('c', m, NO_TLS, 'test'));
    } catch (e) {
      code = (e as VfiError).code;
    }
    expect(code).toBe('ENGINE');
  });
});

describe('chooseEngine reads the context store', () => {
  const config = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-docker-config-'));
  afterAll(() => fs.rmSync(config, { recursive: true, force: true }));
  const hash = contextDirName('remote');
  fs.mkdirSync(path.join(config, 'contexts', 'meta', hash), { recursive: true });
  fs.writeFileSync(path.join(config, 'contexts', 'meta', hash, 'meta.json'), JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'tcp://docker.example.com:2376', SkipTLSVerify: false } } }));
  fs.mkdirSync(path.join(config, 'contexts', 'tls', hash, 'docker'), { recursive: true });
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(config, 'contexts', 'tls', hash, 'docker', f), `${f}\n`);
  fs.writeFileSync(path.join(config, 'config.json'), JSON.stringify({ currentContext: 'remote' }));

  it('the current context, with its TLS material', () => {
    const chosen = chooseEngine({ DOCKER_CONFIG: config });
    expect(chosen.description).toBe('tcp://docker.example.com:2376 (docker context "remote")');
    expect(chosen.options).toMatchObject({ protocol: 'https', host: 'docker.example.com', port: 2376 });
    expect(chosen.options!.ca!.toString()).toBe('ca.pem\n');
    expect(chosen.options!.key!.toString()).toBe('key.pem\n');
  });

  it('a config.json that is not JSON is bad input (exit 2), as credentials treat it', () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-docker-config-'));
    try {
      fs.writeFileSync(path.join(broken, 'config.json'), '{"currentContext": ');
      expect(() => chooseEngine({ DOCKER_CONFIG: broken })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
    }
  });

  it('DOCKER_HOST leaves it to dockerode, context store unread', () => {
    expect(chooseEngine({ DOCKER_CONFIG: config, DOCKER_HOST: 'unix:///x.sock' })).toEqual({ description: 'unix:///x.sock', options: undefined });
  });
});
