/**
 * I-JSON input (RFC 7493). JSON.parse keeps the last of duplicate keys silently, so input goes
 * through momoa's strict JSON parser, whose AST still shows every member with its source range.
 * momoa is lenient in two ways RFC 8259 is not: it takes raw control characters inside strings,
 * and (like every parser) it turns a number literal into the nearest IEEE double without a word.
 * Both are checked here against the literal's own text.
 */
import { parse as parseJsonAst } from '@humanwhocodes/momoa';
import type { AnyNode } from '@humanwhocodes/momoa';
import { VfiError } from '../errors.js';
import type { JsonValue } from './canonical.js';
import { pointer, type JsonPath } from './jsonPath.js';

/**
 * Objects and arrays nest at most this deep. Parsing, validating and writing canonical bytes all
 * recurse, and the stack runs out somewhere near 2,000 levels; a VFI needs 3 (VFI, component, x- value).
 */
export const MAX_DEPTH = 128;

export interface ParseOptions {
  /** how an error names the place of a value, as a prefix (default: its JSON Pointer, `/a/x-n: `) */
  describe?: (path: JsonPath) => string;
}

// ignoreBOM keeps a BOM in the text, so that exactly one is skipped below, not one here and one there.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or the length when all is well-formed.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // the lead byte says the length and the range of the first continuation byte
    const [n, lo, hi] = b >= 0xc2 && b <= 0xdf ? [1, 0x80, 0xbf]
      : b === 0xe0 ? [2, 0xa0, 0xbf] : b === 0xed ? [2, 0x80, 0x9f] : b >= 0xe1 && b <= 0xef ? [2, 0x80, 0xbf]
      : b === 0xf0 ? [3, 0x90, 0xbf] : b === 0xf4 ? [3, 0x80, 0x8f] : b >= 0xf1 && b <= 0xf3 ? [3, 0x80, 0xbf]
      : [0, 0, 0];
    if (n === 0) return i;
    const first = bytes[i + 1];
    if (first === undefined || first < lo || first > hi) return i;
    for (let k = 2; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < 0x80 || c > 0xbf) return i;
    }
    i += n + 1;
  }
  return bytes.length;
}

/** Decode bytes as strict UTF-8 and parse them as I-JSON; errors name line and column. */
export function parseIJson(input: Uint8Array | string, opts: ParseOptions = {}): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    if (input.includes(0)) throw new VfiError('INVALID_JSON', 'not JSON: binary data (NUL byte)');
    try {
      text = utf8.decode(input);
    } catch {
      const at = firstInvalidUtf8(input);
      const line = input.subarray(0, at).filter((b) => b === 0x0a).length + 1;
      const column = at - input.lastIndexOf(0x0a, at - 1);
      throw new VfiError('INVALID_JSON', `not JSON: invalid UTF-8 at line ${line}, column ${column} (byte ${at + 1}: 0x${input[at]!.toString(16).padStart(2, '0')})`,
        { line, column, byte: at + 1 }, 'the file must be UTF-8; a Latin-1 or UTF-16 file needs converting (iconv -t UTF-8)');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new VfiError('INVALID_JSON', 'empty input: expected a JSON object');
  checkDepth(text);
  let ast;
  try {
    ast = parseJsonAst(text, { mode: 'json' });
  } catch (e) {
    const m = /^(.*?)\.? \((\d+):(\d+)\)$/.exec((e as Error).message);
    const where = m ? ` at line ${m[2]}, column ${m[3]}` : '';
    throw new VfiError('INVALID_JSON', `not JSON${where}: ${(m ? m[1] : (e as Error).message)!.toLowerCase()}`);
  }
  return new Reader(text, opts.describe ?? atPointer).value(ast.body, []);
}

const atPointer = (path: JsonPath): string => (path.length === 0 ? '' : `${pointer(path)}: `);

