/** What `vfi resolve` and `vfi verify` do: pin image tags to digests through the Docker engine, and publish the pinned VFI (SPEC §4). */
import type { Context } from '../context.js';
import { VfiError, type ErrorCode } from '../errors.js';
import { formatVfiRef, parseVfiRef } from '../core/vfiRef.js';
import type { StoredVfi, Vfi } from '../core/vfi.js';
import { applyPins, componentJson, failureOf, hasDigest, unpinnedImages, withNested, type NestedPins } from '../core/pins.js';
import { parsePlatform } from '../core/platform.js';
import { plural } from '../core/words.js';
import { publish } from '../store/publish.js';
import type { Store } from '../store/store.js';
import { progressBar } from '../progress.js';
import { pinImages, verifyImages, type EngineCallOptions, type PinRequest, type PinResult, type Platform, type VerifyResult } from '../docker/resolve.js';
import { dockerCredentials } from '../docker/credentials.js';

export interface EngineFlags {
  json?: boolean;
  timeout?: number;
  concurrency?: number;
}

export type ResolveOptions = EngineFlags & { pull?: boolean; registry?: boolean; platform?: string };
export type VerifyOptions = EngineFlags & { headers?: boolean; local?: boolean; allowUnpinned?: boolean };

type ComponentJson = ReturnType<typeof componentJson<PinResult>>;

/** What resolve did, as `--json` prints it; `error` when a component could not be pinned (nothing published). */
export type Resolved =
  | { ok: true; ref: string; id: string; from: string; published: boolean; components: ComponentJson[] }
  | { ok: false; error: VfiError; code: ErrorCode; from: string; published: false; components: ComponentJson[] };

/** What verify found: each pinned image's result, the unpinned ones, and the error to exit with. */
export interface Verified {
  ref: string;
  results: VerifyResult[];
  unpinned: { component: string; address: string }[];
  unpinnedFails: boolean;
  failure: VfiError | undefined;
}

/** Pin REF's image tags (nested VFIs first, each published on its own lineage) and publish the pinned VFI on REF's lineage. */
export async function resolveVfi(ctx: Context, ref: string, opts: ResolveOptions): Promise<Resolved> {
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const store = ctx.store({ create: false });
  const { name, stored } = await target(store, ref);
  const startHead = await headId(store, name);
  const requests = unpinnedImages(stored.vfi, '');
  const { platform: _asWritten, ...flags } = opts;
  const pinFlags = { ...flags, ...(platform ? { platform } : {}) };
  // Nested VFIs first, innermost first, each published pinned on its own lineage.
  const nested = await resolveNested(ctx, store, stored.vfi, '', pinFlags, new Set([stored.id]));
  if (requests.length === 0 && nested.size === 0) {
    ctx.note('vfi: nothing to resolve: every image is already pinned by digest');
    return { ok: true, ref: formatVfiRef(name, stored.id), id: stored.id, from: stored.id, published: false, components: [] };
  }
  let results: PinResult[];
  try {
    results = requests.length > 0 ? await pinWith(ctx, requests, pinFlags, 'nothing published') : [];
  } catch (e) {
    if (e instanceof PinFailure) return { ok: false, error: e.error, code: e.error.code, from: stored.id, published: false, components: e.results.map(componentJson) };
    throw e;
  }
  const fromLocal = results.filter((r) => r.source === 'local').map((r) => r.component);
  if (fromLocal.length > 0) {
    ctx.note(
      `vfi: ${fromLocal.join(', ')}: pinned to the digest of the local image, which may be older than what the registry's tag points to now; ` +
        `\`vfi resolve --registry ${ref}\` pins the registry's current digest`,
    );
  }

  // Started from the head: the pins are re-applied to whatever head the publication lands on, so
  // a `vfi set` published meanwhile is kept. Started from an older VFI (Name@id, Name~N): that VFI
  // pinned is published, as `vfi set --from` publishes its edit of the VFI it was given.
  const fromHead = stored.id === startHead;
  if (!fromHead) {
    ctx.note(`vfi: ${formatVfiRef(name, stored.id)} is not the head of ${name}: publishing it pinned as the new head, as \`vfi set --from\` would; changes published after it are not in it`);
  }
  let landed = { on: stored.id, skipped: [] as string[] };
  const pub = await publish(store, name, (head) => {
    const base = fromHead && head ? head : stored;
    const pinned = applyPins(withNested(base.vfi, nested), results);
    landed = { on: base.id, skipped: pinned.skipped };
    const detail = [...pinned.applied.map((r) => `${r.component}=${r.pinned}`), ...[...nested].map(([c, n]) => `${c}=${n.to}`)].join('\n');
    return { vfi: pinned.vfi, message: `resolve${platform ? ` --platform ${opts.platform}` : ''}\n\nfrom ${formatVfiRef(name, base.id)}\n${detail}` };
  });
  if (landed.on !== stored.id) {
    ctx.note(
      `vfi: ${name} moved while resolving; the pins were applied to its new head ${formatVfiRef(name, landed.on)}` +
        (landed.skipped.length ? `; left as published there (changed or removed meanwhile): ${landed.skipped.join(', ')}` : ''),
    );
  }
  if (pub.unchanged) ctx.note(`vfi: ${name} is already at this VFI; nothing published`);
  return { ok: true, ref: formatVfiRef(name, pub.id), id: pub.id, from: stored.id, published: !pub.unchanged, components: results.map(componentJson) };
}

