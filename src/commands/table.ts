/** Plain aligned columns for human output, and the JSON shapes; --json is the machine format. */
import { formatVfiRef } from '../core/vfiRef.js';

export const TABLE_WIDTH = 100;

export interface TableOptions {
  /** the header row, in capitals; left out with `headers: false` (--no-headers) */
  header?: readonly string[];
  headers?: boolean;
  /**
   * Columns (by index) that may be cut, ending in …, to fit `width` (default 100): free text such as
   * messages, notes and names of people. Ids and references are never cut: people copy them.
   */
  shrink?: readonly number[];
  width?: number;
}

/** The rows as aligned lines under the header; no rows, no lines (stdout stays empty, as `git branch` leaves it). */
export function formatTable(rows: readonly (readonly string[])[], opts: TableOptions = {}): string[] {
  if (rows.length === 0) return [];
  const all = opts.header && opts.headers !== false ? [opts.header, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const fitted = fit(widths, opts.shrink ?? [], opts.width ?? TABLE_WIDTH, opts.header);
  return all.map((row) =>
    row.map((cell, i) => {
      const w = fitted[i]!;
      const shown = cell.length > w ? `${cell.slice(0, Math.max(0, w - 1))}…` : cell;
      return i === row.length - 1 ? shown : shown.padEnd(w);
    }).join('  ').trimEnd());
}

/** Narrow the widest shrinkable column, one character at a time, until the row fits or none can give more. */
function fit(widths: readonly number[], shrink: readonly number[], width: number, header: readonly string[] | undefined): number[] {
  const out = [...widths];
  const least = (i: number) => Math.min(widths[i]!, Math.max(header?.[i]?.length ?? 0, 8));
  let excess = out.reduce((a, b) => a + b, 0) + 2 * (out.length - 1) - width;
  while (excess > 0) {
    const candidates = shrink.filter((i) => i < out.length && out[i]! > least(i));
    if (candidates.length === 0) break;
    const widest = candidates.reduce((a, b) => (out[b]! > out[a]! ? b : a));
    out[widest] = out[widest]! - 1;
    excess--;
  }
  return out;
}

export { isoTime, plural } from '../core/words.js';

export function printJson(out: (line: string) => void, value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** A publication with --json (add, set, rm, import; resolve's has these fields too). */
export const publicationJson = (p: { name: string; id: string; commit: string; unchanged: boolean }) =>
  ({ ref: formatVfiRef(p.name, p.id), name: p.name, id: p.id, commit: p.commit, published: !p.unchanged });

/** A command's result with --json: an object that says `ok` first (README "JSON output"). */
export function printResult(out: (line: string) => void, value: Record<string, unknown>): void {
  printJson(out, { ok: true, ...value });
}

/** As printResult prints `{ key: [...] }`, one item at a time: a million records are never all in memory. */
export async function printResultStream<T>(
  out: (line: string) => void, key: string, items: AsyncIterable<T> | Iterable<T>, shape: (item: T) => unknown, fields: Record<string, unknown> = {},
): Promise<void> {
  let pending: string | undefined;
  // The fields before the list, as printResult prints them.
  const head = JSON.stringify({ ok: true, ...fields }, null, 2).slice(0, -2);
  for await (const item of items) {
    out(pending === undefined ? `${head},\n  ${JSON.stringify(key)}: [` : `${pending},`);
    pending = JSON.stringify(shape(item), null, 2).replace(/^/gm, '    ');
  }
  if (pending === undefined) printResult(out, { ...fields, [key]: [] });
  else out(`${pending}\n  ]\n}`);
}
