/** `vfi diff A B`: components added, removed and changed. */
import type { Context } from '../context.js';
import { parseVfiRef } from '../core/vfiRef.js';
import { diffVfis, type Component } from '../core/vfi.js';
import { formatTable, printJson } from './table.js';

export async function diff(ctx: Context, a: string, b: string, opts: { json?: boolean }): Promise<void> {
  const refs = [parseVfiRef(a), parseVfiRef(b)];
  const store = ctx.store({ create: false });
  const [from, to] = await Promise.all(refs.map(async (r) => {
    const resolved = await store.resolve(r);
    return { ...resolved, stored: await store.readVfi(resolved.id) };
  }));
  const d = diffVfis(from!.stored.vfi, to!.stored.vfi);
  if (opts.json) {
    printJson(ctx.out, { from: from!.id, to: to!.id, ...d });
    return;
  }
  const addr = (c?: Component) => (c ? (c.type === 'dockerImage' ? c.address : `${c.type}:${c.address}`) : '');
  const rows = [
    ...d.added.map((c) => ['+', c.component, '', addr(c.after)]),
    ...d.removed.map((c) => ['-', c.component, addr(c.before), '']),
    ...d.changed.map((c) => ['~', c.component, addr(c.before), addr(c.after)]),
  ].sort((x, y) => (x[1]! < y[1]! ? -1 : 1));
  if (rows.length === 0) {
    ctx.note('vfi: no differences');
    return;
  }
  for (const line of formatTable([[' ', 'COMPONENT', 'FROM', 'TO'], ...rows])) ctx.out(line);
}