/** Check that every pinned image of REF (nested VFIs included) still exists, locally with --local or in its registry. */
export async function verifyVfi(ctx: Context, ref: string, opts: VerifyOptions): Promise<Verified> {
  const store = ctx.store({ create: false });
  const { name, stored } = await target(store, ref);
  const images = await imagesWithin(ctx, store, stored);
  const pinned = images.filter(([, c]) => hasDigest(c.address)).map(([component, c]) => ({ component, address: c.address }));
  const unpinnedNames = images.filter(([, c]) => !hasDigest(c.address)).map(([component]) => component);
  const unpinned = unpinnedNames.length;
  const addressOf = new Map(images.map(([component, c]) => [component, c.address]));
  const bar = await progressBar(ctx, 'verifying', pinned.length);
  const results = await verifyImages(pinned, { ...(await engineOptions(ctx, opts, (done, _t, c) => bar.tick(done, c))), local: Boolean(opts.local) });
  bar.stop();
  noteHints(ctx, results);
  const unpinnedFails = unpinned > 0 && !opts.allowUnpinned;
  const failure = failureOf(results, 'verify', pinned.length, formatVfiRef(name, stored.id))
    ?? (unpinnedFails ? new VfiError('VERIFY_FAILED', `verify failed: ${plural(unpinned, 'image')} not pinned by digest: ${unpinnedNames.join(', ')}`, { unpinned: unpinnedNames },
      `vfi resolve ${formatVfiRef(name, stored.id)} pins them; --allow-unpinned accepts them`) : undefined);
  return { ref: formatVfiRef(name, stored.id), results, unpinned: unpinnedNames.map((c) => ({ component: c, address: addressOf.get(c)! })), unpinnedFails, failure };
}

class PinFailure extends Error {
  constructor(readonly error: VfiError, readonly results: PinResult[]) {
    super(error.message);
  }
}

/** Pin image tags through the engine, reporting each on stderr; PinFailure (with the results) when any failed. */
async function pinWith(ctx: Context, requests: PinRequest[], opts: EngineFlags & { pull?: boolean; registry?: boolean; platform?: Platform }, consequence: string): Promise<PinResult[]> {
  const bar = await progressBar(ctx, 'resolving', requests.length);
  const results = await pinImages(requests, {
    ...(await engineOptions(ctx, opts, (done, _total, component) => bar.tick(done, component))),
    pull: Boolean(opts.pull),
    registry: Boolean(opts.registry),
    ...(opts.platform ? { platform: opts.platform } : {}),
  });
  bar.stop();
  for (const r of results) {
    if (r.error) ctx.note(`  ${r.component}: ${r.error.message}`);
    else ctx.note(`  ${r.component}: ${r.address} -> ${r.pinned} (${r.source}${r.platform ? `, platform ${r.platform} of index ${r.index}` : ''})`);
  }
  noteHints(ctx, results);
  const failure = failureOf(results, 'resolve', requests.length, consequence);
  if (failure) throw new PinFailure(failure, results);
  return results;
}

/** Pin image tags (for `set --resolve` and resolve): every one pinned, or the error. */
export async function pinComponents(ctx: Context, requests: PinRequest[], opts: EngineFlags & { pull?: boolean; registry?: boolean; platform?: Platform }, consequence: string): Promise<PinResult[]> {
  try {
    return await pinWith(ctx, requests, opts, consequence);
  } catch (e) {
    throw e instanceof PinFailure ? e.error : e;
  }
}

