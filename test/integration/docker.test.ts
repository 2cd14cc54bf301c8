/**
 * Pinning and verifying against a REAL Docker engine and REAL registries, all started here
 * (test/helpers/engine.ts) and stopped by PID afterwards. Every digest is checked against
 * skopeo. Fakes (a hanging engine socket, a registry answering 500, a registry that never
 * answers) run beside the real ones, never instead of them.
 *
 * Without the tools (or not root) the suite skips loudly; with CI=true it fails instead.
 * VFI_TEST_SHOW_ANSWERS=1 prints what the engine answered for each failure case.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startEngine,
  startRegistry,
  startHangingEngine,
  startBrokenRegistry,
  startSilentRegistry,
  startEngineProxy,
  startAll,
  importImage,
  pushImage,
  pushIndex,
  dockerConfigDir,
  skopeoInspect,
  skopeoRaw,
  stopLeftOverContainerd,
  useServers,
  which,
  type Engine,
  type Registry,
} from '../helpers/engine.js';
import { pushPlatformImage, deleteManifest, headDigest } from '../helpers/registry.js';
import { dockerodeEngine, type ImageEngine } from '../../src/docker/engine.js';
import { dockerCredentials } from '../../src/docker/credentials.js';
import { pinImages, verifyImages, parsePlatform, type PinOptions, type PinResult } from '../../src/docker/resolve.js';
import type { VfiError } from '../../src/errors.js';

const USER = 'alice';
const PASSWORD = 'pa:ss w0rd'; // a colon and a space: split at the first colon
const CREDS = { user: USER, password: PASSWORD };

interface Env {
  engine: Engine;
  plain: Registry;
  auth: Registry;
  /** a registry that served an image and was then stopped */
  stoppedHost: string;
  docker: ImageEngine;
  /** DOCKER_CONFIG folders */
  cfg: { none: string; good: string; wrong: string; helper: string };
  d: {
    app: string;
    local: string;
    movingOld: string;
    movingNew: string;
    index: string;
    amd64: string;
    arm64: string;
    secret: string;
    secretAmd64: string;
    secretArm64: string;
    secretIndex: string;
    gone: string;
    pullme: string;
    retagV1: string;
    retagV2: string;
    twin: string;
  };
}

const answers: [string, string, string][] = [];

const need = useServers('docker integration', () => startAll([startEngine(), startRegistry(), startRegistry({ htpasswd: CREDS }), startRegistry()] as const), fixtures);

