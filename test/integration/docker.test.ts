/**
 * Pinning and verifying against a REAL Docker engine and REAL registries, all started here
 * (test/helpers/engine.ts) and stopped by PID afterwards. Every digest is checked against
 * skopeo. Fakes (a hanging engine socket, a registry answering 500, a registry that never
 * answers) run beside the real ones, never instead of them.
 *
 * Without the tools (or not root) the suite skips loudly; with CI=true it fails instead.
 * VFI_TEST_SHOW_ANSWERS=1 prints what the engine answered for each failure case.
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  startEngine,
  startRegistry,
  startHangingEngine,
  startBrokenRegistry,
  importImage,
  pushImage,
  pushIndex,
  dockerConfigDir,
  skopeoInspect,
  skopeoRaw,
  setupOrSkip,
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
  };
}

let env: Env | undefined;
const answers: [string, string, string][] = [];

function need(ctx: TestContext): Env {
  if (!env) ctx.skip();
  return env!;
}

async function setup(): Promise<Env> {
  const started = await startAll([startEngine(), startRegistry(), startRegistry({ htpasswd: CREDS }), startRegistry()] as const);
  try {
    return await fixtures(...started);
  } catch (e) {
    await Promise.all(started.map((s) => s.stop().catch(() => {})));
    throw e;
  }
}

/** Start everything; if one fails, stop the others (by PID) before failing. */
async function startAll<T extends readonly Promise<{ stop(): Promise<void> }>[]>(all: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(all);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop().catch(() => {}) : undefined)));
    throw failure.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

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
  await importPush(`${doomed.host}/demo/app:v1`);
  await rmi(`${P}/demo/app:v1`, `${P}/demo/multi:amd64`, `${A}/demo/secret:v1`, `${A}/demo/smulti:amd64`, `${P}/demo/gone:v1`, `${P}/demo/pullme:v1`, `${doomed.host}/demo/app:v1`);
  await deleteManifest(P, 'demo/gone', gone);
  await doomed.stop();

  return {
    engine,
    plain,
    auth,
    stoppedHost: doomed.host,
    docker: dockerodeEngine({ socketPath: engine.socketPath }),
    cfg: { none, good, wrong, helper },
    d: { app, local, movingOld, movingNew, index, amd64, arm64, secret, secretAmd64, secretArm64, secretIndex, gone, pullme },
  };
}

beforeAll(async () => {
  env = await setupOrSkip('docker integration', setup);
});

afterAll(async () => {
  if (process.env.VFI_TEST_SHOW_ANSWERS === '1') {
    for (const [c, code, msg] of answers) console.log(`${c}\n  -> ${code}: ${msg}`);
  }
  if (env) await Promise.all([env.engine.stop(), env.plain.stop(), env.auth.stop()]);
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

  it('a tag that moved in the registry: local pins what runs here, --pull pins the registry\'s current digest', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/moving:v1`;
    expect(await skopeoInspect(ref)).toBe(e.d.movingNew);
    const stale = await pin1(e, ref);
    expect(stale.source).toBe('local');
    expect(stale.pinned).toBe(`${ref}@${e.d.movingOld}`);
    const fresh = await pin1(e, ref, { pull: true });
    expect(fresh.error).toBeUndefined();
    expect(fresh.source).toBe('pull');
    expect(fresh.pinned).toBe(`${ref}@${e.d.movingNew}`);
  });

  it('--pull: pulls, pins the pulled digest (equal to skopeo), and the image is then local', async (ctx) => {
    const e = need(ctx);
    const ref = `${e.plain.host}/demo/pullme:v1`;
    expect(await e.docker.localRepoDigests(ref, AbortSignal.timeout(5_000))).toBeUndefined();
    const events: string[] = [];
    const r = await pin1(e, ref, { pull: true, onPullProgress: (_c, ev) => ev.status && events.push(ev.status) });
    expect(r.error).toBeUndefined();
    expect(r.source).toBe('pull');
    expect(r.pinned).toBe(`${ref}@${await skopeoInspect(ref)}`);
    expect(events.some((s) => s.startsWith('Digest: '))).toBe(true);
    expect(await e.docker.localRepoDigests(ref, AbortSignal.timeout(5_000))).toEqual([`${ref.replace(/:v1$/, '')}@${e.d.pullme}`]);
    expect((await pin1(e, ref)).source).toBe('local');
  });

  it('--pull of an unknown tag fails with IMAGE_NOT_FOUND, of an unreachable registry with REGISTRY', async (ctx) => {
    const e = need(ctx);
    expect(failed(await pin1(e, `${e.plain.host}/demo/pullme:nope`, { pull: true }), 'pull: unknown tag').code).toBe('IMAGE_NOT_FOUND');
    expect(failed(await pin1(e, `${e.stoppedHost}/demo/app:v1`, { pull: true }), 'pull: registry stopped').code).toBe('REGISTRY');
    expect(failed(await pin1(e, `${e.auth.host}/demo/secret:v1`, { pull: true, config: e.cfg.wrong }), 'pull: wrong credentials').code).toBe('UNAUTHORIZED');
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
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      const err = failed(await pin1(e, `127.0.0.1:${port}/demo/app:v1`, { timeoutMs: 1_000 }), 'registry never answers');
      expect(err.code).toBe('TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('engine socket missing: ENGINE', async (ctx) => {
    const e = need(ctx);
    const missing = dockerodeEngine({ socketPath: join(e.engine.dir, 'no-such', 'docker.sock') });
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
      const [r] = await pinImages([{ component: 'c', address: `${e.plain.host}/demo/app:v1` }], { ...opts(e), engine: dockerodeEngine({ socketPath: hanging.socketPath }), timeoutMs: 300 });
      expect(failed(r!, 'hanging engine').code).toBe('TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      await hanging.stop();
    }
  });

  it('DOCKER_HOST=unix://… is honoured', async (ctx) => {
    const e = need(ctx);
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = e.engine.host;
    try {
      const viaEnv = dockerodeEngine();
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
  it('existing digests: in the registry, locally, a platform child; a deleted one: IMAGE_NOT_FOUND', async (ctx) => {
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
      { engine: e.docker, credentials: dockerCredentials({ configDir: e.cfg.good }), timeoutMs: 20_000 },
    );
    const by = Object.fromEntries(rs.map((r) => [r.component, r]));
    expect(by.app).toMatchObject({ ok: true, where: 'registry' });
    expect(by.local).toMatchObject({ ok: true, where: 'local' });
    expect(by.child).toMatchObject({ ok: true, where: 'registry' });
    expect(by.index).toMatchObject({ ok: true, where: 'registry' });
    expect(by.secret).toMatchObject({ ok: true, where: 'registry' });
    expect(by.gone!.ok).toBe(false);
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
    expect(failed(r!, 'verify: registry stopped').code).toBe('REGISTRY');
  });
});
