/**
 * The canonical bytes of SPEC §1. RFC 8785 libraries write the compact form only, while a VFI's
 * canonical bytes are indented; the writer below does the layout itself and leaves every leaf to
 * JSON.stringify, whose string and number output *is* RFC 8785's (RFC 8785 §3.2.2 defines both by
 * ECMAScript's JSON.stringify and Number::toString). test/unit/canonical.test.ts checks it against
 * an RFC 8785 implementation.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Canonical text of a JSON value: keys in UTF-16 code-unit order, 2-space indent, one trailing newline. */
export function canonicalText(value: JsonValue): string {
  return write(value, '') + '\n';
}

/** Do two JSON values (either possibly absent) mean the same? Absent equals only absent. */
export function sameJson(x: JsonValue | undefined, y: JsonValue | undefined): boolean {
  return x === undefined || y === undefined ? x === y : canonicalText(x) === canonicalText(y);
}

function write(v: JsonValue, indent: string): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + write(x, inner)).join(',\n')}\n${indent}]`;
  }
  // Array.prototype.sort without a comparator orders by UTF-16 code units, as RFC 8785 §3.2.3 asks.
  const keys = Object.keys(v).sort();
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${write(v[k]!, inner)}`).join(',\n')}\n${indent}}`;
}
