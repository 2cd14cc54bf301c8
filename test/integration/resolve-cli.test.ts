/**
 * `vfi resolve` and `vfi verify` end to end: the built CLI against a REAL private dockerd and a
 * REAL registry on 127.0.0.1 (started here, stopped by PID), digests checked with skopeo.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { importImage, pushImage, setupOrSkip, skopeoInspect, startEngine, startRegistry, type Engine, type Registry } from '../helpers/engine.js';
import { deleteManifest } from '../helpers/registry.js';
import { git, snapshot, tempDir, vfi } from '../helpers/cli.js';

const GIT = 'https://example.com/api.git@72e5e550d1835013832f64597cb1368b7155bd53';
let infra: { engine: Engine; registry: Registry; digests: Record<string, string> } | undefined;
const dir = tempDir();

beforeAll(async () => {
  infra = await setupOrSkip('resolve-cli', async () => {
    const [engine, registry] = await Promise.all([startEngine(), startRegistry()]);
    const digests: Record<string, string> = {};
    for (const name of ['app', 'web', 'gone']) {
      const ref = `${registry.host}/demo/${name}:v1`;
      await importImage(engine, ref, { [`${name}.txt`]: `${name}\n` });
      await pushImage(engine, ref);
      digests[name] = await skopeoInspect(ref);
    }
    // `web` stays local only (RepoDigests path); `app` and `gone` are removed locally (registry path).
    await engine.docker(['rmi', `${registry.host}/demo/app:v1`, `${registry.host}/demo/gone:v1`]);
    return { engine, registry, digests };
  });
});
afterAll(async () => {
  await infra?.registry.stop();
  await infra?.engine.stop();
});

function need(ctx: TestContext) {
  if (!infra) ctx.skip();
  return infra!;
}

describe('vfi resolve / verify', () => {
  const store = path.join(dir, 'store');

  it('pins every image tag to the digest skopeo reports, keeps the tag, publishes with message "resolve"', (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const vfiJson = {
      app: { type: 'dockerImage', address: `${host}/demo/app:v1` },
      web: { type: 'dockerImage', address: `${host}/demo/web:v1`, 'x-team': 'web' },
      pinned: { type: 'dockerImage', address: `${host}/demo/app@${digests.app}` },
      api: { type: 'git', address: GIT },
    };
    const added = vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(vfiJson) });
    expect(added.code).toBe(0);
    const r = vfi(store, ['resolve', 'Runtime'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Runtime@[0-9a-f]{40}\n$/);
    const shown = JSON.parse(vfi(store, ['show', 'Runtime']).stdout);
    expect(shown).toEqual({
      app: { type: 'dockerImage', address: `${host}/demo/app:v1@${digests.app}` },
      web: { type: 'dockerImage', address: `${host}/demo/web:v1@${digests.web}`, 'x-team': 'web' },
      pinned: vfiJson.pinned,
      api: vfiJson.api,
    });
    expect(r.stderr).toMatch(/app: .* \(registry\)/);
    expect(r.stderr).toMatch(/web: .* \(local\)/);
    expect(git(store, ['log', '-1', '--format=%s', 'refs/vfi/Runtime']).stdout.trim()).toBe('resolve');
    // resolving again has nothing to do
    const again = vfi(store, ['resolve', 'Runtime'], { env: { DOCKER_HOST: engine.host } });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(r.stdout);
  });

  it('verify finds every pinned digest', (ctx) => {
    const { engine } = need(ctx);
    const r = vfi(store, ['verify', 'Runtime', '--json'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.components.map((c: { component: string }) => c.component).sort()).toEqual(['app', 'pinned', 'web']);
  });

  it('verify names a digest that no longer exists and exits non-zero', async (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    vfi(store, ['add', 'Gone', '-'], { input: JSON.stringify({ gone: { type: 'dockerImage', address: `${host}/demo/gone:v1@${digests.gone}` }, app: { type: 'dockerImage', address: `${host}/demo/app@${digests.app}` } }) });
    await deleteManifest(host, 'demo/gone', digests.gone!);
    const r = vfi(store, ['verify', 'Gone'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^MISSING\s+gone\s/m);
    expect(r.stdout).toMatch(/^ok\s+app\s/m);
  });

  it('a failed component publishes nothing, and the others are still reported', (ctx) => {
    const { engine, registry: { host } } = need(ctx);
    vfi(store, ['add', 'Broken', '-'], { input: JSON.stringify({ app: { type: 'dockerImage', address: `${host}/demo/app:v1` }, nope: { type: 'dockerImage', address: `${host}/demo/nope:v9` } }) });
    const before = snapshot(store);
    const r = vfi(store, ['resolve', 'Broken'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/nope: .*nope:v9/);
    expect(r.stderr).toMatch(/app: .* -> .*@sha256:/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^vfi: resolve failed for 1 of 2 component\(s\): nope \(image not found\); nothing published$/);
    expect(snapshot(store)).toEqual(before);
  });

  it('an engine that is not there: exit 1, nothing published', (ctx) => {
    need(ctx);
    const before = snapshot(store);
    const r = vfi(store, ['resolve', 'Broken'], { env: { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the Docker engine/);
    expect(snapshot(store)).toEqual(before);
  });

  it('refuses a bad --platform as bad usage', (ctx) => {
    const { engine } = need(ctx);
    const r = vfi(store, ['resolve', 'Broken', '--platform', 'linux/'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code).toBe(2);
  });
});