async function fixtures(engine: Engine, plain: Registry, auth: Registry, doomed: Registry): Promise<Env> {
  const P = plain.host;
  const A = auth.host;
  const good = await dockerConfigDir(engine, { host: A, ...CREDS });
  const none = await dockerConfigDir(engine);
  const wrong = await dockerConfigDir(engine);
  writeFileSync(join(wrong, 'config.json'), JSON.stringify({ auths: { [A]: { auth: Buffer.from(`${USER}:not-the-password`).toString('base64') } } }));

  // a real credential helper on PATH for the helper protocol against the real registry
  const helper = await dockerConfigDir(engine);
  const bin = join(helper, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'docker-credential-vfitest'),
    `#!/bin/sh\nurl=$(cat)\n[ "$url" = "${A}" ] || { echo "credentials not found in native keychain"; exit 1; }\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$url"\n`,
  );
  chmodSync(join(bin, 'docker-credential-vfitest'), 0o755);
  writeFileSync(join(helper, 'config.json'), JSON.stringify({ credHelpers: { [A]: 'vfitest' } }));

  const files = (name: string) => ({ 'etc/fixture': `${name}\n`, 'hello.txt': `hello from ${name}\n` });
  const importPush = async (ref: string, opts: { config?: string } = {}) => {
    await importImage(engine, ref, files(ref));
    return pushImage(engine, ref, opts);
  };
  const rmi = (...refs: string[]) => engine.docker(['rmi', ...refs]);

  const app = await importPush(`${P}/demo/app:v1`);
  const local = await importPush(`${P}/demo/local:v1`);
  const movingOld = await importPush(`${P}/demo/moving:v1`);
  // the tag moves in the registry; the engine keeps the old image under that tag
  const movingNew = await pushPlatformImage(P, 'demo/moving', 'v1', { 'moved.txt': 'moved\n' }, { os: 'linux', architecture: 'amd64' });
  const amd64 = await importPush(`${P}/demo/multi:amd64`);
  const arm64 = await pushPlatformImage(P, 'demo/multi', 'arm64', { 'arch.txt': 'arm64\n' }, { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const index = await pushIndex(engine, `${P}/demo/multi:v1`, [`${P}/demo/multi:amd64`, `${P}/demo/multi:arm64`]);
  const secret = await importPush(`${A}/demo/secret:v1`, { config: good });
  const secretAmd64 = await importPush(`${A}/demo/smulti:amd64`, { config: good });
  const secretArm64 = await pushPlatformImage(A, 'demo/smulti', 'arm64', { 'arch.txt': 'arm64 secret\n' }, { os: 'linux', architecture: 'arm64' }, CREDS);
  const secretIndex = await pushIndex(engine, `${A}/demo/smulti:v1`, [`${A}/demo/smulti:amd64`, `${A}/demo/smulti:arm64`], { config: good });
  await importImage(engine, `${P}/demo/unpushed:v1`, files('unpushed'));
  const gone = await importPush(`${P}/demo/gone:v1`);
  const pullme = await importPush(`${P}/demo/pullme:v1`);
  // a pulled image, then tagged locally under a tag the registry has with other content (v2)
  // and one it does not have (v3): RepoDigests belong to the image, not to the tag
  const retagV1 = await importPush(`${P}/demo/retag:v1`);
  const retagV2 = await pushPlatformImage(P, 'demo/retag', 'v2', { 'v2.txt': 'v2\n' }, { os: 'linux', architecture: 'amd64' });
  await rmi(`${P}/demo/retag:v1`);
  await engine.docker(['pull', '-q', `${P}/demo/retag:v1`]);
  await engine.docker(['tag', `${P}/demo/retag:v1`, `${P}/demo/retag:v2`]);
  await engine.docker(['tag', `${P}/demo/retag:v1`, `${P}/demo/retag:v3`]);
  // one image pushed to two repositories (the second under the registry's localhost name)
  const twin = await importPush(`${P}/demo/twin:v1`);
  await engine.docker(['tag', `${P}/demo/twin:v1`, `localhost:${port(P)}/demo/twin:v1`]);
  await pushImage(engine, `localhost:${port(P)}/demo/twin:v1`);
  await importPush(`${doomed.host}/demo/app:v1`);
  await rmi(`${P}/demo/app:v1`, `${P}/demo/multi:amd64`, `${A}/demo/secret:v1`, `${A}/demo/smulti:amd64`, `${P}/demo/gone:v1`, `${P}/demo/pullme:v1`, `${doomed.host}/demo/app:v1`);
  await deleteManifest(P, 'demo/gone', gone);
  await doomed.stop();

  return {
    engine,
    plain,
    auth,
    stoppedHost: doomed.host,
    docker: dockerodeEngine({ socketPath: engine.socketPath, env: process.env }),
    cfg: { none, good, wrong, helper },
    d: { app, local, movingOld, movingNew, index, amd64, arm64, secret, secretAmd64, secretArm64, secretIndex, gone, pullme, retagV1, retagV2, twin },
  };
}

const port = (host: string) => host.slice(host.lastIndexOf(':') + 1);

afterAll(() => {
  if (process.env.VFI_TEST_SHOW_ANSWERS === '1') {
    for (const [c, code, msg] of answers) console.log(`${c}\n  -> ${code}: ${msg}`);
  }
});

function opts(e: Env, over: Partial<PinOptions> & { config?: string } = {}): PinOptions {
  const { config, ...rest } = over;
  return {
    engine: e.docker,
    credentials: dockerCredentials({ configDir: config ?? e.cfg.none }),
    pull: false,
    timeoutMs: 20_000,
    ...rest,
  };
}

async function pin1(e: Env, address: string, over: Partial<PinOptions> & { config?: string } = {}): Promise<PinResult> {
  const [r] = await pinImages([{ component: 'c', address }], opts(e, over));
  return r!;
}

function failed(r: { error?: VfiError }, label: string): VfiError {
  expect(r.error, `${label}: expected an error`).toBeDefined();
  const err = r.error!;
  answers.push([label, err.code, String(err.data.engineMessage ?? err.message)]);
  return err;
}

describe('pin against the real engine and registry', () => {
  it('a tag in the plain registry: the registry digest, equal to skopeo', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/app:v1`;
    const r = await pin1(e, ref);
    expect(r.error).toBeUndefined();
    expect(r.source).toBe('registry');
    const sk = await skopeoInspect(ref);
    expect(sk).toBe(e.d.app);
    expect(r.pinned).toBe(`${ref}@${sk}`);
  });

  it('a multi-platform index: the index digest, equal to skopeo (raw bytes and {{.Digest}})', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/multi:v1`;
    const r = await pin1(e, ref);
    expect(r.error).toBeUndefined();
    expect(r.source).toBe('registry');
    expect(r.pinned).toBe(`${ref}@${e.d.index}`);
    expect(await skopeoInspect(ref)).toBe(e.d.index);
    expect(await skopeoInspect(ref, { raw: true })).toBe(e.d.index);
  });

  it('--platform linux/arm64: the child manifest of that platform, equal to skopeo\'s index entry', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/multi:v1`;
    const r = await pin1(e, ref, { platform: parsePlatform('linux/arm64') });
    expect(r.error).toBeUndefined();
    expect(r.platform).toBe('linux/arm64');
    expect(r.index).toBe(e.d.index);
    const raw = JSON.parse((await skopeoRaw(ref)).toString()) as { manifests: { digest: string; platform: { architecture: string } }[] };
    const skopeoChild = raw.manifests.find((m) => m.platform.architecture === 'arm64')!.digest;
    expect(skopeoChild).toBe(e.d.arm64);
    expect(r.pinned).toBe(`${ref}@${e.d.arm64}`);
    expect(await skopeoInspect(`${e.plain.host}/demo/multi@${e.d.arm64}`, { raw: true })).toBe(e.d.arm64);

    const amd = await pin1(e, ref, { platform: parsePlatform('linux/amd64') });
    expect(amd.pinned).toBe(`${ref}@${e.d.amd64}`);
  });

  it('--platform on a single-platform image: pinned when it matches, IMAGE_NOT_FOUND when not', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/app:v1`;
    expect((await pin1(e, ref, { platform: parsePlatform('linux/amd64') })).pinned).toBe(`${ref}@${e.d.app}`);
    expect(failed(await pin1(e, ref, { platform: parsePlatform('linux/arm64') }), 'single-platform image, --platform linux/arm64').code).toBe('IMAGE_NOT_FOUND');
    expect(failed(await pin1(e, `${e.plain.host}/demo/multi:v1`, { platform: parsePlatform('linux/s390x') }), 'index without linux/s390x').code).toBe('IMAGE_NOT_FOUND');
  });

  it('a local image: its RepoDigest for that repository', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/local:v1`;
    const r = await pin1(e, ref);
    expect(r.source).toBe('local');
    expect(r.pinned).toBe(`${ref}@${e.d.local}`);
    expect(await skopeoInspect(ref)).toBe(e.d.local);
  });

  it('a tag that moved in the registry: local pins what runs here, registry: true pins the registry\'s current digest', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/moving:v1`;
    expect(await skopeoInspect(ref)).toBe(e.d.movingNew);
    const stale = await pin1(e, ref);
    expect(stale.source).toBe('local');
    expect(stale.pinned).toBe(`${ref}@${e.d.movingOld}`);
    // --pull alone does not change that: the local image answered (step 1), no pull needed
    expect((await pin1(e, ref, { pull: true })).pinned).toBe(`${ref}@${e.d.movingOld}`);
    const fresh = await pin1(e, ref, { registry: true });
    expect(fresh.error).toBeUndefined();
    expect(fresh.source).toBe('registry');
    expect(fresh.pinned).toBe(`${ref}@${e.d.movingNew}`);
  });

  it('a local `docker tag` of a pulled image is not pinned with the other tag\'s digest', async (ctx) => {
    const e = need(ctx);
    const P = e.plain.host;
    const local = await e.docker.localImage(`${P}/demo/retag:v2`, AbortSignal.timeout(5_000));
    // what dockerd recorded: three tags, one RepoDigest, the one pulled for v1
    expect(local?.repoTags.sort()).toEqual([`${P}/demo/retag:v1`, `${P}/demo/retag:v2`, `${P}/demo/retag:v3`]);
    expect(local?.repoDigests).toEqual([`${P}/demo/retag@${e.d.retagV1}`]);
    expect(e.d.retagV2).not.toBe(e.d.retagV1);

    const v2 = await pin1(e, `${P}/demo/retag:v2`);
    expect(v2.error).toBeUndefined();
    expect(v2.source).toBe('registry');
    expect(v2.pinned).toBe(`${P}/demo/retag:v2@${await skopeoInspect(`${P}/demo/retag:v2`)}`);
    expect(v2.pinned).toBe(`${P}/demo/retag:v2@${e.d.retagV2}`);

    const v3 = failed(await pin1(e, `${P}/demo/retag:v3`), 'local retag the registry lacks');
    expect(v3.code).toBe('IMAGE_NOT_FOUND');
    expect(v3.data.localOnly).toBe(true);
    expect(v3.hint).toBe(`docker push ${P}/demo/retag:v3`);

    // v1 itself shares the image with the other tags: the registry confirms its digest
    expect(await pin1(e, `${P}/demo/retag:v1`)).toMatchObject({ source: 'registry', pinned: `${P}/demo/retag:v1@${e.d.retagV1}` });
  });

  it('one image in two repositories: each reference gets its own repository\'s RepoDigest', async (ctx) => {
    const e = need(ctx);
    const L = `localhost:${port(e.plain.host)}`;
    const local = await e.docker.localImage(`${e.plain.host}/demo/twin:v1`, AbortSignal.timeout(5_000));
    expect(local?.repoDigests.sort()).toEqual([`${e.plain.host}/demo/twin@${e.d.twin}`, `${L}/demo/twin@${e.d.twin}`].sort());
    const rs = await pinImages(
      [
        { component: 'ip', address: `${e.plain.host}/demo/twin:v1` },
        { component: 'name', address: `${L}/demo/twin:v1` },
      ],
      opts(e),
    );
    expect(rs.map((r) => [r.pinned, r.source])).toEqual([
      [`${e.plain.host}/demo/twin:v1@${e.d.twin}`, 'local'],
      [`${L}/demo/twin:v1@${e.d.twin}`, 'local'],
    ]);
    expect(await skopeoInspect(`${L}/demo/twin:v1`)).toBe(e.d.twin);
  });

  it('several RepoDigests of one repository (an index pulled, then a child by digest): the registry decides', async (ctx) => {
    const e = need(ctx);
    const P = e.plain.host;
    await e.engine.docker(['pull', '-q', `${P}/demo/multi:v1`]);
    await e.engine.docker(['pull', '-q', `${P}/demo/multi@${e.d.amd64}`]);
    try {
      const local = await e.docker.localImage(`${P}/demo/multi:v1`, AbortSignal.timeout(5_000));
      expect(local?.repoDigests.sort()).toEqual([`${P}/demo/multi@${e.d.amd64}`, `${P}/demo/multi@${e.d.index}`].sort());
      const r = await pin1(e, `${P}/demo/multi:v1`);
      expect(r).toMatchObject({ source: 'registry', pinned: `${P}/demo/multi:v1@${e.d.index}` });
      expect(await skopeoInspect(`${P}/demo/multi:v1`)).toBe(e.d.index);
    } finally {
      await e.engine.docker(['rmi', `${P}/demo/multi:v1`]); // its last tag: the image goes, digests and all
    }
  });

  it('a localhost:PORT reference: the registry digest, equal to skopeo; --platform reads the index there too', async (ctx) => {
    const e = need(ctx);
    const L = `localhost:${port(e.plain.host)}`;
    const r = await pin1(e, `${L}/demo/app:v1`);
    expect(r.error).toBeUndefined();
    expect(r.source).toBe('registry');
    expect(r.pinned).toBe(`${L}/demo/app:v1@${await skopeoInspect(`${L}/demo/app:v1`)}`);
    expect(r.pinned).toBe(`${L}/demo/app:v1@${e.d.app}`);
    const arm = await pin1(e, `${L}/demo/multi:v1`, { platform: parsePlatform('linux/arm64') });
    expect(arm.error).toBeUndefined();
    expect(arm).toMatchObject({ pinned: `${L}/demo/multi:v1@${e.d.arm64}`, index: e.d.index });
  });
});

