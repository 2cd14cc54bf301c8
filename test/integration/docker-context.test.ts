/**
 * Docker contexts: with DOCKER_HOST unset, `vfi resolve` reaches the engine a context names, as the
 * docker CLI does. The contexts are made by the real docker CLI (`docker context create`, `docker
 * context use`) in a private DOCKER_CONFIG and point at this suite's private dockerd.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerConfigDir, importImage, pushImage, skopeoInspect, startAll, startEngine, startRegistry, useServers, type Engine, type Registry } from '../helpers/engine.js';
import { tempDir, vfi } from '../helpers/cli.js';
import { contextDirName } from '../../src/core/dockerContext.js';

interface Infra {
  engine: Engine;
  registry: Registry;
  /** current context "private" (docker context use), pointing at the engine */
  current: string;
  /** contexts exist, but the current one is the default */
  named: string;
  ref: string;
  digest: string;
}
const dir = tempDir('vfi-context-');

const need = useServers('docker contexts', () => startAll([startEngine(), startRegistry()] as const), async (engine, registry): Promise<Infra> => {
  const ref = `${registry.host}/demo/ctx:v1`;
  await importImage(engine, ref, { 'ctx.txt': 'ctx\n' });
  await pushImage(engine, ref);
  const digest = await skopeoInspect(ref);
  const current = await dockerConfigDir(engine);
  await engine.docker(['context', 'create', 'private', '--docker', `host=${engine.host}`], { config: current });
  await engine.docker(['context', 'use', 'private'], { config: current });
  const named = await dockerConfigDir(engine);
  await engine.docker(['context', 'create', 'private', '--docker', `host=${engine.host}`], { config: named });
  return { engine, registry, current, named, ref, digest };
});

let n = 0;
function resolveWith(i: Infra, env: Record<string, string>) {
  const store = path.join(dir, `store-${n++}`);
  const add = vfi(store, ['add', 'Ctx', '-'], { input: JSON.stringify({ app: { type: 'dockerImage', address: i.ref } }) });
  expect(add.code, add.stderr).toBe(0);
  return vfi(store, ['resolve', 'Ctx', '--json', '--timeout', '30'], { env: { DOCKER_HOST: '', DOCKER_CONTEXT: '', ...env } });
}

describe('the engine a docker context names', () => {
  it('the docker CLI files the context where vfi looks for it (sha256 of the name)', (ctx) => {
    const i = need(ctx);
    const meta = JSON.parse(fs.readFileSync(path.join(i.current, 'contexts', 'meta', contextDirName('private'), 'meta.json'), 'utf8'));
    expect(meta.Endpoints.docker.Host).toBe(i.engine.host);
    expect(JSON.parse(fs.readFileSync(path.join(i.current, 'config.json'), 'utf8')).currentContext).toBe('private');
  });

  it('currentContext in config.json (docker context use), DOCKER_HOST unset', (ctx) => {
    const i = need(ctx);
    const r = resolveWith(i, { DOCKER_CONFIG: i.current });
    expect(r.code, r.stderr).toBe(0);
    // local: only the private engine has the image, so no other engine could have answered
    expect(JSON.parse(r.stdout).components[0]).toMatchObject({ pinned: `${i.ref}@${i.digest}`, source: 'local' });
  });

  it('DOCKER_CONTEXT names a context when the current one is the default', (ctx) => {
    const i = need(ctx);
    const r = resolveWith(i, { DOCKER_CONFIG: i.named, DOCKER_CONTEXT: 'private' });
    expect(r.code, r.stderr).toBe(0);
    // local: only the private engine has the image, so no other engine could have answered
    expect(JSON.parse(r.stdout).components[0]).toMatchObject({ pinned: `${i.ref}@${i.digest}`, source: 'local' });
  });

  it('DOCKER_HOST comes first: a dead DOCKER_HOST fails although the context would answer', (ctx) => {
    const i = need(ctx);
    const dead = `unix://${path.join(dir, 'no-engine.sock')}`;
    const r = resolveWith(i, { DOCKER_CONFIG: i.current, DOCKER_HOST: dead });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(dead);
  });

  it('a context that does not exist is an error naming it (exit 1)', (ctx) => {
    const i = need(ctx);
    const r = resolveWith(i, { DOCKER_CONFIG: i.named, DOCKER_CONTEXT: 'nowhere' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/docker context \\?"nowhere\\?".*does not exist/);
  });
});
