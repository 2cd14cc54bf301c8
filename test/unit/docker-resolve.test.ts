/**
 * The orchestration of src/docker/resolve.ts over fake ImageEngines: which source wins, bounded
 * concurrency, timeouts, deduplication, platform selection, error reporting. The real engine
 * and registry are exercised in test/integration/docker.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  pinImages,
  verifyImages,
  parsePlatform,
  normalizePlatform,
  platformMatches,
  repoDigestsFor,
  localDigestOfTag,
  applyPins,
  pullWatched,
  type PinOptions,
  type PinResult,
} from '../../src/docker/resolve.js';
import type { DistributionInfo, ImageEngine, LocalImage } from '../../src/docker/engine.js';
import type { RegistryAuth } from '../../src/docker/credentials.js';
import { parseImageReference } from '../../src/core/imageRef.js';
import { VfiError } from '../../src/errors.js';

const D = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}`;
const LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

function notFound(ref: string) {
  return new VfiError('IMAGE_NOT_FOUND', `${ref} not found`, { reference: ref });
}

interface Fake extends ImageEngine {
  calls: string[];
}

function fake(over: Partial<ImageEngine> = {}): Fake {
  const calls: string[] = [];
  const base: ImageEngine = {
    description: 'fake',
    async localImage() {
      return undefined;
    },
    async distributionInspect(ref) {
      throw notFound(ref);
    },
    async pull(ref) {
      throw notFound(ref);
    },
  };
  const merged = { ...base, ...over };
  return {
    description: 'fake',
    calls,
    localImage: (ref, s) => (calls.push(`local ${ref}`), merged.localImage(ref, s)),
    distributionInspect: (ref, a, s) => (calls.push(`dist ${ref}`), merged.distributionInspect(ref, a, s)),
    pull: (ref, a, s, p, pl) => (calls.push(`pull ${ref}`), merged.pull(ref, a, s, p, pl)),
    ...(merged.localImages ? { localImages: (s: AbortSignal) => (calls.push('images'), merged.localImages!(s)) } : {}),
    ...(merged.fetchManifest ? { fetchManifest: (ref: string, a: RegistryAuth | undefined, s: AbortSignal) => (calls.push(`fetch ${ref}`), merged.fetchManifest!(ref, a, s)) } : {}),
  };
}

const noCreds = async () => undefined;
const base = (engine: ImageEngine, over: Partial<PinOptions> = {}): PinOptions => ({ engine, credentials: noCreds, pull: false, ...over });
/** A local image as the engine lists it. */
const img = (repoTags: string[], repoDigests: string[]): LocalImage => ({ repoTags, repoDigests });
const dist = (digest: string, mediaType = MANIFEST, platforms = [{ os: 'linux', architecture: 'amd64' }]): DistributionInfo => ({ digest, mediaType, platforms });