describe('--pull, the last resort: through a socket proxy that refuses /distribution (fake beside the real engine)', () => {
  async function withProxy<T>(e: Env, fn: (docker: ImageEngine) => Promise<T>): Promise<T> {
    const proxy = await startEngineProxy(e.engine.socketPath, { deny: /^GET \/distribution\// });
    try {
      return await fn(dockerodeEngine({ socketPath: proxy.socketPath, env: process.env }));
    } finally {
      await proxy.stop();
    }
  }

  it('without --pull: ENGINE, pullMayHelp, a hint naming --pull; nothing pulled', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/pullme:v1`;
    const err = await withProxy(e, async (docker) => failed(await pin1(e, ref, { engine: docker }), 'socket proxy refuses /distribution'));
    expect(err.code).toBe('ENGINE');
    expect(err.data.pullMayHelp).toBe(true);
    expect(err.hint).toMatch(/--pull/);
    expect(await e.docker.localImage(ref, AbortSignal.timeout(5_000))).toBeUndefined();
  });

  it('with --pull: pulls, pins the pulled digest (equal to skopeo), and the image is then local', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/pullme:v1`;
    expect(await e.docker.localImage(ref, AbortSignal.timeout(5_000))).toBeUndefined();
    const events: string[] = [];
    const r = await withProxy(e, (docker) => pin1(e, ref, { engine: docker, pull: true, onPullProgress: (_c, ev) => ev.status && events.push(ev.status) }));
    expect(r.error).toBeUndefined();
    expect(r.source).toBe('pull');
    expect(r.pinned).toBe(`${ref}@${await skopeoInspect(ref)}`);
    expect(events.some((s) => s.startsWith('Digest: '))).toBe(true);
    expect((await e.docker.localImage(ref, AbortSignal.timeout(5_000)))?.repoDigests).toEqual([`${ref.replace(/:v1$/, '')}@${e.d.pullme}`]);
    expect((await pin1(e, ref)).source).toBe('local');
  });

  it('--pull of an unknown tag: IMAGE_NOT_FOUND; of an unreachable registry: REGISTRY; wrong credentials: UNAUTHORIZED', async (ctx) => {
    const e = need(ctx);
    await withProxy(e, async (docker) => {
      expect(failed(await pin1(e, `${e.plain.host}/demo/pullme:nope`, { engine: docker, pull: true }), 'pull: unknown tag').code).toBe('IMAGE_NOT_FOUND');
      expect(failed(await pin1(e, `${e.stoppedHost}/demo/app:v1`, { engine: docker, pull: true }), 'pull: registry stopped').code).toBe('REGISTRY');
      expect(failed(await pin1(e, `${e.auth.host}/demo/secret:v1`, { engine: docker, pull: true, config: e.cfg.wrong }), 'pull: wrong credentials').code).toBe('UNAUTHORIZED');
    });
  });

  it('a pull that makes no progress fails with TIMEOUT after --timeout, not after minutes', async (ctx) => {
    const e = need(ctx);
    const silent = await startSilentRegistry();
    try {
      const t0 = Date.now();
      const err = await withProxy(e, async (docker) =>
        failed(await pin1(e, `${silent.host}/demo/app:v1`, { engine: docker, pull: true, timeoutMs: 1_000 }), 'pull from a registry that never answers'),
      );
      expect(err.code).toBe('TIMEOUT');
      expect(err.message).toMatch(/pull of .*no progress/);
      expect(Date.now() - t0).toBeLessThan(8_000);
    } finally {
      await silent.stop();
    }
  });

});

describe('credentials against the htpasswd registry', () => {
  it('right credentials from a docker login (auths): pinned, equal to skopeo', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.auth.host}/demo/secret:v1`;
    const r = await pin1(e, ref, { config: e.cfg.good });
    expect(r.error).toBeUndefined();
    expect(r.source).toBe('registry');
    expect(r.pinned).toBe(`${ref}@${await skopeoInspect(ref, { creds: CREDS })}`);
    expect(r.pinned).toBe(`${ref}@${e.d.secret}`);
  });

  it('right credentials from a credential helper (credHelpers): pinned', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.auth.host}/demo/secret:v1`;
    const credentials = dockerCredentials({ configDir: e.cfg.helper, env: { ...process.env, PATH: `${join(e.cfg.helper, 'bin')}:${process.env.PATH}` } });
    const [r] = await pinImages([{ component: 'c', address: ref }], { ...opts(e), credentials });
    expect(r!.error).toBeUndefined();
    expect(r!.pinned).toBe(`${ref}@${e.d.secret}`);
  });

  it('no credentials: UNAUTHORIZED', async (ctx) => {
    const e = need(ctx);
    const err = failed(await pin1(e, `${e.auth.host}/demo/secret:v1`, { config: e.cfg.none }), 'htpasswd registry, no credentials');
    expect(err.code).toBe('UNAUTHORIZED');
  });

  it('wrong credentials: UNAUTHORIZED, and the password is nowhere in the error', async (ctx) => {
    const e = need(ctx);
    const err = failed(await pin1(e, `${e.auth.host}/demo/secret:v1`, { config: e.cfg.wrong }), 'htpasswd registry, wrong credentials');
    expect(err.code).toBe('UNAUTHORIZED');
    const everything = `${err.message} ${err.hint ?? ''} ${JSON.stringify(err.data)}`;
    expect(everything).not.toContain('not-the-password');
    expect(everything).not.toContain(Buffer.from(`${USER}:not-the-password`).toString('base64'));
  });

  it('right credentials, unknown tag: IMAGE_NOT_FOUND, told apart from UNAUTHORIZED', async (ctx) => {
    const e = need(ctx);
    const err = failed(await pin1(e, `${e.auth.host}/demo/secret:nope`, { config: e.cfg.good }), 'htpasswd registry, right credentials, unknown tag');
    expect(err.code).toBe('IMAGE_NOT_FOUND');
    expect(err.exitCode).toBe(3);
  });

  it('--platform through the htpasswd registry reads the index with the same credentials', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.auth.host}/demo/smulti:v1`;
    expect(await skopeoInspect(ref, { creds: CREDS })).toBe(e.d.secretIndex);
    expect((await pin1(e, ref, { config: e.cfg.good })).pinned).toBe(`${ref}@${e.d.secretIndex}`);
    const arm = await pin1(e, ref, { config: e.cfg.good, platform: parsePlatform('linux/arm64') });
    expect(arm.error).toBeUndefined();
    expect(arm.pinned).toBe(`${ref}@${e.d.secretArm64}`);
    expect(arm.index).toBe(e.d.secretIndex);
    expect(failed(await pin1(e, ref, { config: e.cfg.none, platform: parsePlatform('linux/arm64') }), '--platform, htpasswd registry, no credentials').code).toBe('UNAUTHORIZED');
    // a one-platform image: no index to read, but the path must still authenticate
    const r = await pin1(e, `${e.auth.host}/demo/secret:v1`, { config: e.cfg.good, platform: parsePlatform('linux/amd64') });
    expect(r.pinned).toBe(`${e.auth.host}/demo/secret:v1@${e.d.secret}`);
  });
});

describe('failures', () => {
  it('unknown tag and unknown repository: IMAGE_NOT_FOUND (exit 3)', async (ctx) => {
    const e = need(ctx);
    const t = failed(await pin1(e, `${e.plain.host}/demo/app:nope`), 'plain registry, unknown tag');
    expect(t.code).toBe('IMAGE_NOT_FOUND');
    expect(t.exitCode).toBe(3);
    expect(t.message).toContain('component "c"');
    expect(t.message).toContain(`${e.plain.host}/demo/app:nope`);
    expect(failed(await pin1(e, `${e.plain.host}/demo/nothing:v1`), 'plain registry, unknown repository').code).toBe('IMAGE_NOT_FOUND');
  });

  it('a local image that was never pushed: IMAGE_NOT_FOUND, saying so', async (ctx) => {
    const e = need(ctx);
    const err = failed(await pin1(e, `${e.plain.host}/demo/unpushed:v1`), 'local image never pushed');
    expect(err.code).toBe('IMAGE_NOT_FOUND');
    expect(err.data.localOnly).toBe(true);
  });

  it('registry stopped: REGISTRY', async (ctx) => {
    const e = need(ctx);
    const err = failed(await pin1(e, `${e.stoppedHost}/demo/app:v1`), 'registry stopped');
    expect(err.code).toBe('REGISTRY');
    expect(err.exitCode).toBe(1);
  });

  it('registry answering 500 (fake beside the real engine): REGISTRY', async (ctx) => {
    const e = need(ctx);
    const broken = await startBrokenRegistry(500);
    try {
      expect(failed(await pin1(e, `${broken.host}/demo/app:v1`), 'registry answering 500').code).toBe('REGISTRY');
    } finally {
      await broken.stop();
    }
  });

  it('registry that never answers: TIMEOUT from our own deadline', async (ctx) => {
    const e = need(ctx);
    const silent = await startSilentRegistry();
    try {
      const t0 = Date.now();
      const err = failed(await pin1(e, `${silent.host}/demo/app:v1`, { timeoutMs: 1_000 }), 'registry never answers');
      expect(err.code).toBe('TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      await silent.stop();
    }
  });


  it('engine socket missing: ENGINE', async (ctx) => {
    const e = need(ctx);
    const missing = dockerodeEngine({ socketPath: join(e.engine.dir, 'no-such', 'docker.sock'), env: process.env });
    const [r] = await pinImages([{ component: 'c', address: `${e.plain.host}/demo/app:v1` }], { ...opts(e), engine: missing });
    const err = failed(r!, 'engine socket missing');
    expect(err.code).toBe('ENGINE');
    expect(err.exitCode).toBe(1);
  });

  it('engine socket that accepts and never answers (fake): TIMEOUT', async (ctx) => {
    const e = need(ctx);
    const hanging = await startHangingEngine();
    try {
      const t0 = Date.now();
      const [r] = await pinImages([{ component: 'c', address: `${e.plain.host}/demo/app:v1` }], { ...opts(e), engine: dockerodeEngine({ socketPath: hanging.socketPath, env: process.env }), timeoutMs: 300 });
      expect(failed(r!, 'hanging engine').code).toBe('TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      await hanging.stop();
    }
  });

  it('an engine that does not answer the image list: every component TIMEOUT at once, the engine asked once', async (ctx) => {
    const e = need(ctx);
    const hanging = await startHangingEngine();
    try {
      const reqs = ['app', 'web', 'db'].map((c) => ({ component: c, address: `${e.plain.host}/demo/${c}:v1` }));
      const rs = await pinImages(reqs, { ...opts(e), engine: dockerodeEngine({ socketPath: hanging.socketPath, env: process.env }), timeoutMs: 300 });
      expect(rs.map((r) => r.error?.code)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
      expect(hanging.requests).toEqual(['GET /images/json']);
    } finally {
      await hanging.stop();
    }
  });

  it('DOCKER_HOST=unix://… is honoured', async (ctx) => {
    const e = need(ctx);
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = e.engine.host;
    try {
      const viaEnv = dockerodeEngine({ env: process.env });
      expect(viaEnv.description).toBe(e.engine.host);
      const [r] = await pinImages([{ component: 'c', address: `${e.plain.host}/demo/app:v1` }], { ...opts(e), engine: viaEnv });
      expect(r!.pinned).toBe(`${e.plain.host}/demo/app:v1@${e.d.app}`);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('many components concurrently: every result reported, in order, failures beside successes', async (ctx) => {
    const e = need(ctx);
    const P = e.plain.host;
    const reqs = [
      ...Array.from({ length: 12 }, (_, i) => ({ component: `app${i}`, address: `${P}/demo/app:v1` })),
      { component: 'multi', address: `${P}/demo/multi:v1` },
      { component: 'missing', address: `${P}/demo/app:nope` },
      { component: 'down', address: `${e.stoppedHost}/demo/app:v1` },
      { component: 'secret', address: `${e.auth.host}/demo/secret:v1` },
      { component: 'local', address: `${P}/demo/local:v1` },
    ];
    const progress: number[] = [];
    const rs = await pinImages(reqs, opts(e, { config: e.cfg.good, concurrency: 4, onProgress: (done) => progress.push(done) }));
    expect(rs.map((r) => r.component)).toEqual(reqs.map((r) => r.component));
    expect(progress).toEqual(reqs.map((_, i) => i + 1));
    const by = Object.fromEntries(rs.map((r) => [r.component, r]));
    expect(by.app7!.pinned).toBe(`${P}/demo/app:v1@${e.d.app}`);
    expect(by.multi!.pinned).toBe(`${P}/demo/multi:v1@${e.d.index}`);
    expect(by.missing!.error?.code).toBe('IMAGE_NOT_FOUND');
    expect(by.down!.error?.code).toBe('REGISTRY');
    expect(by.secret!.pinned).toBe(`${e.auth.host}/demo/secret:v1@${e.d.secret}`);
    expect(by.local!.source).toBe('local');
  });
});

describe('verify', () => {
  it('existing digests (local images accepted): in the registry, locally, a platform child; a deleted one: IMAGE_NOT_FOUND', async (ctx) => {
    const e = need(ctx);
    const P = e.plain.host;
    expect(await headDigest(P, 'demo/gone', e.d.gone)).toBeUndefined();
    const rs = await verifyImages(
      [
        { component: 'app', address: `${P}/demo/app:v1@${e.d.app}` },
        { component: 'local', address: `${P}/demo/local:v1@${e.d.local}` },
        { component: 'child', address: `${P}/demo/multi:v1@${e.d.arm64}` },
        { component: 'index', address: `${P}/demo/multi@${e.d.index}` },
        { component: 'secret', address: `${e.auth.host}/demo/secret:v1@${e.d.secret}` },
        { component: 'gone', address: `${P}/demo/gone:v1@${e.d.gone}` },
        { component: 'unpinned', address: `${P}/demo/app:v1` },
      ],
      { engine: e.docker, credentials: dockerCredentials({ configDir: e.cfg.good }), timeoutMs: 20_000, local: true },
    );
    const by = Object.fromEntries(rs.map((r) => [r.component, r]));
    expect(by.app).toMatchObject({ ok: true, where: 'registry' });
    expect(by.local).toMatchObject({ ok: true, where: 'local' });
    expect(by.child).toMatchObject({ ok: true, where: 'registry' });
    expect(by.index).toMatchObject({ ok: true, where: 'registry' });
    expect(by.secret).toMatchObject({ ok: true, where: 'registry' });
    expect(by.gone).toMatchObject({ ok: false, status: 'missing' });
    expect(failed(by.gone!, 'verify: deleted digest').code).toBe('IMAGE_NOT_FOUND');
    expect(by.gone!.error!.message).toContain('component "gone"');
    expect(by.unpinned!.ok).toBe(false);
  });

  it('a stopped registry cannot confirm: not ok, REGISTRY', async (ctx) => {
    const e = need(ctx);
    const [r] = await verifyImages([{ component: 'down', address: `${e.stoppedHost}/demo/app:v1@${e.d.app}` }], {
      engine: e.docker,
      credentials: dockerCredentials({ configDir: e.cfg.none }),
    });
    expect(r!.ok).toBe(false);
    expect(r!.status).toBe('error');
    expect(failed(r!, 'verify: registry stopped').code).toBe('REGISTRY');
  });
});

describe('the test infrastructure cleans up after itself', () => {
  const repo = join(import.meta.dirname, '../..');
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const until = async (cond: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return cond();
  };

  // vitest stops its forks with SIGTERM, and a Ctrl-C is SIGINT: neither runs process.on('exit')
  it.for(['SIGTERM', 'SIGINT'] as const)('a suite process stopped by %s stops the registry it started and removes its folder', async (signal, ctx) => {
    if (!which('docker-registry', '/usr/bin/docker-registry')) ctx.skip();
    const work = mkdtempSync(join(tmpdir(), 'vfi-sig-'));
    try {
      const script = join(work, 'suite.mts');
      writeFileSync(
        script,
        `import { startRegistry } from ${JSON.stringify(join(repo, 'test/helpers/engine.ts'))};\n` +
          `const r = await startRegistry();\nconsole.log(JSON.stringify({ pid: r.pid, dir: r.dir }));\nsetInterval(() => {}, 1000);\n`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const started = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
        });
        child.on('exit', () => reject(new Error(`suite process exited before starting: ${out}`)));
      });
      expect(alive(started.pid)).toBe(true);
      expect(existsSync(started.dir)).toBe(true);
      child.kill(signal);
      expect(await exited).toBe(signal === 'SIGTERM' ? 143 : 130);
      expect(await until(() => !alive(started.pid), 15_000), 'registry still running').toBe(true);
      expect(await until(() => !existsSync(started.dir), 15_000), 'registry folder still there').toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('a containerd pidfile naming a process that is not that containerd: the process is left alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfi-ctr-'));
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const ours = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', `${dir}/exec/containerd/containerd.toml`], { stdio: 'ignore' });
    try {
      mkdirSync(join(dir, 'exec', 'containerd'), { recursive: true });
      const pidfile = join(dir, 'exec', 'containerd', 'containerd.pid');
      writeFileSync(pidfile, `${stranger.pid}\n`); // a PID reused by something else
      await stopLeftOverContainerd(dir);
      expect(alive(stranger.pid!)).toBe(true);
      writeFileSync(pidfile, `${ours.pid}\n`); // the containerd started for this folder
      await stopLeftOverContainerd(dir);
      expect(await until(() => ours.exitCode !== null || ours.signalCode !== null, 5_000)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
      ours.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
