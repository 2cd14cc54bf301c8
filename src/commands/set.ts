/** `vfi set` and `vfi rm`: a new VFI from the head (or --from REF), published. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { checkName } from '../core/names.js';
import { formatVfiRef, parseVfiRef } from '../core/vfiRef.js';
import { checkComponentNames, describeSet, parseAssignments, removeComponents, setComponents, type ComponentType, type StoredVfi, type Vfi } from '../core/vfi.js';
import { publish } from '../store/publish.js';
import type { Store } from '../store/store.js';
import { printResult, publicationJson } from './table.js';

interface FromOption {
  from?: string;
  json?: boolean;
}

export async function set(ctx: Context, name: string, args: string[], opts: FromOption & { type?: ComponentType }): Promise<void> {
  checkName(name);
  const assignments = parseAssignments(args).map((a) => ({ ...a, ...(opts.type ? { type: opts.type } : {}) }));
  await publishEdit(ctx, name, opts, (base) => setComponents(base, assignments), describeSet(assignments));
}

export async function rm(ctx: Context, name: string, components: string[], opts: FromOption): Promise<void> {
  checkName(name);
  checkComponentNames(components);
  await publishEdit(ctx, name, opts, (base) => removeComponents(base, components), `rm ${components.join(' ')}`);
}

async function publishEdit(ctx: Context, name: string, opts: FromOption, edit: (base: Vfi) => Vfi, message: string): Promise<void> {
  const store = ctx.store({ create: false });
  const from = opts.from ? await fromRef(store, opts.from) : undefined;
  // Without --from the edit is re-applied to whatever head the publication lands on, so two
  // concurrent `set`s on one name both take effect.
  let replaced: StoredVfi | undefined;
  const pub = await publish(store, name, (head: StoredVfi | undefined) => {
    replaced = head;
    const base = from?.stored ?? head;
    if (!base) {
      throw new VfiError('NOT_FOUND', `no lineage named ${JSON.stringify(name)}`, { name },
        `publish its first VFI with vfi add ${name} FILE, or start from another with --from REF`);
    }
    return { vfi: edit(base.vfi), message: from ? `${message}\n\nfrom ${from.label}` : message };
  });
  if (pub.unchanged) ctx.note(`vfi: ${name} is already at this VFI; nothing published`);
  else if (from && replaced && replaced.id !== from.stored.id) {
    // Starting from a VFI that is not the head is what --from is for, but what the head had and
    // that VFI lacks is now not in the lineage's head: say so, as resolve does.
    ctx.note(`vfi: published from ${from.label}, not from the head of ${name} (${formatVfiRef(name, replaced.id)}): what the head had and ${from.label} lacks is not in the new head`);
  }
  if (opts.json) printResult(ctx.out, publicationJson(pub));
  else ctx.out(formatVfiRef(name, pub.id));
}

async function fromRef(store: Store, ref: string): Promise<{ stored: StoredVfi; label: string }> {
  const resolved = await store.resolve(parseVfiRef(ref));
  return { stored: await store.readVfi(resolved.id), label: formatVfiRef(resolved.name ?? resolved.names[0] ?? '', resolved.id) };
}
