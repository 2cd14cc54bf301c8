/**
 * Pinning image tags to digests, and verifying pinned digests, over an ImageEngine (SPEC §4).
 * No I/O of its own: everything goes through `opts.engine` and `opts.credentials`, so it runs the
 * same against the real engine and against fakes. It never throws for one component's failure:
 * every component gets a result, with `error` set where it failed.
 *
 * Where a tag's digest comes from (the order of SPEC §4, and what it means for stale digests):
 *
 * 1. The local image's RepoDigests, when the engine has `name:tag` and exactly one RepoDigest of
 *    the reference's repository (compared fully qualified, so `nsqio/nsq` matches
 *    `docker.io/nsqio/nsq`; digests of other repositories the same image was pushed to are
 *    ignored). That is the image `docker run name:tag` would run on this machine, and needs no
 *    network. It can be stale: if the tag moved in the registry since the last pull, this pins
 *    the older digest, which is still what runs here. The result says `source: 'local'`, and
 *    `--pull` (below) is the way to pin the registry's current digest.
 *    Several RepoDigests for the repository (the image was pulled or pushed under several tags
 *    whose manifests differ) cannot tell which belongs to this tag: step 2 decides.
 *    For several components the local images are listed once (`engine.localImages`, one
 *    GET /images/json) instead of one image inspect per component: same answer, one call.
 *    A local image with no RepoDigest for the repository (built or tagged here, never pushed)
 *    goes to step 2 too; if the registry lacks it, the error says it was never pushed.
 * 2. Else the engine's distribution inspect (`GET /distribution/{name}/json`): the registry's
 *    manifest digest right now, no pull; for a multi-platform image the index digest, as
 *    `skopeo inspect`, `docker pull` and `docker compose` report it. `source: 'registry'`.
 * 3. With `pull: true`, step 1 and 2 are replaced by: pull `name:tag`, then the digest the
 *    pull reported, checked against the local RepoDigests. So `--pull` always pins the
 *    registry's current digest and leaves that image local. `source: 'pull'`.
 *
 * With `platform`, the platform's child manifest is pinned instead of the index: the index
 * digest comes from distribution inspect (step 2; local RepoDigests only ever hold index
 * digests), the index bytes from the registry (`engine.fetchManifest`, checked to hash to that
 * digest), and the child's existence and platform are confirmed by distribution inspect of
 * `name@child`. A single-platform image is pinned as is when its platform matches.
 */
import { VfiError, isVfiError } from '../errors.js';
import { parseImageReference, withDigest, type ImageReference } from '../core/imageRef.js';
import type { RegistryAuth } from './credentials.js';
import type { DistributionInfo, ImageEngine, LocalImage, Platform, PullEvent, PullResult } from './engine.js';
import { INDEX_MEDIA_TYPES } from './registry.js';

export type { Platform } from './engine.js';

/** address: an already validated dockerImage reference without digest */
export interface PinRequest {
  component: string;
  address: string;
}

export interface PinResult {
  component: string;
  address: string;
  /** `name:tag@sha256:…`, the tag kept as written */
  pinned?: string;
  source?: 'local' | 'registry' | 'pull';
  /** with `platform`: the platform pinned (`linux/arm64/v8`) and the index it was picked from */
  platform?: string;
  index?: string;
  error?: VfiError;
}

export interface VerifyRequest {
  component: string;
  address: string;
}

export interface VerifyResult {
  component: string;
  address: string;
  ok: boolean;
  /** where the digest was found */
  where?: 'local' | 'registry';
  error?: VfiError;
}

export interface EngineCallOptions {
  engine: ImageEngine;
  /** registry credentials for a reference's domain ("docker.io", "127.0.0.1:5000") */
  credentials: (host: string) => Promise<RegistryAuth | undefined>;
  /** at most this many components in flight; default 8 */
  concurrency?: number;
  /** per engine call (inspect, distribution inspect, manifest fetch); default 60 s */
  timeoutMs?: number;
  onProgress?: (done: number, total: number, component: string) => void;
}