describe('where the digest comes from', () => {
  it('a local RepoDigest of the same repository wins (familiar and full names compared normalized)', async () => {
    const engine = fake({
      localImage: async () => img(['nsqio/nsq:v0.3.8', 'other/repo:v1'], ['other/repo@' + D('a'), 'nsqio/nsq@' + D('b'), 'localhost:5000/nsqio/nsq@' + D('c')]),
    });
    const [r] = await pinImages([{ component: 'nsq', address: 'nsqio/nsq:v0.3.8' }], base(engine));
    expect(r).toEqual({ component: 'nsq', address: 'nsqio/nsq:v0.3.8', pinned: `nsqio/nsq:v0.3.8@${D('b')}`, source: 'local' });
    expect(engine.calls).toEqual(['local docker.io/nsqio/nsq:v0.3.8']);
  });

  it('no local image, or none for this repository: distribution inspect', async () => {
    const engine = fake({
      localImage: async (ref) => (ref.includes('busybox') ? img(['busybox:latest'], ['other/repo@' + D('a')]) : undefined),
      distributionInspect: async (ref) => dist(ref.includes('busybox') ? D('1') : D('2')),
    });
    const rs = await pinImages(
      [
        { component: 'a', address: 'busybox' },
        { component: 'b', address: 'reg.example:5000/team/app:1.0' },
      ],
      base(engine),
    );
    expect(rs.map((r) => [r.pinned, r.source])).toEqual([
      [`busybox@${D('1')}`, 'registry'],
      [`reg.example:5000/team/app:1.0@${D('2')}`, 'registry'],
    ]);
    expect(engine.calls).toContain('dist docker.io/library/busybox:latest');
  });

  // RepoDigests belong to the image: a `docker tag` of a pulled image carries the other tag's digest
  it.each([
    ['the only tag of the repository, one digest', ['app:v2', 'other:x'], ['app@' + D('1')], D('1')],
    ['a retag: another tag of the repository on the image', ['app:v1', 'app:v2'], ['app@' + D('1')], undefined],
    ['another tag, written fully qualified', ['docker.io/library/app:v1', 'app:v2'], ['docker.io/library/app@' + D('1')], undefined],
    ['two digests of the repository', ['app:v2'], ['app@' + D('1'), 'app@' + D('2')], undefined],
    ['no digest of the repository (never pushed)', ['app:v2'], ['mirror.example/app@' + D('1')], undefined],
    ['tags of other repositories do not matter', ['app:v2', 'mirror.example/app:v1', 'app-old:v1'], ['app@' + D('1')], D('1')],
  ])('localDigestOfTag: %s', (_label, tags, digests, expected) => {
    expect(localDigestOfTag(parseImageReference('app:v2'), img(tags, digests))).toBe(expected);
  });

  it('a locally retagged image is not pinned with the other tag\'s digest: the registry decides', async () => {
    const engine = fake({
      localImage: async () => img(['app:v1', 'app:v2'], ['app@' + D('1')]),
      distributionInspect: async () => dist(D('2')),
    });
    const [r] = await pinImages([{ component: 'c', address: 'app:v2' }], base(engine));
    expect(r).toMatchObject({ pinned: `app:v2@${D('2')}`, source: 'registry' });
  });

  it('a retagged image whose tag the registry lacks: IMAGE_NOT_FOUND, "never pushed under that tag", docker push hint', async () => {
    const engine = fake({ localImage: async () => img(['reg.example/app:v1', 'reg.example/app:v3'], ['reg.example/app@' + D('1')]) });
    const [r] = await pinImages([{ component: 'c', address: 'reg.example/app:v3' }], base(engine));
    expect(r!.error!.code).toBe('IMAGE_NOT_FOUND');
    expect(r!.error!.data.localOnly).toBe(true);
    expect(r!.error!.hint).toBe('docker push reg.example/app:v3');
  });

  it('many components: one image list instead of one inspect per component', async () => {
    const engine = fake({
      localImages: async () => [
        img(['nsqio/nsq:v0.3.8'], ['nsqio/nsq@' + D('b')]),
        img(['<none>:<none>'], ['<none>@<none>']),
        img(['reg.example:5000/team/app:1.0'], ['reg.example:5000/team/app@' + D('c'), 'mirror.example/team/app@' + D('d')]),
        img(['reg.example:5000/team/web:1.0', 'reg.example:5000/team/web:latest'], ['reg.example:5000/team/web@' + D('f')]),
      ],
      distributionInspect: async () => dist(D('e')),
    });
    const rs = await pinImages(
      [
        { component: 'a', address: 'nsqio/nsq:v0.3.8' },
        { component: 'b', address: 'docker.io/nsqio/nsq:v0.3.8' },
        { component: 'c', address: 'reg.example:5000/team/app:1.0' },
        { component: 'd', address: 'reg.example:5000/team/app:2.0' },
        { component: 'e', address: 'reg.example:5000/team/web' },
      ],
      base(engine),
    );
    expect(rs.map((r) => [r.pinned, r.source])).toEqual([
      [`nsqio/nsq:v0.3.8@${D('b')}`, 'local'],
      [`docker.io/nsqio/nsq:v0.3.8@${D('b')}`, 'local'],
      [`reg.example:5000/team/app:1.0@${D('c')}`, 'local'],
      [`reg.example:5000/team/app:2.0@${D('e')}`, 'registry'],
      [`reg.example:5000/team/web@${D('e')}`, 'registry'],
    ]);
    expect(engine.calls.filter((c) => c.startsWith('local'))).toEqual([]);
  });

  it('an engine that does not answer the image list fails every component at once, without asking again', async () => {
    const engine = fake({
      localImages: (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(new VfiError('TIMEOUT', 'image list: timed out', {}, 'set DOCKER_HOST=…')));
        }),
      distributionInspect: async () => dist(D('1')),
    });
    const t0 = Date.now();
    const rs = await pinImages(
      [
        { component: 'a', address: 'app:v1' },
        { component: 'b', address: 'app:v2' },
        { component: 'c', address: 'web:v1' },
      ],
      base(engine, { timeoutMs: 100 }),
    );
    expect(rs.map((r) => r.error?.code)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    expect(rs[1]!.error!.message).toMatch(/^component "b" \(app:v2\): /);
    expect(rs[0]!.error!.hint).toBe('set DOCKER_HOST=…');
    expect(engine.calls).toEqual(['images']);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('several local digests for the repository are ambiguous: the registry decides', async () => {
    const engine = fake({
      localImage: async () => img(['app:v1'], ['app@' + D('a'), 'app@' + D('b')]),
      distributionInspect: async () => dist(D('b')),
    });
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(engine));
    expect(r!.pinned).toBe(`app:v1@${D('b')}`);
    expect(r!.source).toBe('registry');
  });

  it('registry: local images are not asked, the registry decides', async () => {
    const engine = fake({
      localImage: async () => img(['app:v1'], ['app@' + D('a')]),
      localImages: async () => [img(['app:v1'], ['app@' + D('a')])],
      distributionInspect: async () => dist(D('b')),
    });
    const rs = await pinImages([{ component: 'c', address: 'app:v1' }, { component: 'd', address: 'app:v1' }], base(engine, { registry: true }));
    expect(rs.map((r) => [r.pinned, r.source])).toEqual([[`app:v1@${D('b')}`, 'registry'], [`app:v1@${D('b')}`, 'registry']]);
    expect(engine.calls).toEqual(['dist docker.io/library/app:v1']);
  });
});

