/** A VFI read with every VFI its `vfi` components name, at any depth (what exports flatten). */
import { nestedAddresses } from '../core/export/deployables.js';
import type { Vfi } from '../core/vfi.js';
import { parseVfiRef } from '../core/vfiRef.js';
import type { Store } from './store.js';

export interface VfiTree {
  id: string;
  /** the lineage the reference names (or the first the VFI was published under) */
  name: string;
  vfi: Vfi;
  /** every nested VFI by the address that names it (`Name@<id>`) */
  nested: Map<string, Vfi>;
}

/** Resolve `ref` and read the VFI and its nested VFIs. */
export async function readVfiTree(store: Store, ref: string): Promise<VfiTree> {
  const resolved = await store.resolve(parseVfiRef(ref));
  const { vfi } = await store.readVfi(resolved.id);
  const nested = new Map<string, Vfi>();
  const pending = nestedAddresses(vfi);
  while (pending.length > 0) {
    const address = pending.pop()!;
    if (nested.has(address)) continue;
    const inner = await store.readVfi((await store.resolve(parseVfiRef(address))).id);
    nested.set(address, inner.vfi);
    pending.push(...nestedAddresses(inner.vfi));
  }
  return { id: resolved.id, name: resolved.name ?? resolved.names[0] ?? resolved.id, vfi, nested };
}

/** The ids of `tree`'s nested VFIs (their addresses end in the full id). */
export const nestedIds = (tree: VfiTree): string[] => [...tree.nested.keys()].map((a) => a.slice(a.lastIndexOf('@') + 1)).sort();