export interface PinOptions extends EngineCallOptions {
  pull: boolean;
  platform?: Platform;
  /** per pull; default 10 min */
  pullTimeoutMs?: number;
  onPullProgress?: (component: string, event: PullEvent) => void;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_PULL_TIMEOUT_MS = 600_000;

// ---------------------------------------------------------------------------------------------
// platforms

const ARCH_ALIASES: Record<string, [string, string?]> = {
  x86_64: ['amd64'],
  'x86-64': ['amd64'],
  aarch64: ['arm64'],
  armhf: ['arm', 'v7'],
  armel: ['arm', 'v6'],
  i386: ['386'],
};

/** containerd's platforms.Normalize, for the values that matter here. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  const alias = ARCH_ALIASES[architecture];
  if (alias) {
    architecture = alias[0];
    variant ??= alias[1];
  }
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  if (architecture === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** `os/arch[/variant]`, e.g. `linux/arm64`, `linux/arm/v7`. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !/^[A-Za-z0-9_.-]+$/.test(x))) {
    throw new VfiError('USAGE', `invalid platform ${JSON.stringify(s)}: expected os/arch or os/arch/variant, e.g. linux/arm64`, { platform: s });
  }
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}

/** Does `candidate` satisfy `wanted`? A wanted platform without variant accepts any variant. */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  if (w.variant === undefined) return true;
  return (c.variant ?? (c.architecture === 'arm' ? 'v7' : undefined)) === w.variant;
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Run `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function asVfiError(e: unknown): VfiError {
  if (isVfiError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new VfiError('ENGINE', `unexpected failure: ${message}`, { cause: message });
}

/** Prefix the component and the address, keep code, data and hint. */
function forComponent(e: unknown, component: string, address: string): VfiError {
  const err = asVfiError(e);
  return new VfiError(err.code, `component "${component}" (${address}): ${err.message}`, { ...err.data, component, address }, err.hint);
}

/** `name@sha256:…` entries of RepoDigests that belong to `ref`'s repository. */
export function repoDigestsFor(ref: ImageReference, repoDigests: string[]): string[] {
  const found = new Set<string>();
  for (const rd of repoDigests) {
    try {
      const r = parseImageReference(rd);
      if (r.fullName === ref.fullName && r.digest) found.add(r.digest);
    } catch {
      /* the engine's own odd entries ("<none>@<none>") */
    }
  }
  return [...found];
}

interface Pinned {
  digest: string;
  source: 'local' | 'registry' | 'pull';
  platform?: string;
  index?: string;
}

// ---------------------------------------------------------------------------------------------
// pin

/** `fullName:tag` → RepoDigests, from one image list: the local images when resolve started. */
type LocalSnapshot = Map<string, string[]>;

function snapshotOf(images: LocalImage[]): LocalSnapshot {
  const map: LocalSnapshot = new Map();
  for (const img of images) {
    for (const tag of img.repoTags) {
      try {
        const r = parseImageReference(tag);
        if (r.tag) map.set(`${r.fullName}:${r.tag}`, img.repoDigests);
      } catch {
        /* "<none>:<none>" */
      }
    }
  }
  return map;
}

async function pinOne(ref: ImageReference, opts: PinOptions, snapshot?: LocalSnapshot): Promise<Pinned> {
  const { engine } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = () => AbortSignal.timeout(timeoutMs);
  const tagRef = `${ref.fullName}:${ref.tag ?? 'latest'}`;
  let auth: RegistryAuth | undefined;
  let authLoaded = false;
  const getAuth = async () => {
    if (!authLoaded) {
      auth = await opts.credentials(ref.domain);
      authLoaded = true;
    }
    return auth;
  };

  if (opts.platform) return pinPlatform(ref, tagRef, opts.platform, opts, getAuth, signal);

  if (opts.pull) {
    const pulled: PullResult | void = await engine.pull(
      tagRef,
      await getAuth(),
      AbortSignal.timeout(opts.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS),
      opts.onPullProgress ? (ev) => opts.onPullProgress!(ref.original, ev) : undefined,
    );
    const local = repoDigestsFor(ref, (await engine.localRepoDigests(tagRef, signal())) ?? []);
    const reported = pulled?.digest;
    if (reported && (local.length === 0 || local.includes(reported))) return { digest: reported, source: 'pull' };
    if (!reported && local.length === 1) return { digest: local[0]!, source: 'pull' };
    // pulled, but which digest is this tag's cannot be told locally: the registry knows
    const info = await engine.distributionInspect(tagRef, await getAuth(), signal());
    return { digest: info.digest, source: 'pull' };
  }

  const localAll = snapshot ? snapshot.get(tagRef) : await engine.localRepoDigests(tagRef, signal());
  const local = localAll ? repoDigestsFor(ref, localAll) : [];
  if (local.length === 1) return { digest: local[0]!, source: 'local' };
  try {
    const info = await engine.distributionInspect(tagRef, await getAuth(), signal());
    return { digest: info.digest, source: 'registry' };
  } catch (e) {
    if (localAll && local.length === 0 && isVfiError(e) && e.code === 'IMAGE_NOT_FOUND') {
      // built or tagged here and never pushed: there is no digest anyone else could pull
      throw new VfiError(e.code, `${e.message}; the local image ${tagRef} has no registry digest (never pushed)`, { ...e.data, localOnly: true }, `docker push ${ref.familiarName}:${ref.tag ?? 'latest'}`);
    }
    throw e;
  }
}

async function pinPlatform(
  ref: ImageReference,
  tagRef: string,
  platform: Platform,
  opts: PinOptions,
  getAuth: () => Promise<RegistryAuth | undefined>,
  signal: () => AbortSignal,
): Promise<Pinned> {
  const { engine } = opts;
  const wanted = formatPlatform(normalizePlatform(platform));
  if (opts.pull) {
    await engine.pull(
      tagRef,
      await getAuth(),
      AbortSignal.timeout(opts.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS),
      opts.onPullProgress ? (ev) => opts.onPullProgress!(ref.original, ev) : undefined,
      platform,
    );
  }
  const info: DistributionInfo = await engine.distributionInspect(tagRef, await getAuth(), signal());
  const source = opts.pull ? 'pull' : 'registry';
  const have = info.platforms.map(formatPlatform).join(', ') || 'unknown';

  if (!INDEX_MEDIA_TYPES.has(info.mediaType)) {
    // a single-platform image: its platform comes from its config
    if (info.platforms.some((p) => platformMatches(platform, p))) return { digest: info.digest, source, platform: wanted };
    throw new VfiError('IMAGE_NOT_FOUND', `${ref.original} has no ${wanted} image (it is ${have})`, { reference: ref.original, platform: wanted, platforms: have });
  }
  if (!info.platforms.some((p) => platformMatches(platform, p))) {
    throw new VfiError('IMAGE_NOT_FOUND', `${ref.original} has no ${wanted} image (it has ${have})`, { reference: ref.original, platform: wanted, platforms: have });
  }
  if (!engine.fetchManifest) {
    throw new VfiError('ENGINE', `cannot pin the ${wanted} manifest of ${ref.original}: this engine connection cannot read the index`, { reference: ref.original });
  }
  const indexRef = `${ref.fullName}@${info.digest}`;
  const fetched = await engine.fetchManifest(indexRef, await getAuth(), signal());
  if (fetched.digest !== info.digest) {
    throw new VfiError('REGISTRY', `the index of ${ref.original} hashes to ${fetched.digest}, not to ${info.digest} as the engine reported`, { reference: ref.original });
  }
  let index: { manifests?: { digest?: unknown; mediaType?: unknown; platform?: { os?: unknown; architecture?: unknown; variant?: unknown } }[] };
  try {
    index = JSON.parse(fetched.bytes.toString('utf8')) as typeof index;
  } catch {
    throw new VfiError('REGISTRY', `the index of ${ref.original} is not JSON`, { reference: ref.original });
  }
  const children = (index.manifests ?? []).filter(
    (m) =>
      typeof m.digest === 'string' &&
      typeof m.platform?.os === 'string' &&
      typeof m.platform.architecture === 'string' &&
      platformMatches(platform, {
        os: m.platform.os,
        architecture: m.platform.architecture,
        ...(typeof m.platform.variant === 'string' ? { variant: m.platform.variant } : {}),
      }),
  );
  // prefer an exact variant match when the index has several (arm/v6 and arm/v7, say); a
  // platform asked without variant prefers the default one (arm: v7), as containerd does
  const asked = normalizePlatform(platform);
  const preferred = formatPlatform(asked.variant === undefined && asked.architecture === 'arm' ? { ...asked, variant: 'v7' } : asked);
  const exact = children.find(
    (m) =>
      formatPlatform(
        normalizePlatform({
          os: String(m.platform!.os),
          architecture: String(m.platform!.architecture),
          ...(typeof m.platform!.variant === 'string' ? { variant: m.platform!.variant } : {}),
        }),
      ) === preferred,
  );
  const child = exact ?? children[0];
  if (!child) {
    throw new VfiError('IMAGE_NOT_FOUND', `${ref.original} has no ${wanted} image (it has ${have})`, { reference: ref.original, platform: wanted });
  }
  const childDigest = child.digest as string;
  // the engine confirms the child exists in the registry and is of that platform
  const childInfo = await engine.distributionInspect(`${ref.fullName}@${childDigest}`, await getAuth(), signal());
  if (childInfo.digest !== childDigest) {
    throw new VfiError('REGISTRY', `the ${wanted} manifest of ${ref.original} is ${childDigest} in the index, but the engine reports ${childInfo.digest}`, { reference: ref.original });
  }
  return { digest: childDigest, source, platform: wanted, index: info.digest };
}

/**
 * Pin every request's tag to a digest. Results are in request order; a failed component has
 * `error` and no `pinned`. Identical addresses are resolved once.
 */
export async function pinImages(reqs: PinRequest[], opts: PinOptions): Promise<PinResult[]> {
  const total = reqs.length;
  let done = 0;
  const shared = new Map<string, Promise<Pinned>>();
  // Many components: list the local images once rather than inspect each (one engine call
  // instead of N). Not with pull (the local state changes) nor platform (local is not used).
  let snapshot: LocalSnapshot | undefined;
  if (opts.engine.localImages && !opts.pull && !opts.platform && reqs.length > 1) {
    try {
      snapshot = snapshotOf(await opts.engine.localImages(AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)));
    } catch {
      snapshot = undefined; // each component then asks, and reports its own error
    }
  }
  return mapBounded(reqs, opts.concurrency ?? DEFAULT_CONCURRENCY, async (req): Promise<PinResult> => {
    let result: PinResult;
    try {
      const ref = parseImageReference(req.address);
      if (ref.digest) {
        result = { component: req.component, address: req.address, pinned: req.address };
      } else {
        let p = shared.get(req.address);
        if (!p) {
          p = pinOne(ref, opts, snapshot);
          shared.set(req.address, p);
        }
        const pinned = await p;
        result = {
          component: req.component,
          address: req.address,
          pinned: withDigest(ref, pinned.digest),
          source: pinned.source,
          ...(pinned.platform ? { platform: pinned.platform } : {}),
          ...(pinned.index ? { index: pinned.index } : {}),
        };
      }
    } catch (e) {
      result = { component: req.component, address: req.address, error: forComponent(e, req.component, req.address) };
    }
    opts.onProgress?.(++done, total, req.component);
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// verify

async function verifyOne(ref: ImageReference, opts: EngineCallOptions): Promise<'local' | 'registry'> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const digestRef = `${ref.fullName}@${ref.digest}`;
  const local = await opts.engine.localRepoDigests(digestRef, AbortSignal.timeout(timeoutMs));
  if (local && repoDigestsFor(ref, local).includes(ref.digest!)) return 'local';
  const auth = await opts.credentials(ref.domain);
  let info: DistributionInfo;
  try {
    info = await opts.engine.distributionInspect(digestRef, auth, AbortSignal.timeout(timeoutMs));
  } catch (e) {
    if (isVfiError(e) && e.code === 'IMAGE_NOT_FOUND') {
      throw new VfiError('IMAGE_NOT_FOUND', `${ref.digest} no longer exists in ${ref.domain}/${ref.path} (nor in the local engine)`, { ...e.data, digest: ref.digest });
    }
    throw e;
  }
  if (info.digest !== ref.digest) {
    throw new VfiError('REGISTRY', `the registry answered ${info.digest} when asked for ${digestRef}`, { digest: ref.digest });
  }
  return 'registry';
}

/**
 * Check that every pinned digest still exists, in the local engine or in its registry.
 * `ok: false` with an error for a missing digest (IMAGE_NOT_FOUND), an address without digest,
 * or a check that could not be made (registry down, unauthorized, timeout).
 */
export async function verifyImages(reqs: VerifyRequest[], opts: EngineCallOptions): Promise<VerifyResult[]> {
  const total = reqs.length;
  let done = 0;
  return mapBounded(reqs, opts.concurrency ?? DEFAULT_CONCURRENCY, async (req): Promise<VerifyResult> => {
    let result: VerifyResult;
    try {
      const ref = parseImageReference(req.address);
      if (!ref.digest) throw new VfiError('INVALID_INPUT', 'not pinned to a digest (run vfi resolve first)', {});
      result = { component: req.component, address: req.address, ok: true, where: await verifyOne(ref, opts) };
    } catch (e) {
      result = { component: req.component, address: req.address, ok: false, error: forComponent(e, req.component, req.address) };
    }
    opts.onProgress?.(++done, total, req.component);
    return result;
  });
}