describe('--pull: the last resort, SPEC §4 step 3', () => {
  const noEndpoint = (ref: string) => new VfiError('ENGINE', `no distribution endpoint for ${ref}`, { pullMayHelp: true });

  it('not used while the local image or the registry gives the digest', async () => {
    const engine = fake({
      localImage: async (ref) => (ref.endsWith(':v1') ? img(['app:v1'], ['app@' + D('1')]) : undefined),
      distributionInspect: async () => dist(D('2')),
      pull: async () => ({ digest: D('9') }),
    });
    const rs = await pinImages([{ component: 'a', address: 'app:v1' }, { component: 'b', address: 'app:v2' }], base(engine, { pull: true }));
    expect(rs.map((r) => [r.pinned, r.source])).toEqual([[`app:v1@${D('1')}`, 'local'], [`app:v2@${D('2')}`, 'registry']]);
    expect(engine.calls.filter((c) => c.startsWith('pull'))).toEqual([]);
  });

  it('not used when the registry answered (not found, denied): a pull would ask it the same', async () => {
    const engine = fake({ pull: async () => ({ digest: D('9') }) });
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(engine, { pull: true }));
    expect(r!.error!.code).toBe('IMAGE_NOT_FOUND');
    expect(engine.calls.filter((c) => c.startsWith('pull'))).toEqual([]);
  });

  it('used when the engine cannot make the distribution inspect: the digest the pull reported, checked against RepoDigests', async () => {
    let pulled = false;
    const engine = fake({
      distributionInspect: async (ref) => {
        throw noEndpoint(ref);
      },
      pull: async () => ((pulled = true), { digest: D('e') }),
      localImage: async () => (pulled ? img(['app:v1'], ['app@' + D('d'), 'app@' + D('e')]) : undefined),
    });
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(engine, { pull: true }));
    expect(r).toMatchObject({ pinned: `app:v1@${D('e')}`, source: 'pull' });
    expect(engine.calls).toEqual(['local docker.io/library/app:v1', 'dist docker.io/library/app:v1', 'pull docker.io/library/app:v1', 'local docker.io/library/app:v1']);
  });

  it('without pull, that failure says --pull would help', async () => {
    const engine = fake({
      distributionInspect: async (ref) => {
        throw noEndpoint(ref);
      },
    });
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(engine));
    expect(r!.error!.code).toBe('ENGINE');
    expect(r!.error!.hint).toMatch(/--pull/);
    expect(engine.calls.filter((c) => c.startsWith('pull'))).toEqual([]);
  });

  it('a pull that reports no digest: the one local digest, else an error', async () => {
    const unavailable = { distributionInspect: async (ref: string): Promise<DistributionInfo> => { throw noEndpoint(ref); } };
    const one = fake({ ...unavailable, pull: async () => {}, localImage: async () => img(['app:v1'], ['app@' + D('1')]) });
    expect((await pinImages([{ component: 'c', address: 'app:v1' }], base(one, { pull: true, registry: true })))[0]).toMatchObject({ pinned: `app:v1@${D('1')}`, source: 'pull' });
    const two = fake({ ...unavailable, pull: async () => ({}), localImage: async () => img(['app:v1'], ['app@' + D('1'), 'app@' + D('2')]) });
    expect((await pinImages([{ component: 'c', address: 'app:v1' }], base(two, { pull: true, registry: true })))[0]!.error!.code).toBe('ENGINE');
  });

  it('a pull may take long while it makes progress, and fails with TIMEOUT after timeoutMs of silence', async () => {
    const progressing = fake({
      pull: async (_ref, _auth, signal, onProgress) => {
        for (let i = 0; i < 8; i++) {
          await new Promise((r) => setTimeout(r, 40));
          if (signal.aborted) throw new VfiError('TIMEOUT', 'aborted', {});
          onProgress?.({ status: 'Downloading' });
        }
        return { digest: D('1') };
      },
    });
    const t0 = Date.now();
    expect(await pullWatched(progressing, 'app:v1', undefined, 150)).toEqual({ digest: D('1') });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300); // longer than the silence allowed, in total

    const silent = fake({
      pull: (_ref, _auth, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new VfiError('TIMEOUT', 'aborted', {})))),
    });
    await expect(pullWatched(silent, 'app:v1', undefined, 100)).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/no progress .* for 0\.1 s/) });
  });

  it('an address that already has a digest is left as it is, without asking the engine', async () => {
    const engine = fake();
    const [r] = await pinImages([{ component: 'c', address: `app:v1@${D('f')}` }], base(engine));
    expect(r).toEqual({ component: 'c', address: `app:v1@${D('f')}`, pinned: `app:v1@${D('f')}` });
    expect(engine.calls).toEqual([]);
  });
});