/** Refuse nesting deeper than MAX_DEPTH before anything recursive sees the text. */
export function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) {
        throw new VfiError('INVALID_JSON', `too deeply nested at line ${line}, column ${i - lineStart + 1}: ` +
          `more than ${MAX_DEPTH} levels of arrays and objects (vfi's limit)`, { maxDepth: MAX_DEPTH });
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
    if (c === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
}

interface Located {
  loc: { start: { line: number; column: number; offset: number }; end: { offset: number } };
}

class Reader {
  constructor(
    private readonly text: string,
    private readonly describe: (path: JsonPath) => string,
  ) {}

  value(node: AnyNode, path: (string | number)[]): JsonValue {
    switch (node.type) {
      case 'Object': {
        const entries: [string, JsonValue][] = [];
        const seen = new Set<string>();
        for (const member of node.members) {
          const key = member.name.type === 'String' ? this.string(member.name) : String(member.name.name);
          if (seen.has(key)) {
            const { line, column } = member.loc.start;
            throw new VfiError('INVALID_JSON', `duplicate key ${JSON.stringify(key)} at line ${line}, column ${column}`);
          }
          seen.add(key);
          entries.push([key, this.value(member.value, [...path, key])]);
        }
        // fromEntries defines own properties, so a "__proto__" key stays data, not a prototype.
        return Object.fromEntries(entries);
      }
      case 'Array':
        return node.elements.map((el, i) => this.value(el.value, [...path, i]));
      case 'String':
        return this.string(node);
      case 'Number':
        return this.number(node, path);
      case 'Boolean':
        return node.value;
      case 'Null':
        return null;
      default:
        throw new VfiError('INVALID_JSON', `unexpected ${node.type} in JSON`);
    }
  }

  private raw(node: Located): string {
    return this.text.slice(node.loc.start.offset, node.loc.end.offset);
  }

  /** RFC 8259 §7: U+0000 to U+001F must be escaped inside strings; RFC 7493 §2.1: no lone surrogates. */
  private string(node: Located & { value: string }): string {
    const { line, column } = node.loc.start;
    const control = /[\u0000-\u001f]/.exec(this.raw(node));
    if (control) {
      // Only the control character itself can break a line, so the column is the start's plus the index.
      const code = control[0].charCodeAt(0);
      throw new VfiError('INVALID_JSON', `not JSON at line ${line}, column ${column + control.index}: ` +
        `unescaped control character U+${code.toString(16).toUpperCase().padStart(4, '0')} in a string ` +
        `(write it as ${JSON.stringify(control[0]).slice(1, -1)})`);
    }
    if (!(node.value as string & { isWellFormed(): boolean }).isWellFormed()) {
      throw new VfiError('INVALID_JSON', `string with a lone surrogate at line ${line}, column ${column} (not I-JSON)`);
    }
    return node.value;
  }

  /** RFC 7493 §2.2: a number is an IEEE double. One that would not come back as written is refused, not rounded. */
  private number(node: Located & { value: number }, path: JsonPath): number {
    const literal = this.raw(node);
    const { line, column } = node.loc.start;
    const where = `${this.describe(path)}number ${abbreviate(literal)} at line ${line}, column ${column}`;
    if (!Number.isFinite(node.value)) {
      throw new VfiError('INVALID_JSON', `${where} is out of range for an IEEE double (I-JSON, RFC 7493 §2.2); quote it as a string`,
        { path, literal });
    }
    const written = JSON.stringify(node.value);
    if (decimalValue(written) !== decimalValue(literal)) {
      throw new VfiError('INVALID_JSON', `${where} would be stored as ${written}: beyond IEEE double precision ` +
        '(I-JSON, RFC 7493 §2.2); quote it as a string to keep it exactly', { path, literal, written });
    }
    return node.value;
  }
}

const abbreviate = (s: string): string => (s.length > 40 ? `${s.slice(0, 20)}…${s.slice(-10)}` : s);

/**
 * The exact decimal value of a JSON number literal, as `[-]digits e exponent` with no leading or
 * trailing zeros in digits, so two literals denote the same number iff their values are equal
 * strings. Zero has one value: -0 and 0 are the same number in JSON (RFC 8785 writes both as 0).
 */
export function decimalValue(literal: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) throw new Error(`not a JSON number literal: ${literal}`);
  const fraction = m[3] ?? '';
  const all = `${m[2]}${fraction}`.replace(/^0+/, '');
  const digits = all.replace(/0+$/, '');
  if (digits === '') return '0';
  const exponent = BigInt(m[4] ?? 0) - BigInt(fraction.length) + BigInt(all.length - digits.length);
  return `${m[1]}${digits}e${exponent}`;
}
