/** `vfi diff A B`: components added, removed and changed. */
import type { Context } from '../context.js';
import { parseVfiRef } from '../core/vfiRef.js';
import { diffVfis, type Component, type ComponentChange } from '../core/vfi.js';
import type { JsonValue } from '../core/canonical.js';
import { formatTable, printResult } from './table.js';

export async function diff(ctx: Context, a: string, b: string, opts: { json?: boolean; headers?: boolean }): Promise<void> {
  const refs = [parseVfiRef(a), parseVfiRef(b)];
  const store = ctx.store({ create: false });
  const [from, to] = await Promise.all(refs.map(async (r) => {
    const resolved = await store.resolve(r);
    return { ...resolved, stored: await store.readVfi(resolved.id) };
  }));
  const d = diffVfis(from!.stored.vfi, to!.stored.vfi);
  if (opts.json) {
    printResult(ctx.out, { from: from!.id, to: to!.id, ...d });
    return;
  }
  const addr = (c?: Component) => (c ? (c.type === 'dockerImage' ? c.address : `${c.type}:${c.address}`) : '');
  const rows = [
    ...d.added.map((c) => [['+', c.component, '', addr(c.after)]]),
    ...d.removed.map((c) => [['-', c.component, addr(c.before), '']]),
    ...d.changed.map(changedRows),
  ].sort((x, y) => (x[0]![1]! < y[0]![1]! ? -1 : x[0]![1]! > y[0]![1]! ? 1 : 0)).flat();
  if (rows.length === 0) {
    ctx.note('vfi: no differences');
    return;
  }
  for (const line of formatTable(rows, { header: [' ', 'COMPONENT', 'FROM', 'TO'], headers: opts.headers })) ctx.out(line);

  /** One row for the address (with the type when it is not dockerImage), one per other changed field. */
  function changedRows(c: ComponentChange): string[][] {
    const fields = c.fields ?? [];
    const rows = fields.some((f) => f.field === 'address' || f.field === 'type') ? [['~', c.component, addr(c.before), addr(c.after)]] : [];
    for (const f of fields.filter((f) => f.field !== 'address' && f.field !== 'type')) {
      const side = (v: JsonValue | undefined) => (v === undefined ? `(no ${f.field})` : `${f.field}: ${JSON.stringify(v)}`);
      rows.push(['~', c.component, side(f.before), side(f.after)]);
    }
    return rows;
  }
}