describe('applyPins', () => {
  const pin = (component: string, address: string, digest: string): PinResult => ({ component, address, pinned: `${address}@${digest}`, source: 'registry' });
  const results = [pin('app', 'app:v1', D('1')), pin('web', 'web:v1', D('2')), pin('gone', 'gone:v1', D('3')), { component: 'bad', address: 'bad:v1', error: new VfiError('IMAGE_NOT_FOUND', 'x') }];

  it('pins the components still at the resolved address, leaves changed, new and failed ones', () => {
    const head = {
      app: { type: 'dockerImage' as const, address: 'app:v1', 'x-team': 'a' },
      web: { type: 'dockerImage' as const, address: 'web:v2' },
      bad: { type: 'dockerImage' as const, address: 'bad:v1' },
      extra: { type: 'dockerImage' as const, address: 'app:v1' },
      api: { type: 'git' as const, address: 'https://example.com/a.git@72e5e550d1835013832f64597cb1368b7155bd53' },
    };
    const out = applyPins(head, results);
    expect(out.vfi).toEqual({ ...head, app: { type: 'dockerImage', address: `app:v1@${D('1')}`, 'x-team': 'a' } });
    expect(out.applied.map((r) => r.component)).toEqual(['app']);
    expect(out.skipped).toEqual(['web', 'gone']);
  });
});

