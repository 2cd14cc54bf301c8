/**
 * `vfi resolve` and `vfi verify` end to end: the built CLI against a REAL private dockerd and REAL
 * registries on 127.0.0.1 (a plain one and an htpasswd one; started here, stopped by PID), digests
 * checked with skopeo. A proxy in front of the real engine socket injects what the engine will not
 * do by itself (refusing /distribution as a socket proxy does, holding a request); a hanging socket
 * stands in for an engine that never answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  dockerConfigDir,
  importImage,
  pushImage,
  pushIndex,
  skopeoInspect,
  startAll,
  startEngine,
  startEngineProxy,
  startHangingEngine,
  startRegistry,
  type Engine,
  useServers,
  type Registry,
} from '../helpers/engine.js';
import { deleteManifest, pushPlatformImage } from '../helpers/registry.js';
import { finished, git, snapshot, tempDir, vfi, vfiAsync } from '../helpers/cli.js';

const GIT = 'https://example.com/api.git@72e5e550d1835013832f64597cb1368b7155bd53';
const CREDS = { user: 'bob', password: 'Sesame open: 42' };

interface Infra {
  engine: Engine;
  registry: Registry;
  auth: Registry;
  /** DOCKER_CONFIG folders: a real `docker login` into the htpasswd registry, and a wrong password */
  cfg: { good: string; wrong: string; none: string };
  digests: Record<string, string>;
}
const dir = tempDir();
const need = useServers('resolve-cli', () => startAll([startEngine(), startRegistry(), startRegistry({ htpasswd: CREDS })] as const), fixtures);

async function fixtures(engine: Engine, registry: Registry, auth: Registry): Promise<Infra> {
  const host = registry.host;
  const digests: Record<string, string> = {};
  for (const name of ['app', 'web', 'gone', 'moving', 'pullme']) {
    const ref = `${host}/demo/${name}:v1`;
    await importImage(engine, ref, { [`${name}.txt`]: `${name}\n` });
    await pushImage(engine, ref);
    digests[name] = await skopeoInspect(ref);
  }
  // `web` and `moving` stay local (RepoDigests path); the others are removed locally (registry path).
  await engine.docker(['rmi', `${host}/demo/app:v1`, `${host}/demo/gone:v1`, `${host}/demo/pullme:v1`]);
  // the registry's moving:v1 moves on; the engine keeps the old image under that tag
  digests.movingNew = await pushPlatformImage(host, 'demo/moving', 'v1', { 'moved.txt': 'moved\n' }, { os: 'linux', architecture: 'amd64' });
  digests.amd64 = await pushPlatformImage(host, 'demo/multi', 'amd64', { 'arch.txt': 'amd64\n' }, { os: 'linux', architecture: 'amd64' });
  digests.arm64 = await pushPlatformImage(host, 'demo/multi', 'arm64', { 'arch.txt': 'arm64\n' }, { os: 'linux', architecture: 'arm64' });
  digests.index = await pushIndex(engine, `${host}/demo/multi:v1`, [`${host}/demo/multi:amd64`, `${host}/demo/multi:arm64`]);

  const good = await dockerConfigDir(engine, { host: auth.host, ...CREDS });
  const wrong = await dockerConfigDir(engine);
  fs.writeFileSync(path.join(wrong, 'config.json'), JSON.stringify({ auths: { [auth.host]: { auth: Buffer.from(`${CREDS.user}:not-${CREDS.password}`).toString('base64') } } }));
  const none = await dockerConfigDir(engine);
  for (const tag of ['v1', 'v2']) {
    const ref = `${auth.host}/demo/secret:${tag}`;
    await importImage(engine, ref, { 'secret.txt': `secret ${tag}\n` });
    digests[`secret${tag}`] = await pushImage(engine, ref, { config: good });
    await engine.docker(['rmi', ref]);
  }
  return { engine, registry, auth, cfg: { good, wrong, none }, digests };
}

/** A fresh store holding `vfiJson` as NAME. */
function storeWith(name: string, vfiJson: Record<string, unknown>): string {
  const store = fs.mkdtempSync(path.join(dir, 'store-'));
  const added = vfi(store, ['add', name, '-'], { input: JSON.stringify(vfiJson) });
  expect(added.code, added.stderr).toBe(0);
  return store;
}

