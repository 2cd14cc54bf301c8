/** Applying pinned digests to a VFI. Pure: the pins come from docker/resolve.ts, the VFI from the store. */
import type { Vfi } from './vfi.js';
import { VfiError, type ErrorCode } from '../errors.js';
import { tryParseImageReference } from './imageRef.js';
import { plural } from './words.js';

/** What applying needs of a pin (docker/resolve.ts PinResult): the address resolved and, when it was, the pinned one. */
export interface PinResult {
  component: string;
  address: string;
  pinned?: string;
}

export interface AppliedPins<T extends PinResult = PinResult> {
  vfi: Vfi;
  /** the pins that were applied */
  applied: T[];
  /** components that were resolved but are no longer there with the address that was resolved */
  skipped: string[];
}

/**
 * Pin `base`'s components with `results`: each component whose address is still the unpinned
 * address that was resolved; the others (changed or removed since, or failed) are left as they are.
 */
export function applyPins<T extends PinResult>(base: Vfi, results: readonly T[]): AppliedPins<T> {
  const byComponent = new Map(results.filter((r) => r.pinned).map((r) => [r.component, r]));
  const applied: T[] = [];
  const vfi: Vfi = {};
  for (const [name, c] of Object.entries(base)) {
    const pin = byComponent.get(name);
    if (pin && c.type === 'dockerImage' && c.address === pin.address) {
      vfi[name] = { ...c, address: pin.pinned! };
      applied.push(pin);
    } else {
      vfi[name] = c;
    }
  }
  const skipped = [...byComponent.keys()].filter((k) => !applied.some((a) => a.component === k));
  return { vfi, applied, skipped };
}

/** A VFI's image components named by tag alone, as pin requests (component names as written, paths in notes come from `prefix`). */
export function unpinnedImages(vfi: Vfi, prefix: string): { component: string; address: string }[] {
  return Object.entries(vfi)
    .filter(([, c]) => c.type === 'dockerImage' && tryParseImageReference(c.address).ok && !hasDigest(c.address))
    .map(([component, c]) => ({ component: `${prefix}${component}`, address: c.address }));
}

export type NestedPins = Map<string, { from: string; to: string }>;

/** `vfi` with its nested VFI components moved to their resolved VFIs, where they still name what was resolved. */
export function withNested(vfi: Vfi, nested: NestedPins): Vfi {
  const out: Vfi = { ...vfi };
  for (const [component, n] of nested) {
    const c = Object.hasOwn(out, component) ? out[component] : undefined;
    if (c?.type === 'vfi' && c.address === n.from) out[component] = { ...c, address: n.to };
  }
  return out;
}

/** Is the image address pinned by digest? */
export function hasDigest(address: string): boolean {
  const r = tryParseImageReference(address);
  return r.ok && r.ref.digest !== undefined;
}

/** A component's result for --json: the error as its code, message and hint. */
export function componentJson<T extends { error?: VfiError }>({ error, ...r }: T): Omit<T, 'error'> & { code?: ErrorCode; error?: string; hint?: string } {
  return { ...r, ...(error ? { code: error.code, error: error.message, ...(error.hint ? { hint: error.hint } : {}) } : {}) };
}

/** One error for all failed components: exit 3 when every failure is "not found", else that of the first other failure. */
export function failureOf(results: readonly { component: string; error?: VfiError }[], verb: string, total: number, consequence: string): VfiError | undefined {
  const failed = results.filter((r) => r.error);
  if (failed.length === 0) return undefined;
  const code: ErrorCode = failed.find((r) => r.error!.code !== 'IMAGE_NOT_FOUND')?.error!.code ?? 'IMAGE_NOT_FOUND';
  const list = failed.map((r) => `${r.component} (${r.error!.code.toLowerCase().replace(/_/g, ' ')})`).join(', ');
  return new VfiError(code, `${verb} failed for ${failed.length} of ${plural(total, 'component')}: ${list}; ${consequence}`, { failed: failed.map((r) => r.component) });
}