describe('many components', () => {
  it('bounded concurrency, results in request order, progress for each', async () => {
    let inFlight = 0;
    let max = 0;
    const engine = fake({
      distributionInspect: async (ref) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise((r) => setTimeout(r, 5 + (ref.length % 7)));
        inFlight--;
        return dist(D(String(ref.length % 10)));
      },
    });
    const reqs = Array.from({ length: 30 }, (_, i) => ({ component: `c${i}`, address: `reg.example/app${i}:v1` }));
    const progress: string[] = [];
    const rs = await pinImages(reqs, base(engine, { concurrency: 3, onProgress: (done, total, c) => progress.push(`${done}/${total} ${c}`) }));
    expect(max).toBe(3);
    expect(rs.map((r) => r.component)).toEqual(reqs.map((r) => r.component));
    expect(progress).toHaveLength(30);
    expect(progress.at(-1)).toMatch(/^30\/30 /);
  });

  it('the default bound is 8', async () => {
    let inFlight = 0;
    let max = 0;
    const engine = fake({
      distributionInspect: async () => {
        max = Math.max(max, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return dist(D('1'));
      },
    });
    await pinImages(Array.from({ length: 20 }, (_, i) => ({ component: `c${i}`, address: `app${i}` })), base(engine));
    expect(max).toBe(8);
  });

  it('the same address in several components is resolved once', async () => {
    const engine = fake({ distributionInspect: async () => dist(D('1')) });
    const rs = await pinImages(
      [
        { component: 'a', address: 'app:v1' },
        { component: 'b', address: 'app:v1' },
        { component: 'c', address: 'app:v2' },
      ],
      base(engine),
    );
    expect(rs.map((r) => r.pinned)).toEqual([`app:v1@${D('1')}`, `app:v1@${D('1')}`, `app:v2@${D('1')}`]);
    expect(engine.calls.filter((c) => c.startsWith('dist'))).toEqual(['dist docker.io/library/app:v1', 'dist docker.io/library/app:v2']);
  });

  it('failures are per component: code kept, component and address named, the others pinned', async () => {
    const engine = fake({
      distributionInspect: async (ref) => {
        if (ref.includes('missing')) throw notFound(ref);
        if (ref.includes('bug')) throw new TypeError('boom');
        return dist(D('1'));
      },
    });
    const rs = await pinImages(
      [
        { component: 'ok', address: 'app:v1' },
        { component: 'gone', address: 'missing:v1' },
        { component: 'weird', address: 'bug:v1' },
      ],
      base(engine),
    );
    expect(rs[0]!.pinned).toBe(`app:v1@${D('1')}`);
    expect(rs[1]!.error).toBeInstanceOf(VfiError);
    expect(rs[1]!.error!.code).toBe('IMAGE_NOT_FOUND');
    expect(rs[1]!.error!.message).toMatch(/^component "gone" \(missing:v1\): /);
    expect(rs[1]!.error!.data).toMatchObject({ component: 'gone', address: 'missing:v1' });
    expect(rs[2]!.error!.code).toBe('ENGINE');
    expect(rs[1]!.pinned).toBeUndefined();
  });

  it('a credentials failure fails only the components of that registry', async () => {
    const engine = fake({ distributionInspect: async () => dist(D('1')) });
    const credentials = async (host: string) => {
      if (host === 'private.example') throw new VfiError('UNAUTHORIZED', 'helper broke', {});
      return undefined;
    };
    const rs = await pinImages(
      [
        { component: 'a', address: 'private.example/x:1' },
        { component: 'b', address: 'public.example/y:1' },
      ],
      { ...base(engine), credentials },
    );
    expect(rs[0]!.error!.code).toBe('UNAUTHORIZED');
    expect(rs[1]!.pinned).toBe(`public.example/y:1@${D('1')}`);
  });

  it('credentials are asked for the reference\'s domain and handed to the engine', async () => {
    const seen: (RegistryAuth | undefined)[] = [];
    const hosts: string[] = [];
    const engine = fake({
      distributionInspect: async (_ref, auth) => {
        seen.push(auth);
        return dist(D('1'));
      },
    });
    await pinImages([{ component: 'a', address: 'reg.example:5000/x:1' }], {
      ...base(engine),
      credentials: async (h) => {
        hosts.push(h);
        return { username: 'u', password: 'p', serveraddress: h };
      },
    });
    expect(hosts).toEqual(['reg.example:5000']);
    expect(seen).toEqual([{ username: 'u', password: 'p', serveraddress: 'reg.example:5000' }]);
  });

  it('every engine call gets an AbortSignal that fires after timeoutMs', async () => {
    const engine = fake({
      localImage: (_ref, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(new VfiError('TIMEOUT', 'timed out', {})));
        }),
    });
    const t0 = Date.now();
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(engine, { timeoutMs: 100 }));
    expect(r!.error!.code).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});