/**
 * Resolve the VFIs nested in `vfi` (SPEC §4 applied all the way down): for each, innermost first,
 * pin its tags and publish it pinned on its own lineage (the name its address gives), reporting
 * per path (`platform/runtime/router`). Returns, by component, the new address of each nested VFI
 * that changed.
 */
async function resolveNested(ctx: Context, store: Store, vfi: Vfi, prefix: string, opts: EngineFlags & { pull?: boolean; registry?: boolean; platform?: Platform }, onPath: Set<string>): Promise<NestedPins> {
  const out: NestedPins = new Map();
  for (const [component, c] of Object.entries(vfi)) {
    if (c.type !== 'vfi') continue;
    const at = c.address.lastIndexOf('@');
    const name = c.address.slice(0, at);
    const id = c.address.slice(at + 1);
    const path = `${prefix}${component}`;
    if (onPath.has(id) || onPath.size > 32) continue; // a cycle, or too deep: fsck and add refuse these
    if (!(await store.objects.has(id))) {
      ctx.note(`vfi: ${path}: the store has no VFI ${c.address}; not resolved`);
      continue;
    }
    const inner = await store.readVfi(id);
    onPath.add(id);
    const innerNested = await resolveNested(ctx, store, inner.vfi, `${path}/`, opts, onPath);
    onPath.delete(id);
    const requests = unpinnedImages(inner.vfi, `${path}/`);
    if (requests.length === 0 && innerNested.size === 0) continue;
    const results = requests.length > 0 ? await pinWith(ctx, requests, opts, `nothing published (${path})`) : [];
    const local = results.map((r) => ({ ...r, component: r.component.slice(path.length + 1) }));
    const pinned = applyPins(withNested(inner.vfi, innerNested), local).vfi;
    const pub = await publish(store, name, () => ({ vfi: pinned, message: `resolve\n\nfrom ${c.address}, nested at ${path}` }));
    ctx.note(`vfi: ${path}: ${c.address} -> ${formatVfiRef(name, pub.id)} (published on ${name})`);
    out.set(component, { from: c.address, to: formatVfiRef(name, pub.id) });
  }
  return out;
}

/** The images of a VFI and of the VFIs nested in it, each by its path (`platform/runtime/router`). */
async function imagesWithin(ctx: Context, store: Store, stored: StoredVfi): Promise<[string, { address: string }][]> {
  const own = Object.entries(stored.vfi).filter(([, c]) => c.type === 'dockerImage');
  if (!Object.values(stored.vfi).some((c) => c.type === 'vfi')) return own;
  const { PartsIndex } = await import('../store/composition.js');
  const { walk } = await import('../core/composition.js');
  const parts = new PartsIndex(store);
  await parts.ensure([stored.id]);
  parts.save();
  const { reached, missing } = walk(stored.id, parts.partsOf);
  for (const m of missing) ctx.note(`vfi: ${m.path}: the store has no VFI ${m.part.address}; its images are not verified`);
  return reached.filter((r) => r.part.kind === 'image' || r.part.kind === 'unpinned').map((r) => [r.path, { address: r.part.address }]);
}

/** The VFI a REF names and the lineage to publish the pinned one on. */
async function target(store: Store, ref: string): Promise<{ name: string; stored: StoredVfi }> {
  const resolved = await store.resolve(parseVfiRef(ref));
  const name = resolved.name;
  if (!name) {
    throw new VfiError('USAGE', `${ref} was published under several lineages (${resolved.names.join(', ')}): say which, as NAME@${resolved.id.slice(0, 12)}`, { names: resolved.names });
  }
  return { name, stored: await store.readVfi(resolved.id) };
}

/** The VFI at the head of `name` (from the lineage `target` has just loaded). */
async function headId(store: Store, name: string): Promise<string | undefined> {
  return (await store.lineages.load(name))?.headEntry().id;
}

export async function engineOptions(ctx: Context, opts: EngineFlags, onProgress: EngineCallOptions['onProgress']): Promise<EngineCallOptions> {
  const { dockerodeEngine } = await import('../docker/engine.js');
  return {
    engine: dockerodeEngine({ env: ctx.env }),
    credentials: dockerCredentials({ env: ctx.env }),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
    onProgress,
  };
}

/** Each distinct hint of the failed components, once (`docker login HOST`, `--pull`, DOCKER_HOST). */
function noteHints(ctx: Context, results: readonly { error?: VfiError }[]): void {
  for (const hint of new Set(results.map((r) => r.error?.hint).filter((h): h is string => Boolean(h)))) ctx.note(`vfi: hint: ${hint}`);
}

