/**
 * Pinning image tags to digests, and verifying pinned digests, over an ImageEngine (SPEC §4).
 * No I/O of its own: everything goes through `opts.engine` and `opts.credentials`, so it runs the
 * same against the real engine and against fakes. It never throws for one component's failure:
 * every component gets a result, with `error` set where it failed.
 *
 * Where a tag's digest comes from (the order of SPEC §4):
 *
 * 1. The local image's RepoDigests, when one of them can be attributed to this tag. RepoDigests
 *    belong to the image, not to a tag: dockerd records `repo@digest` when it pulls or pushes
 *    `repo:tag` (the manifest it fetched or wrote) and records nothing on `docker tag`. So the
 *    local digest is this tag's only when the image has exactly one RepoDigest of the
 *    reference's repository AND no other tag of that repository: then the digest was recorded
 *    by a pull or push of this very tag. An image that also carries `repo:v1` (say `repo:v2` is
 *    a local `docker tag` of a pulled `repo:v1`) goes to step 2, as does one with several
 *    RepoDigests of the repository. Repositories are compared fully qualified (`nsqio/nsq` is
 *    `docker.io/nsqio/nsq`); other repositories' tags and digests do not matter.
 *    What this cannot see: a tag added after the other name was removed (`docker pull r:v1;
 *    docker tag r:v1 r:v2; docker rmi r:v1`) or to an image pulled by digest; `registry: true`
 *    skips this step for that reason, and for the ordinary one that a local digest can be older
 *    than the registry's tag. `source: 'local'`.
 *    For several components the local images are listed once (`engine.localImages`, one
 *    GET /images/json) instead of one image inspect per component; an engine that does not
 *    answer that list fails every component at once.
 * 2. Else the engine's distribution inspect (`GET /distribution/{name}/json`): the registry's
 *    manifest digest right now, no pull; for a multi-platform image the index digest, as
 *    `skopeo inspect`, `docker pull` and `docker compose` report it. `source: 'registry'`.
 * 3. Else, with `pull: true`, a pull of `name:tag` followed by an image inspect: the digest the
 *    pull reported, checked against the RepoDigests it left. Only where step 2 could not be made
 *    at all (`data.pullMayHelp`: an engine without that endpoint, a socket proxy refusing it):
 *    where the registry itself answered (not found, denied, unreachable) a pull would ask it the
 *    same question. `source: 'pull'`. A pull may be silent for at most `timeoutMs` between
 *    progress events.
 *
 * With `platform`, the platform's child manifest is pinned instead of the index: the index
 * digest comes from distribution inspect (step 2; local RepoDigests only ever hold the digest the
 * image was pulled by), the index bytes from the registry (`engine.fetchManifest`, checked to
 * hash to that digest), and the child's existence and platform are confirmed by distribution
 * inspect of `name@child`. A single-platform image is pinned as is when its platform matches.
 * There is no pull fallback for a platform: the child digest needs the distribution endpoint.
 */
import { VfiError, isVfiError } from '../errors.js';
import { parseImageReference, withDigest, type ImageReference } from '../core/imageRef.js';
import type { RegistryAuth } from './credentials.js';
import type { DistributionInfo, ImageEngine, LocalImage, Platform, PullEvent, PullResult } from './engine.js';
import { chooseChild, formatPlatform, normalizePlatform, platformMatches } from '../core/platform.js';
import { INDEX_MEDIA_TYPES } from './registry.js';

export type { Platform } from './engine.js';
export { formatPlatform, normalizePlatform, parsePlatform, platformMatches } from '../core/platform.js';
export { applyPins, type AppliedPins } from '../core/pins.js';

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
  /** `missing`: the digest is gone (IMAGE_NOT_FOUND); `error`: it could not be checked */
  status: 'ok' | 'missing' | 'error';
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
  /** per engine call (inspect, distribution inspect, manifest fetch), and the longest a pull may go without a progress event; default 60 s */
  timeoutMs?: number;
  onProgress?: (done: number, total: number, component: string) => void;
}