describe('--platform', () => {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: LIST,
      manifests: [
        { mediaType: MANIFEST, digest: D('1'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MANIFEST, digest: D('2'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
        { mediaType: MANIFEST, digest: D('3'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { mediaType: MANIFEST, digest: D('4'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: MANIFEST, digest: D('5'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    }),
  );
  const indexDigest = sha(index);
  const platforms = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm', variant: 'v6' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ];
  const engine = () =>
    fake({
      distributionInspect: async (ref) => {
        const at = ref.indexOf('@');
        if (at >= 0) return dist(ref.slice(at + 1));
        return dist(indexDigest, LIST, platforms);
      },
      fetchManifest: async () => ({ mediaType: LIST, bytes: index, digest: indexDigest }),
    });

  it.each([
    ['linux/amd64', D('1'), 'linux/amd64'],
    ['linux/arm64', D('4'), 'linux/arm64'],
    ['linux/aarch64', D('4'), 'linux/arm64'],
    ['linux/arm64/v8', D('4'), 'linux/arm64'],
    ['linux/arm/v6', D('2'), 'linux/arm/v6'],
    ['linux/arm/v7', D('3'), 'linux/arm/v7'],
    ['linux/arm', D('3'), 'linux/arm'],
  ])('%s pins the child %s', async (platform, digest, said) => {
    const e = engine();
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(e, { platform: parsePlatform(platform) }));
    expect(r!.error).toBeUndefined();
    expect(r!.pinned).toBe(`app:v1@${digest}`);
    expect(r!.platform).toBe(said);
    expect(r!.index).toBe(indexDigest);
    expect(e.calls).toContain(`fetch docker.io/library/app@${indexDigest}`);
    expect(e.calls).toContain(`dist docker.io/library/app@${digest}`);
  });

  it('a platform the index lacks: IMAGE_NOT_FOUND', async () => {
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(engine(), { platform: parsePlatform('windows/amd64') }));
    expect(r!.error!.code).toBe('IMAGE_NOT_FOUND');
  });

  it('index bytes that do not hash to the engine\'s digest are refused', async () => {
    const e = fake({
      distributionInspect: async () => dist(D('9'), LIST, platforms),
      fetchManifest: async () => ({ mediaType: LIST, bytes: index, digest: indexDigest }),
    });
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(e, { platform: parsePlatform('linux/amd64') }));
    expect(r!.error!.code).toBe('REGISTRY');
  });

  it('an engine that cannot read indexes says so', async () => {
    const e = fake({ distributionInspect: async () => dist(indexDigest, LIST, platforms) });
    const [r] = await pinImages([{ component: 'c', address: 'app:v1' }], base(e, { platform: parsePlatform('linux/amd64') }));
    expect(r!.error!.code).toBe('ENGINE');
  });
});

describe('platform strings', () => {
  it('parses os/arch[/variant] and refuses the rest as USAGE', () => {
    expect(parsePlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    for (const bad of ['linux', 'linux/', '/amd64', 'a/b/c/d', 'linux/amd 64']) {
      expect(() => parsePlatform(bad)).toThrowError(expect.objectContaining({ code: 'USAGE' }));
    }
  });

  it('normalizes like containerd', () => {
    expect(normalizePlatform({ os: 'Linux', architecture: 'x86_64' })).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'arm' })).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm' })).toBe(false);
  });
});

describe('repoDigestsFor', () => {
  it('keeps the digests of the reference\'s repository only', () => {
    const ref = parseImageReference('docker.io/library/ubuntu:22.04');
    expect(repoDigestsFor(ref, ['ubuntu@' + D('1'), 'library/ubuntu@' + D('1'), 'myreg:5000/ubuntu@' + D('2'), '<none>@<none>', 'ubuntu@' + D('3')])).toEqual([D('1'), D('3')]);
  });
});

describe('verifyImages', () => {
  it('with local: true, local first, then the registry; a missing digest is IMAGE_NOT_FOUND; unpinned is refused', async () => {
    const engine = fake({
      localImage: async (ref) => {
        if (ref.endsWith(D('4'))) throw new VfiError('ENGINE', 'cannot reach the Docker engine', {});
        return ref.endsWith(D('1')) ? img([], ['app@' + D('1')]) : undefined;
      },
      distributionInspect: async (ref) => {
        if (ref.endsWith(D('2'))) return dist(D('2'));
        throw notFound(ref);
      },
    });
    const rs = await verifyImages(
      [
        { component: 'a', address: `app:v1@${D('1')}` },
        { component: 'b', address: `app:v1@${D('2')}` },
        { component: 'c', address: `app:v1@${D('3')}` },
        { component: 'd', address: 'app:v1' },
        { component: 'e', address: `app:v1@${D('4')}` },
      ],
      { engine, credentials: noCreds, local: true },
    );
    expect(rs.map((r) => [r.component, r.ok, r.status, r.where, r.error?.code])).toEqual([
      ['a', true, 'ok', 'local', undefined],
      ['b', true, 'ok', 'registry', undefined],
      ['c', false, 'missing', undefined, 'IMAGE_NOT_FOUND'],
      ['d', false, 'error', undefined, 'INVALID_INPUT'],
      ['e', false, 'error', undefined, 'ENGINE'],
    ]);
    expect(engine.calls).toContain(`dist docker.io/library/app@${D('2')}`);
  });
});
