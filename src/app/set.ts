/** Editing a lineage's VFI and publishing the result: `vfi set` and `vfi rm`. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { checkName } from '../core/names.js';
import { formatVfiRef, parseVfiRef } from '../core/vfiRef.js';
import { canonicalVfi, checkComponentNames, describeSet, parseAssignments, removeComponents, setComponents, type Assignment, type ComponentType, type StoredVfi, type Vfi } from '../core/vfi.js';
import { publish } from '../store/publish.js';
import type { Store } from '../store/store.js';

type Publication = Awaited<ReturnType<typeof publish>>;

export interface FromOption {
  from?: string;
  json?: boolean;
  fromBest?: boolean;
  require?: string[];
  allowMissing?: boolean;
}

export interface SetOptions extends FromOption {
  type?: ComponentType;
  /** pin the tags of the images this command sets, through the engine, in the same publication */
  resolve?: boolean;
  registry?: boolean;
  timeout?: number;
}

/** `vfi set`: NAME's head (or --from, --from-best) with components replaced or added, published. */
export async function publishSet(ctx: Context, name: string, args: string[], opts: SetOptions): Promise<Publication> {
  checkName(name);
  checkFrom(opts);
  let assignments: Assignment[] = parseAssignments(args).map((a) => ({ ...a, ...(opts.type ? { type: opts.type } : {}) }));
  const store = ctx.store({ create: false });
  const from = await baseOf(ctx, store, name, opts);
  if (opts.resolve) assignments = await pinAssignments(ctx, store, name, from?.stored, assignments, opts);
  return publishEdit(ctx, store, name, from, Boolean(opts.allowMissing), (base) => setComponents(base, assignments), describeSet(assignments));
}

/** `vfi rm`: NAME's head (or --from, --from-best) without these components, published. */
export async function publishRm(ctx: Context, name: string, components: string[], opts: FromOption): Promise<Publication> {
  checkName(name);
  checkFrom(opts);
  checkComponentNames(components);
  const store = ctx.store({ create: false });
  const from = await baseOf(ctx, store, name, opts);
  return publishEdit(ctx, store, name, from, Boolean(opts.allowMissing), (base) => removeComponents(base, components), `rm ${components.join(' ')}`);
}

/** `--from ''` (a `find` that found nothing, in a script) must not fall back to the head. */
function checkFrom(opts: FromOption): void {
  if (opts.from === '') {
    throw new VfiError('USAGE', '--from: the reference is empty (a lookup that found nothing?)', {}, 'give a REF, or leave --from out to start from the head');
  }
  if (opts.from !== undefined && opts.fromBest) throw new VfiError('USAGE', '--from and --from-best both say where to start: give one', {});
  if (opts.require !== undefined && !opts.fromBest) throw new VfiError('USAGE', '--require goes with --from-best', {});
}

type From = { stored: StoredVfi; label: string } | undefined;

async function baseOf(ctx: Context, store: Store, name: string, opts: FromOption): Promise<From> {
  if (opts.from !== undefined) return fromRef(store, opts.from);
  if (!opts.fromBest) return undefined;
  const { pickBest } = await import('./pick.js');
  const best = await pickBest(ctx, store, name, opts.require);
  ctx.note(`vfi: starting from ${best.name}@${best.id}, what vfi pick ${name} chooses`);
  return { stored: await store.readVfi(best.id), label: formatVfiRef(best.name, best.id) };
}

async function publishEdit(ctx: Context, store: Store, name: string, from: From, allowMissing: boolean, edit: (base: Vfi) => Vfi, message: string): Promise<Publication> {
  // Without --from the edit is re-applied to whatever head the publication lands on, so two
  // concurrent `set`s on one name both take effect.
  let replaced: StoredVfi | undefined;
  const pub = await publish(store, name, async (head: StoredVfi | undefined) => {
    replaced = head;
    const base = from?.stored ?? head;
    if (!base) {
      throw new VfiError('NOT_FOUND', `no lineage named ${JSON.stringify(name)}`, { name },
        `publish its first VFI with vfi add ${name} FILE, or start from another with --from REF`);
    }
    const vfi = edit(base.vfi);
    if (Object.values(vfi).some((c) => c.type === 'vfi')) {
      const { checkNested } = await import('../store/composition.js');
      await checkNested(store, canonicalVfi(vfi), allowMissing);
    }
    return { vfi, message: from ? `${message}\n\nfrom ${from.label}` : message };
  });
  if (pub.unchanged) ctx.note(`vfi: ${name} is already at this VFI; nothing published`);
  else if (from && replaced && replaced.id !== from.stored.id) {
    // Starting from a VFI that is not the head is what --from is for, but what the head had and
    // that VFI lacks is now not in the lineage's head: say so, as resolve does.
    ctx.note(`vfi: published from ${from.label}, not from the head of ${name} (${formatVfiRef(name, replaced.id)}): what the head had and ${from.label} lacks is not in the new head`);
  }
  return pub;
}

async function fromRef(store: Store, ref: string): Promise<{ stored: StoredVfi; label: string }> {
  const resolved = await store.resolve(parseVfiRef(ref));
  return { stored: await store.readVfi(resolved.id), label: formatVfiRef(resolved.name ?? resolved.names[0] ?? '', resolved.id) };
}

/**
 * `set --resolve`: the images this command sets, pinned through the engine before anything is
 * published, so that the one publication names digests (never an unpinned intermediate).
 */
async function pinAssignments(ctx: Context, store: Store, name: string, from: StoredVfi | undefined, assignments: Assignment[], opts: SetOptions): Promise<Assignment[]> {
  const base = from ?? (store.refs.read(`refs/vfi/${name}`) ? await store.readVfi((await store.resolve({ kind: 'head', name, back: 0 })).id) : undefined);
  // The type each assignment will have: as setComponents decides it.
  const edited = setComponents(base?.vfi ?? {}, assignments);
  const { tryParseImageReference } = await import('../core/imageRef.js');
  const requests = assignments
    .filter((a) => edited[a.component]!.type === 'dockerImage')
    .filter((a) => {
      const r = tryParseImageReference(a.address);
      return r.ok && r.ref.digest === undefined;
    })
    .map((a) => ({ component: a.component, address: a.address }));
  if (requests.length === 0) return assignments;
  const { pinComponents } = await import('./resolve.js');
  const pinned = await pinComponents(ctx, requests, { registry: Boolean(opts.registry), ...(opts.timeout ? { timeout: opts.timeout } : {}) }, 'nothing published');
  return assignments.map((a) => {
    const p = pinned.find((r) => r.component === a.component);
    return p?.pinned ? { ...a, address: p.pinned } : a;
  });
}
