/**
 * Compositions through the REAL engine and registry on 127.0.0.1: `resolve` descends into nested
 * VFIs (publishing them on their own lineages first), `verify` reports per path, and `set
 * --from-best --resolve` is one publication naming a digest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importImage, pushImage, skopeoInspect, startAll, startEngine, startRegistry, useServers, type Engine, type Registry } from '../helpers/engine.js';
import { git, ok, tempDir, vfi } from '../helpers/cli.js';

const need = useServers('compose-resolve', () => startAll([startEngine(), startRegistry()] as const), async (engine: Engine, registry: Registry) => {
  const digests: Record<string, string> = {};
  for (const name of ['router', 'web']) {
    const ref = `${registry.host}/demo/${name}:v1`;
    await importImage(engine, ref, { [`${name}.txt`]: `${name}\n` });
    await pushImage(engine, ref);
    digests[name] = await skopeoInspect(ref);
  }
  return { engine, registry, digests };
});

describe('compositions through the engine', () => {
  it('resolve pins a nested VFI on its own lineage first, then the outer one; verify reports per path', (ctx) => {
    const { engine, registry, digests } = need(ctx);
    const env = { env: { DOCKER_HOST: engine.host } };
    const store = path.join(fs.mkdtempSync(path.join(tempDir(), 'c-')), 'store');
    const runtime = ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify({ router: { type: 'dockerImage', address: `${registry.host}/demo/router:v1` } }) }).trim();
    const platform = vfi(store, ['add', 'Platform', '-'], { input: JSON.stringify({ runtime: { type: 'vfi', address: runtime }, web: { type: 'dockerImage', address: `${registry.host}/demo/web:v1` } }) });
    expect(platform.code, platform.stderr).toBe(0);
    const r = vfi(store, ['resolve', 'Platform'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`runtime/router: ${registry.host}/demo/router:v1 -> ${registry.host}/demo/router:v1@${digests.router}`);
    const pinnedRuntime = JSON.parse(vfi(store, ['show', 'Runtime']).stdout);
    expect(pinnedRuntime.router.address).toBe(`${registry.host}/demo/router:v1@${digests.router}`);
    const outer = JSON.parse(vfi(store, ['show', 'Platform', '--expand']).stdout);
    expect(outer.web.address).toBe(`${registry.host}/demo/web:v1@${digests.web}`);
    expect(outer.runtime.vfi).toEqual(pinnedRuntime);
    // the nested lineage moved before the outer one, and each once
    expect(git(store, ['log', '--format=%s', 'refs/vfi/Runtime']).stdout.split('\n')[0]).toBe('resolve');
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Platform']).stdout.trim()).toBe('2');
    const v = vfi(store, ['verify', 'Platform'], env);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^ok\s+runtime\/router\s/m);
    expect(v.stdout).toMatch(/^ok\s+web\s/m);
  }, 180_000);

  it('set --from-best --resolve publishes once, pinned', (ctx) => {
    const { engine, registry, digests } = need(ctx);
    const store = path.join(fs.mkdtempSync(path.join(tempDir(), 'c-')), 'store');
    const first = ok(store, ['add', 'App', '-'], { input: JSON.stringify({ web: { type: 'dockerImage', address: `nginx@sha256:${'a'.repeat(64)}` } }) }).trim();
    ok(store, ['set', 'App', `web=nginx@sha256:${'b'.repeat(64)}`]);
    expect(vfi(store, ['assert', first, 'tests-passed']).code).toBe(0);
    const r = vfi(store, ['set', 'App', `router=${registry.host}/demo/router:v1`, '--from-best', '--require', 'tests-passed', '--resolve'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(vfi(store, ['show', r.stdout.trim()]).stdout);
    expect(doc).toEqual({ router: { type: 'dockerImage', address: `${registry.host}/demo/router:v1@${digests.router}` }, web: { type: 'dockerImage', address: `nginx@sha256:${'a'.repeat(64)}` } });
    expect(git(store, ['rev-list', '--count', 'refs/vfi/App']).stdout.trim()).toBe('3');
  }, 180_000);
});
