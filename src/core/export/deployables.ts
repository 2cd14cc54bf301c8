/**
 * What a deploy tool needs of a VFI: its components flattened (a nested `vfi` component's own
 * components named by their path, `runtime.router`), each image parsed once. Pure: the nested VFIs
 * are given, already read, by the caller.
 */
import { VfiError } from '../../errors.js';
import { tryParseGitAddress } from '../gitAddress.js';
import { tryParseImageReference, type ImageReference } from '../imageRef.js';
import type { Component, Vfi } from '../vfi.js';

/** One leaf component of a flattened VFI. */
export type Deployable =
  | { kind: 'image'; name: string; component: Component; image: ImageReference }
  | { kind: 'commit'; name: string; component: Component; url: string; commit: string };

/**
 * The leaf components of `vfi`, sorted by path. `nested` holds every VFI a `vfi` component names
 * (by its address, `Name@<id>`), at any depth. Two leaves with one path (a component called
 * `runtime.router` beside a nested `runtime` with a `router`) are refused: a deploy file cannot
 * hold both.
 */
export function flattenVfi(vfi: Vfi, nested: ReadonlyMap<string, Vfi>): Deployable[] {
  const out = new Map<string, Deployable>();
  const visit = (v: Vfi, prefix: string, seen: readonly string[]) => {
    for (const [name, component] of Object.entries(v)) {
      const path = prefix + name;
      if (component.type === 'vfi') {
        if (seen.includes(component.address)) {
          throw new VfiError('INVALID_INPUT', `component ${JSON.stringify(path)}: ${component.address} contains itself`, { component: path });
        }
        const inner = nested.get(component.address);
        if (!inner) throw new VfiError('NOT_FOUND', `component ${JSON.stringify(path)}: VFI ${component.address} is not in the store`, { component: path });
        visit(inner, `${path}.`, [...seen, component.address]);
        continue;
      }
      if (out.has(path)) {
        throw new VfiError('INVALID_INPUT', `two components flatten to the name ${JSON.stringify(path)}`, { component: path },
          'rename one of them: nested components are named <component>.<inner component>');
      }
      out.set(path, leaf(path, component));
    }
  };
  visit(vfi, '', []);
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function leaf(name: string, component: Component): Deployable {
  if (component.type === 'git') {
    const g = tryParseGitAddress(component.address);
    if (!g.ok) throw new VfiError('INVALID_GIT_ADDRESS', `component ${JSON.stringify(name)}: ${g.reason}`, { component: name });
    return { kind: 'commit', name, component, url: g.address.url, commit: g.address.commit };
  }
  const r = tryParseImageReference(component.address);
  if (!r.ok) throw new VfiError('INVALID_IMAGE_REFERENCE', `component ${JSON.stringify(name)}: ${r.reason}`, { component: name });
  return { kind: 'image', name, component, image: r.ref };
}

/** The `vfi` addresses a VFI names directly (the caller reads them, then theirs). */
export const nestedAddresses = (vfi: Vfi): string[] =>
  Object.values(vfi).filter((c) => c.type === 'vfi').map((c) => c.address);

/** Images without a digest: a deploy file naming a tag deploys whatever the tag points at then. */
export function unpinned(items: readonly Deployable[]): string[] {
  return items.filter((d) => d.kind === 'image' && d.image.digest === undefined).map((d) => d.name);
}

/** Refuse unpinned images (exit 1): `vfi resolve` pins them. */
export function checkPinned(items: readonly Deployable[], ref: string): void {
  const names = unpinned(items);
  if (names.length === 0) return;
  throw new VfiError('UNPINNED', `${ref} has ${names.length} unpinned image${names.length > 1 ? 's' : ''}: ${names.join(', ')}`,
    { components: names }, `vfi resolve ${ref.replace(/@.*$/, '')} pins them; --allow-unpinned exports the tags as they are`);
}

/** `name@sha256:…` (the familiar repository, as docker prints it), or `name:tag` when unpinned. */
export function imageString(image: ImageReference): string {
  if (image.digest) return `${image.familiarName}@${image.digest}`;
  return `${image.familiarName}${image.tag === undefined ? '' : `:${image.tag}`}`;
}
