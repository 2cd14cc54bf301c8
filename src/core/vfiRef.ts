/** The reference forms of SPEC §2, parsed once at the edge. */
import { VfiError } from '../errors.js';
import { nameProblem } from './names.js';

export type VfiRef =
  | { kind: 'id'; name: string; prefix: string } // Runtime@b383463…
  | { kind: 'bare'; prefix: string; alsoName: boolean } // b383463… (alsoName: it could be a lineage name too)
  | { kind: 'head'; name: string; back: number }; // Runtime, Runtime~2

const HEX = /^[0-9a-f]{4,40}$/;

export function parseVfiRef(s: string): VfiRef {
  const bad = (why: string) =>
    new VfiError('INVALID_REFERENCE', `invalid reference ${JSON.stringify(s)}: ${why}`, { ref: s },
      'use NAME, NAME~N, NAME@<id> or <id> (4 to 40 hex digits)');
  const at = s.indexOf('@');
  if (at >= 0) {
    const name = s.slice(0, at);
    const prefix = s.slice(at + 1).toLowerCase();
    const problem = nameProblem(name);
    if (problem) throw bad(`name ${problem}`);
    if (!HEX.test(prefix)) throw bad('the id after "@" must be 4 to 40 hex digits');
    return { kind: 'id', name, prefix };
  }
  const tilde = s.lastIndexOf('~');
  const name = tilde >= 0 ? s.slice(0, tilde) : s;
  const problem = nameProblem(name);
  if (problem) throw bad(`name ${problem}`);
  if (tilde >= 0) {
    const count = s.slice(tilde + 1);
    const back = Number(count);
    if (!/^\d+$/.test(count)) throw bad(`"~${count}" is not a count of publications: expected ~N, N a whole number`);
    if (!Number.isSafeInteger(back)) throw bad(`"~${count}" is not a count of publications: too large`);
    return { kind: 'head', name, back };
  }
  if (HEX.test(s.toLowerCase())) return { kind: 'bare', prefix: s.toLowerCase(), alsoName: true };
  return { kind: 'head', name, back: 0 };
}

/** How a VFI is spoken of: `Runtime@<40-hex>`. */
export function formatVfiRef(name: string, id: string): string {
  return `${name}@${id}`;
}