export interface PinOptions extends EngineCallOptions {
  /** step 3: pull when the engine cannot ask the registry otherwise */
  pull: boolean;
  /** skip step 1: pin what the registry has now, whatever the local images are */
  registry?: boolean;
  platform?: Platform;
  onPullProgress?: (component: string, event: PullEvent) => void;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_TIMEOUT_MS = 60_000;

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

/** `fullName:tag` → the local image under that tag, from one image list taken when resolve started. */
type LocalSnapshot = Map<string, LocalImage>;

function snapshotOf(images: LocalImage[]): LocalSnapshot {
  const map: LocalSnapshot = new Map();
  for (const img of images) {
    for (const tag of img.repoTags) {
      const r = tryParse(tag);
      if (r?.tag) map.set(`${r.fullName}:${r.tag}`, img);
    }
  }
  return map;
}

function tryParse(s: string): ImageReference | undefined {
  try {
    return parseImageReference(s);
  } catch {
    return undefined; // the engine's own odd entries ("<none>:<none>", "<none>@<none>")
  }
}

/**
 * The local image's digest for `ref`'s tag, when it can be attributed to that tag: exactly one
 * RepoDigest of the repository and no other tag of the repository on the image (step 1 above).
 */
export function localDigestOfTag(ref: ImageReference, image: LocalImage): string | undefined {
  const digests = repoDigestsFor(ref, image.repoDigests);
  if (digests.length !== 1) return undefined;
  const tag = ref.tag ?? 'latest';
  const otherTags = image.repoTags.map(tryParse).filter((t) => t && t.fullName === ref.fullName && t.tag !== tag);
  return otherTags.length === 0 ? digests[0] : undefined;
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

  let local: LocalImage | undefined;
  if (!opts.registry) {
    local = snapshot ? snapshot.get(tagRef) : await engine.localImage(tagRef, signal());
    const digest = local && localDigestOfTag(ref, local);
    if (digest) return { digest, source: 'local' };
  }
  try {
    const info = await engine.distributionInspect(tagRef, await getAuth(), signal());
    return { digest: info.digest, source: 'registry' };
  } catch (e) {
    if (!isVfiError(e)) throw e;
    if (e.data.pullMayHelp) {
      if (opts.pull) return pullAndInspect(ref, tagRef, opts, await getAuth(), timeoutMs);
      throw new VfiError(e.code, e.message, e.data, 'add --pull to pin the digest a pull reports instead');
    }
    if (local && e.code === 'IMAGE_NOT_FOUND') {
      // built or tagged here and never pushed under this tag: there is no digest anyone else could pull
      const tagged = `${ref.familiarName}:${ref.tag ?? 'latest'}`;
      throw new VfiError(e.code, `${e.message}; the local image ${tagged} was never pushed under that tag`, { ...e.data, localOnly: true }, `docker push ${tagged}`);
    }
    throw e;
  }
}

/** Step 3: pull `name:tag`, then the digest the pull reported, checked against the image's RepoDigests. */
async function pullAndInspect(ref: ImageReference, tagRef: string, opts: PinOptions, auth: RegistryAuth | undefined, timeoutMs: number): Promise<Pinned> {
  const { engine } = opts;
  const onEvent = opts.onPullProgress ? (ev: PullEvent) => opts.onPullProgress!(ref.original, ev) : undefined;
  const pulled = await pullWatched(engine, tagRef, auth, timeoutMs, onEvent);
  const image = await engine.localImage(tagRef, AbortSignal.timeout(timeoutMs));
  const local = repoDigestsFor(ref, image?.repoDigests ?? []);
  const reported = pulled?.digest;
  if (reported && (local.length === 0 || local.includes(reported))) return { digest: reported, source: 'pull' };
  if (!reported && local.length === 1) return { digest: local[0]!, source: 'pull' };
  throw new VfiError(
    'ENGINE',
    `pulled ${tagRef}, but the Docker engine at ${engine.description} did not say which digest (${local.length} RepoDigests of the repository, pull reported ${reported ?? 'none'})`,
    { reference: tagRef },
  );
}

/**
 * A pull may take long, but never silent for more than `silenceMs`: the deadline moves with every
 * progress event the engine sends.
 */
export async function pullWatched(
  engine: ImageEngine,
  tagRef: string,
  auth: RegistryAuth | undefined,
  silenceMs: number,
  onEvent?: (ev: PullEvent) => void,
  platform?: Platform,
): Promise<PullResult | void> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ac.abort(new DOMException(`no progress for ${silenceMs} ms`, 'TimeoutError')), silenceMs);
  };
  arm();
  try {
    return await engine.pull(tagRef, auth, ac.signal, (ev) => {
      arm();
      onEvent?.(ev);
    }, platform);
  } catch (e) {
    if (ac.signal.aborted) {
      const data = isVfiError(e) ? e.data : { reference: tagRef };
      throw new VfiError('TIMEOUT', `pull of ${tagRef}: no progress from the Docker engine at ${engine.description} (or the registry behind it) for ${silenceMs / 1000} s`, data);
    }
    throw e;
  } finally {
    clearTimeout(timer);
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
  const info: DistributionInfo = await engine.distributionInspect(tagRef, await getAuth(), signal());
  const source = 'registry';
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
  const child = chooseChild(index.manifests ?? [], platform);
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
  // instead of N). Not when local images are skipped (registry, platform). An engine that does
  // not answer the list would not answer the N inspects either: every component fails with it.
  let snapshot: LocalSnapshot | undefined;
  let engineDown: VfiError | undefined;
  if (opts.engine.localImages && !opts.registry && !opts.platform && reqs.length > 1) {
    try {
      snapshot = snapshotOf(await opts.engine.localImages(AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)));
    } catch (e) {
      engineDown = asVfiError(e);
    }
  }
  return mapBounded(reqs, opts.concurrency ?? DEFAULT_CONCURRENCY, async (req): Promise<PinResult> => {
    let result: PinResult;
    try {
      const ref = parseImageReference(req.address);
      if (ref.digest) {
        result = { component: req.component, address: req.address, pinned: req.address };
      } else {
        if (engineDown) throw engineDown;
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

async function verifyOne(ref: ImageReference, opts: VerifyOptions): Promise<'local' | 'registry'> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const digestRef = `${ref.fullName}@${ref.digest}`;
  if (opts.local) {
    const local = await opts.engine.localImage(digestRef, AbortSignal.timeout(timeoutMs));
    if (local && repoDigestsFor(ref, local.repoDigests).includes(ref.digest!)) return 'local';
  }
  const auth = await opts.credentials(ref.domain);
  let info: DistributionInfo;
  try {
    info = await opts.engine.distributionInspect(digestRef, auth, AbortSignal.timeout(timeoutMs));
  } catch (e) {
    if (isVfiError(e) && e.code === 'IMAGE_NOT_FOUND') {
      throw new VfiError('IMAGE_NOT_FOUND', `${ref.digest} no longer exists in ${ref.domain}/${ref.path}${opts.local ? ' (nor in the local engine)' : ''}`, { ...e.data, digest: ref.digest });
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
 * `status: 'missing'` only for a digest that is gone (IMAGE_NOT_FOUND); `'error'` for a check
 * that could not be made (engine or registry down, unauthorized, timeout) or an address without
 * digest. Both have `ok: false` and an error.
 */
export interface VerifyOptions extends EngineCallOptions {
  /** accept a digest a local image carries (else only the registry's answer counts) */
  local?: boolean;
}

export async function verifyImages(reqs: VerifyRequest[], opts: VerifyOptions): Promise<VerifyResult[]> {
  const total = reqs.length;
  let done = 0;
  return mapBounded(reqs, opts.concurrency ?? DEFAULT_CONCURRENCY, async (req): Promise<VerifyResult> => {
    let result: VerifyResult;
    try {
      const ref = parseImageReference(req.address);
      if (!ref.digest) throw new VfiError('INVALID_INPUT', 'not pinned to a digest (run vfi resolve first)', {});
      result = { component: req.component, address: req.address, ok: true, status: 'ok', where: await verifyOne(ref, opts) };
    } catch (e) {
      const error = forComponent(e, req.component, req.address);
      result = { component: req.component, address: req.address, ok: false, status: error.code === 'IMAGE_NOT_FOUND' ? 'missing' : 'error', error };
    }
    opts.onProgress?.(++done, total, req.component);
    return result;
  });
}
