/** `vfi diff A B`: components added, removed and changed. */
import type { Context } from '../context.js';
import { parseVfiRef } from '../core/vfiRef.js';
import { diffVfis, type Component, type ComponentChange } from '../core/vfi.js';
import type { JsonValue } from '../core/canonical.js';
import { describeComponent, fitAddress, fitCell } from '../core/shortAddress.js';
import { formatTable, printResult } from './table.js';

/** `--short` rows fit a terminal this wide. */
const SHORT_WIDTH = 100;

export async function diff(ctx: Context, a: string, b: string, opts: { json?: boolean; short?: boolean; headers?: boolean }): Promise<void> {
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
  const addr = (c?: Component) => describeComponent(c, opts.short);
  const rows = [
    ...d.added.map((c) => [['+', c.component, '', addr(c.after)]]),
    ...d.removed.map((c) => [['-', c.component, addr(c.before), '']]),
    ...d.changed.map(changedRows),
  ].sort((x, y) => (x[0]![1]! < y[0]![1]! ? -1 : x[0]![1]! > y[0]![1]! ? 1 : 0)).flat();
  if (rows.length === 0) {
    ctx.note('vfi: no differences');
    return;
  }
  const [header, ...body] = opts.short ? fitColumns([[' ', 'COMPONENT', 'FROM', 'TO'], ...rows]) : [[' ', 'COMPONENT', 'FROM', 'TO'], ...rows];
  for (const line of formatTable(body, { header: header!, headers: opts.headers })) ctx.out(line);

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

/**
 * Cut the FROM and TO cells of a 4-column table so that every row fits SHORT_WIDTH: the component
 * keeps up to a quarter of the width, the addresses share the rest equally.
 */
function fitColumns(table: string[][]): string[][] {
  const gaps = 3 * 2;
  const nameWidth = Math.min(Math.max(...table.map((r) => r[1]!.length)), Math.floor(SHORT_WIDTH / 4));
  const addressWidth = Math.floor((SHORT_WIDTH - 1 - nameWidth - gaps) / 2);
  return table.map(([mark, name, from, to]) => [mark!, fitCell(name!, nameWidth), fitAddress(from!, addressWidth), fitAddress(to!, addressWidth)]);
}
