/**
 * I-JSON input (RFC 7493). JSON.parse keeps the last of duplicate keys silently, so input goes
 * through momoa's strict JSON parser, whose AST still shows every member.
 */
import { parse as parseJsonAst } from '@humanwhocodes/momoa';
import type { AnyNode } from '@humanwhocodes/momoa';
import { VfiError } from '../errors.js';
import type { JsonValue } from './canonical.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode bytes as strict UTF-8 and parse them as I-JSON; errors name line and column. */
export function parseIJson(input: Uint8Array | string): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    if (input.includes(0)) throw new VfiError('INVALID_JSON', 'not JSON: binary data (NUL byte)');
    try {
      text = utf8.decode(input);
    } catch {
      throw new VfiError('INVALID_JSON', 'not JSON: invalid UTF-8');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new VfiError('INVALID_JSON', 'empty input: expected a JSON object');
  let ast;
  try {
    ast = parseJsonAst(text, { mode: 'json' });
  } catch (e) {
    const m = /^(.*?)\.? \((\d+):(\d+)\)$/.exec((e as Error).message);
    const where = m ? ` at line ${m[2]}, column ${m[3]}` : '';
    throw new VfiError('INVALID_JSON', `not JSON${where}: ${(m ? m[1] : (e as Error).message)!.toLowerCase()}`);
  }
  return fromAst(ast.body);
}

function fromAst(node: AnyNode): JsonValue {
  switch (node.type) {
    case 'Object': {
      const entries: [string, JsonValue][] = [];
      const seen = new Set<string>();
      for (const member of node.members) {
        const key = member.name.type === 'String' ? member.name.value : String(member.name.name);
        checkWellFormed(key, member.loc.start);
        if (seen.has(key)) {
          const { line, column } = member.loc.start;
          throw new VfiError('INVALID_JSON', `duplicate key ${JSON.stringify(key)} at line ${line}, column ${column}`);
        }
        seen.add(key);
        entries.push([key, fromAst(member.value)]);
      }
      // fromEntries defines own properties, so a "__proto__" key stays data, not a prototype.
      return Object.fromEntries(entries);
    }
    case 'Array':
      return node.elements.map((el) => fromAst(el.value));
    case 'String':
      checkWellFormed(node.value, node.loc.start);
      return node.value;
    case 'Number':
      if (!Number.isFinite(node.value)) {
        throw new VfiError('INVALID_JSON', `number out of range at line ${node.loc.start.line}`);
      }
      return node.value;
    case 'Boolean':
      return node.value;
    case 'Null':
      return null;
    default:
      throw new VfiError('INVALID_JSON', `unexpected ${node.type} in JSON`);
  }
}

function checkWellFormed(s: string, at: { line: number; column: number }): void {
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new VfiError('INVALID_JSON', `string with a lone surrogate at line ${at.line}, column ${at.column} (not I-JSON)`);
  }
}

