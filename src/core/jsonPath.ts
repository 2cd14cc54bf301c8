/** Where a value sits in a JSON document, for error messages. Pure, and light enough for every command to load. */

/** Keys and array indexes from the root. */
export type JsonPath = readonly (string | number)[];

/** JSON Pointer (RFC 6901) of a path: `/a/x-n/0`; the root is "". */
export function pointer(path: JsonPath): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
