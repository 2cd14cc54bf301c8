/** `vfi resolve REF` and `vfi verify REF`: pin image tags to digests through the Docker engine (SPEC §4). */
import type { Context } from '../context.js';
import { VfiError, type ErrorCode } from '../errors.js';
import { tryParseImageReference } from '../core/imageRef.js';
import { formatVfiRef, parseVfiRef } from '../core/vfiRef.js';
import type { StoredVfi, Vfi } from '../core/vfi.js';
import { publish } from '../store/publish.js';
import type { Store } from '../store/store.js';
import { progressBar } from '../progress.js';
import { parsePlatform, pinImages, verifyImages, type EngineCallOptions } from '../docker/resolve.js';
import { dockerCredentials } from '../docker/credentials.js';
import { printJson } from './table.js';

interface EngineFlags {
  json?: boolean;
  timeout?: number;
  concurrency?: number;
}

export async function resolve(ctx: Context, ref: string, opts: EngineFlags & { pull?: boolean; platform?: string }): Promise<void> {
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const store = ctx.store({ create: false });
  const { name, stored } = await target(store, ref);
  const requests = Object.entries(stored.vfi)
    .filter(([, c]) => c.type === 'dockerImage' && tryParseImageReference(c.address).ok && !hasDigest(c.address))
    .map(([component, c]) => ({ component, address: c.address }));
  if (requests.length === 0) {
    ctx.note('vfi: nothing to resolve: every image is already pinned by digest');
    ctx.out(formatVfiRef(name, stored.id));
    return;
  }
  const bar = await progressBar(ctx, 'resolving', requests.length);
  const results = await pinImages(requests, {
    ...(await engineOptions(ctx, opts, (done, _total, component) => bar.tick(done, component))),
    pull: Boolean(opts.pull),
    ...(platform ? { platform } : {}),
  });
  bar.stop();
  for (const r of results) {
    if (r.error) ctx.note(`  ${r.component}: ${r.error.message}`);
    else ctx.note(`  ${r.component}: ${r.address} -> ${r.pinned} (${r.source}${r.platform ? `, platform ${r.platform} of index ${r.index}` : ''})`);
  }
  failIfAny(results, 'resolve', requests.length, 'nothing published');

  const pins = new Map(results.map((r) => [r.component, r.pinned!]));
  const pinned: Vfi = Object.fromEntries(Object.entries(stored.vfi).map(([k, c]) => [k, pins.has(k) ? { ...c, address: pins.get(k)! } : c]));
  const detail = results.map((r) => `${r.component}=${r.pinned}`).join('\n');
  const pub = await publish(store, name, () => ({
    vfi: pinned,
    message: `resolve${platform ? ` --platform ${opts.platform}` : ''}\n\nfrom ${formatVfiRef(name, stored.id)}\n${detail}`,
  }));
  if (opts.json) printJson(ctx.out, { ref: formatVfiRef(name, pub.id), id: pub.id, from: stored.id, components: results.map(({ error: _e, ...r }) => r) });
  else ctx.out(formatVfiRef(name, pub.id));
}

export async function verify(ctx: Context, ref: string, opts: EngineFlags): Promise<void> {
  const store = ctx.store({ create: false });
  const { name, stored } = await target(store, ref);
  const images = Object.entries(stored.vfi).filter(([, c]) => c.type === 'dockerImage');
  const pinned = images.filter(([, c]) => hasDigest(c.address)).map(([component, c]) => ({ component, address: c.address }));
  const unpinned = images.length - pinned.length;
  if (unpinned > 0) ctx.note(`vfi: ${unpinned} image(s) not pinned by digest, not verified (vfi resolve ${formatVfiRef(name, stored.id)} pins them)`);
  const bar = await progressBar(ctx, 'verifying', pinned.length);
  const results = await verifyImages(pinned, await engineOptions(ctx, opts, (done, _t, c) => bar.tick(done, c)));
  bar.stop();
  if (opts.json) printJson(ctx.out, { ref: formatVfiRef(name, stored.id), ok: results.every((r) => r.ok), unpinned, components: results.map(({ error, ...r }) => ({ ...r, ...(error ? { error: error.message, code: error.code } : {}) })) });
  else for (const r of results) ctx.out(r.ok ? `ok       ${r.component}  ${r.address}  (${r.where})` : `MISSING  ${r.component}  ${r.address}: ${r.error?.message ?? 'not found'}`);
  failIfAny(results.map((r) => ({ ...r, error: r.ok ? undefined : r.error ?? new VfiError('IMAGE_NOT_FOUND', 'not found') })), 'verify', pinned.length, formatVfiRef(name, stored.id));
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

async function engineOptions(ctx: Context, opts: EngineFlags, onProgress: EngineCallOptions['onProgress']): Promise<EngineCallOptions> {
  const { dockerodeEngine } = await import('../docker/engine.js');
  return {
    engine: dockerodeEngine(),
    credentials: dockerCredentials({ env: ctx.env }),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
    onProgress,
  };
}

function hasDigest(address: string): boolean {
  const r = tryParseImageReference(address);
  return r.ok && r.ref.digest !== undefined;
}

/** One error line for all failed components: exit 3 when every failure is "not found", else 1. */
function failIfAny(results: { component: string; error?: VfiError }[], verb: string, total: number, consequence: string): void {
  const failed = results.filter((r) => r.error);
  if (failed.length === 0) return;
  const code: ErrorCode = failed.every((r) => r.error!.code === 'IMAGE_NOT_FOUND') ? 'IMAGE_NOT_FOUND' : failed.find((r) => r.error!.code !== 'IMAGE_NOT_FOUND')!.error!.code;
  const list = failed.map((r) => `${r.component} (${r.error!.code.toLowerCase().replace(/_/g, ' ')})`).join(', ');
  throw new VfiError(code, `${verb} failed for ${failed.length} of ${total} component(s): ${list}; ${consequence}`, { failed: failed.map((r) => r.component) });
}
