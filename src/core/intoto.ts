/** Assertion records as an in-toto bundle (`vfi assertions --format intoto`, `vfi export --format intoto`). Pure. */
import { statementOf, type AssertionRecord } from './assertion.js';

/**
 * The records as an in-toto bundle, one compact line per record (the stored bytes are indented):
 * the DSSE envelope of a signed record, the Statement of an unsigned one. `vfi export --format
 * intoto` writes the same.
 */
export function intotoLines(records: readonly AssertionRecord[]): string[] {
  return records.map((r) => JSON.stringify(r.signed ? r.signed.envelope : statementOf(r), sortedKeys));
}

/** JSON.stringify replacer writing object keys sorted, as the canonical form orders them. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