const image = (address: string) => ({ type: 'dockerImage', address });

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
    // a local pin says what it is and how to get the registry's current digest, once
    expect(r.stderr.match(/^vfi: web: pinned to the digest of the local image, which may be older .*vfi resolve --registry Runtime/m)).toHaveLength(1);
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
    expect(report.components.map((c: { status: string }) => c.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('verify names a digest that no longer exists MISSING and exits 3', async (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    vfi(store, ['add', 'Gone', '-'], { input: JSON.stringify({ gone: { type: 'dockerImage', address: `${host}/demo/gone:v1@${digests.gone}` }, app: { type: 'dockerImage', address: `${host}/demo/app@${digests.app}` } }) });
    await deleteManifest(host, 'demo/gone', digests.gone!);
    const r = vfi(store, ['verify', 'Gone'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^MISSING\s+gone\s/m);
    expect(r.stdout).toMatch(/^ok\s+app\s/m);
  });

  it('verify asks the registry: a digest it deleted is MISSING (exit 3) though a local image carries it; --local accepts the local image', async (ctx) => {
    const { engine, registry: { host } } = need(ctx);
    const ref = `${host}/demo/deleted:v1`;
    await importImage(engine, ref, { 'deleted.txt': 'deleted\n' });
    const digest = await pushImage(engine, ref);
    const s = storeWith('Deleted', { gone: image(`${ref}@${digest}`) });
    const env = { DOCKER_HOST: engine.host };
    expect(vfi(s, ['verify', 'Deleted'], { env }).code).toBe(0);
    const res = await fetch(`http://${host}/v2/demo/deleted/manifests/${digest}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    expect(JSON.parse(await engine.docker(['image', 'inspect', ref, '--format', '{{json .RepoDigests}}']))).toContain(`${host}/demo/deleted@${digest}`);
    const r = vfi(s, ['verify', 'Deleted'], { env });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^MISSING\s+gone\s/m);
    const local = vfi(s, ['verify', 'Deleted', '--local'], { env });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toMatch(/^ok\s+gone\s.*\slocal$/m);
  });

  it('verify fails on an image not pinned by digest (exit 1) unless --allow-unpinned', (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const s = storeWith('Loose', { app: image(`${host}/demo/app@${digests.app}`), web: image(`${host}/demo/web:v1`) });
    const env = { DOCKER_HOST: engine.host };
    const r = vfi(s, ['verify', 'Loose'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^UNPINNED\s+web\s/m);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(vfi(s, ['verify', 'Loose', '--json'], { env }).stdout)).toMatchObject({ ok: false, unpinned: 1, unpinnedComponents: ['web'] });
    expect(vfi(s, ['verify', 'Loose', '--allow-unpinned'], { env }).code).toBe(0);
  });

  it('verify: a digest that could not be checked is ERROR, not MISSING, and the exit code is 1', (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const s = storeWith('Mixed', {
      gone: image(`${host}/demo/gone:v1@${digests.gone}`),
      unreachable: image(`127.0.0.1:1/demo/app:v1@${digests.app}`),
      app: image(`${host}/demo/app@${digests.app}`),
    });
    const r = vfi(s, ['verify', 'Mixed'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^MISSING\s+gone\s/m);
    expect(r.stdout).toMatch(/^ERROR\s+unreachable\s/m);
    expect(r.stdout).toMatch(/^ok\s+app\s/m);
    const json = JSON.parse(vfi(s, ['verify', 'Mixed', '--json'], { env: { DOCKER_HOST: engine.host } }).stdout);
    expect(Object.fromEntries(json.components.map((c: { component: string; status: string; code?: string }) => [c.component, [c.status, c.code]]))).toEqual({
      gone: ['missing', 'IMAGE_NOT_FOUND'],
      unreachable: ['error', 'REGISTRY'],
      app: ['ok', undefined],
    });
    // an engine that is not there cannot tell anything is missing
    const down = vfi(s, ['verify', 'Mixed'], { env: { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` } });
    expect(down.code).toBe(1);
    expect(down.stdout).not.toMatch(/MISSING/);
    expect(down.stdout.match(/^ERROR /gm)).toHaveLength(3);
  });

  it('a failed component publishes nothing, and the others are still reported', (ctx) => {
    const { engine, registry: { host } } = need(ctx);
    vfi(store, ['add', 'Broken', '-'], { input: JSON.stringify({ app: { type: 'dockerImage', address: `${host}/demo/app:v1` }, nope: { type: 'dockerImage', address: `${host}/demo/nope:v9` } }) });
    const before = snapshot(store);
    const r = vfi(store, ['resolve', 'Broken'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/nope: .*nope:v9/);
    expect(r.stderr).toMatch(/app: .* -> .*@sha256:/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^vfi: resolve failed for 1 of 2 components: nope \(image not found\); nothing published$/);
    expect(snapshot(store)).toEqual(before);
  });

  it('--json on failure: every component\'s result on stdout, ok ones and failed ones with code and message; exit non-zero, nothing published', (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const before = snapshot(store);
    const r = vfi(store, ['resolve', 'Broken', '--json'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, published: false });
    expect(out.ref).toBeUndefined();
    expect(out.components).toEqual([
      { component: 'app', address: `${host}/demo/app:v1`, pinned: `${host}/demo/app:v1@${digests.app}`, source: 'registry' },
      { component: 'nope', address: `${host}/demo/nope:v9`, code: 'IMAGE_NOT_FOUND', error: expect.stringContaining('nope:v9') },
    ]);
    expect(snapshot(store)).toEqual(before);
    // and on success the same shape, with the published ref
    const ok = JSON.parse(vfi(storeWith('Ok', { app: image(`${host}/demo/app:v1`) }), ['resolve', 'Ok', '--json'], { env: { DOCKER_HOST: engine.host } }).stdout);
    expect(ok).toMatchObject({ ok: true, published: true, ref: expect.stringMatching(/^Ok@[0-9a-f]{40}$/), components: [{ component: 'app', pinned: `${host}/demo/app:v1@${digests.app}` }] });
  });

  it('per-component hints reach stderr, each distinct hint once', (ctx) => {
    const { engine, auth, cfg } = need(ctx);
    const s = storeWith('Private', { one: image(`${auth.host}/demo/secret:v1`), two: image(`${auth.host}/demo/secret:v2`) });
    const r = vfi(s, ['resolve', 'Private'], { env: { DOCKER_HOST: engine.host, DOCKER_CONFIG: cfg.none } });
    expect(r.code).toBe(1);
    expect(r.stderr.match(new RegExp(`^vfi: hint: docker login ${auth.host.replace(/\./g, '\\.')}$`, 'gm'))).toHaveLength(1);
    expect(r.stderr).toMatch(/one: .*no credentials/);
    expect(r.stderr).toMatch(/two: .*no credentials/);
  });

  it('refuses a bad --platform as bad usage', () => {
    const s = storeWith('Plat', { app: image('127.0.0.1:1/demo/app:v1') });
    const r = vfi(s, ['resolve', 'Plat', '--platform', 'linux/'], { env: { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` } });
    expect(r.code).toBe(2);
  });

  it('--platform linux/arm64 pins that child manifest, equal to skopeo, and says so', async (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const s = storeWith('Multi', { multi: image(`${host}/demo/multi:v1`) });
    expect(await skopeoInspect(`${host}/demo/multi:v1`)).toBe(digests.index);
    const r = vfi(s, ['resolve', 'Multi', '--platform', 'linux/arm64'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(vfi(s, ['show', 'Multi']).stdout).multi.address).toBe(`${host}/demo/multi:v1@${digests.arm64}`);
    expect(await skopeoInspect(`${host}/demo/multi@${digests.arm64}`, { raw: true })).toBe(digests.arm64);
    expect(r.stderr).toContain(`platform linux/arm64 of index ${digests.index}`);
    expect(git(s, ['log', '-1', '--format=%s', 'refs/vfi/Multi']).stdout.trim()).toBe('resolve --platform linux/arm64');
  });

  it('--registry skips the local image: pins what the registry\'s tag points to now', async (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const ref = `${host}/demo/moving:v1`;
    expect(await skopeoInspect(ref)).toBe(digests.movingNew);
    const local = storeWith('Moving', { moving: image(ref) });
    const stale = vfi(local, ['resolve', 'Moving'], { env: { DOCKER_HOST: engine.host } });
    expect(JSON.parse(vfi(local, ['show', 'Moving']).stdout).moving.address).toBe(`${ref}@${digests.moving}`);
    expect(stale.stderr).toMatch(/may be older/);
    const fresh = storeWith('Moving', { moving: image(ref) });
    const r = vfi(fresh, ['resolve', '--registry', 'Moving'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(vfi(fresh, ['show', 'Moving']).stdout).moving.address).toBe(`${ref}@${digests.movingNew}`);
    expect(r.stderr).toMatch(/moving: .* \(registry\)/);
    expect(r.stderr).not.toMatch(/may be older/);
  });

  it('--pull is the last resort: where the engine refuses /distribution, without it a hint, with it a pull', async (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const ref = `${host}/demo/pullme:v1`;
    const proxy = await startEngineProxy(engine.socketPath, { deny: /^GET \/distribution\// });
    try {
      const s = storeWith('Pull', { pullme: image(ref) });
      const before = snapshot(s);
      // asynchronously: the proxy runs in this process and must keep answering
      const refused = await finished(vfiAsync(s, ['resolve', 'Pull'], { DOCKER_HOST: proxy.host }));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^vfi: hint: add --pull/m);
      expect(snapshot(s)).toEqual(before);
      expect(proxy.requests.some((q) => q.startsWith('POST /images/create'))).toBe(false);

      const r = await finished(vfiAsync(s, ['resolve', '--pull', 'Pull'], { DOCKER_HOST: proxy.host }));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/pullme: .* \(pull\)/);
      expect(JSON.parse(vfi(s, ['show', 'Pull']).stdout).pullme.address).toBe(`${ref}@${await skopeoInspect(ref)}`);
      expect(digests.pullme).toBe(await skopeoInspect(ref));
      expect(proxy.requests.filter((q) => q.startsWith('POST /images/create'))).toHaveLength(1);
    } finally {
      await proxy.stop();
      await engine.docker(['rmi', ref]).catch(() => {});
    }
  });

  it('a `vfi set` published while resolve runs is kept: the pins are re-applied to the new head', async (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const t = storeWith('Conc', { app: image(`${host}/demo/app:v1`), web: image(`${host}/demo/web:v1`) });
    const proxy = await startEngineProxy(engine.socketPath, { hold: /^GET \/distribution\// });
    try {
      const resolving = finished(vfiAsync(t, ['resolve', 'Conc'], { DOCKER_HOST: proxy.host }));
      await proxy.held(); // resolve has read the head and waits for the registry's answer about app
      // synchronously is fine here: the set does not talk to the engine
      const set = vfi(t, ['set', 'Conc', 'extra=127.0.0.1:1/demo/extra:v1', `web=${host}/demo/web:v2`]);
      expect(set.code, set.stderr).toBe(0);
      proxy.release();
      const r = await resolving;
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(vfi(t, ['show', 'Conc']).stdout)).toEqual({
        app: image(`${host}/demo/app:v1@${digests.app}`), // pinned
        web: image(`${host}/demo/web:v2`), // changed by the set meanwhile: left as the set made it
        extra: image('127.0.0.1:1/demo/extra:v1'), // added by the set: kept
      });
      expect(r.stderr).toMatch(/Conc moved while resolving.*left as published there .*: web/);
      expect(git(t, ['log', '--format=%s', 'refs/vfi/Conc']).stdout.trim().split('\n')).toEqual(['resolve', expect.stringMatching(/^set /), expect.stringMatching(/^add/)]);
    } finally {
      await proxy.stop();
    }
  });

  it('an older VFI (Name~1) is published pinned as the new head, as `set --from` would, and says so', (ctx) => {
    const { engine, registry: { host }, digests } = need(ctx);
    const s = storeWith('Old', { app: image(`${host}/demo/app:v1`) });
    expect(vfi(s, ['set', 'Old', 'extra=127.0.0.1:1/demo/extra:v1']).code).toBe(0);
    const r = vfi(s, ['resolve', 'Old~1'], { env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/is not the head of Old: publishing it pinned as the new head/);
    expect(JSON.parse(vfi(s, ['show', 'Old']).stdout)).toEqual({ app: image(`${host}/demo/app:v1@${digests.app}`) });
  });

  it('registry secrets never reach stdout, stderr or the store, even with DEBUG=* and VFI_DEBUG=1', (ctx) => {
    const { engine, auth, cfg, digests } = need(ctx);
    const secrets = [CREDS.password, `not-${CREDS.password}`, Buffer.from(`${CREDS.user}:${CREDS.password}`).toString('base64'), Buffer.from(`${CREDS.user}:not-${CREDS.password}`).toString('base64')];
    const leaks = (text: string) => secrets.filter((x) => text.includes(x) || text.includes(Buffer.from(x).toString('base64')));
    const env = (config: string) => ({ DOCKER_HOST: engine.host, DOCKER_CONFIG: config, DEBUG: '*', VFI_DEBUG: '1' });

    const s = storeWith('Secret', { one: image(`${auth.host}/demo/secret:v1`), two: image(`${auth.host}/demo/secret:v2`) });
    const wrong = vfi(s, ['resolve', 'Secret'], { env: env(cfg.wrong) });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the credentials/);
    expect(leaks(wrong.stdout + wrong.stderr)).toEqual([]);

    const good = vfi(s, ['resolve', 'Secret', '--json'], { env: env(cfg.good) });
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout).components.map((c: { pinned: string }) => c.pinned)).toEqual([
      `${auth.host}/demo/secret:v1@${digests.secretv1}`,
      `${auth.host}/demo/secret:v2@${digests.secretv2}`,
    ]);
    expect(leaks(good.stdout + good.stderr)).toEqual([]);
    const verified = vfi(s, ['verify', 'Secret'], { env: env(cfg.good) });
    expect(verified.code, verified.stderr).toBe(0);
    expect(leaks(verified.stdout + verified.stderr)).toEqual([]);
    const everyObject = git(s, ['cat-file', '--batch-all-objects', '--batch']).stdout;
    expect(everyObject).toContain(digests.secretv1);
    expect(leaks(everyObject)).toEqual([]);
  });
});

describe('without an engine (these need none)', () => {
  it('an engine that is not there: exit 1, nothing published, the hint once', () => {
    const s = storeWith('Down', { app: image('127.0.0.1:1/demo/app:v1'), web: image('127.0.0.1:1/demo/web:v1') });
    const before = snapshot(s);
    const r = vfi(s, ['resolve', 'Down'], { env: { DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the Docker engine/);
    expect(r.stderr.match(/^vfi: hint: set DOCKER_HOST=/gm)).toHaveLength(1);
    expect(snapshot(s)).toEqual(before);
  });

  it('a tcp engine is named by its whole address, port included', () => {
    const s = storeWith('Tcp', { app: image('127.0.0.1:1/demo/app:v1') });
    const r = vfi(s, ['resolve', 'Tcp'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the Docker engine at tcp://127.0.0.1:1 ');
  });

  it('an engine that never answers the image list: every component fails at once with TIMEOUT, asked once', async () => {
    const hanging = await startHangingEngine();
    try {
      const s = storeWith('Hang', { a: image('127.0.0.1:1/demo/a:v1'), b: image('127.0.0.1:1/demo/b:v1'), c: image('127.0.0.1:1/demo/c:v1') });
      const r = await finished(vfiAsync(s, ['resolve', 'Hang', '--timeout', '1'], { DOCKER_HOST: `unix://${hanging.socketPath}` }));
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/resolve failed for 3 of 3 components: a \(timeout\), b \(timeout\), c \(timeout\)/);
      expect(hanging.requests).toEqual(['GET /images/json']);
    } finally {
      await hanging.stop();
    }
  });
});
