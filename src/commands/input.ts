/** Reading user input (a file or stdin) and turning it into a checked VFI, errors naming the source. */
import * as fs from 'node:fs';
import { VfiError, withSource } from '../errors.js';
import type { Context } from '../context.js';
import { errnoWords } from '../errno.js';
import { parseIJson } from '../core/ijson.js';
import { canonicalVfi, describeVfiPath, type StoredVfi } from '../core/vfi.js';
import { validateVfi } from '../schema/validate.js';

export interface Input {
  source: string;
  bytes: Buffer;
}

export async function readInput(ctx: Context, file: string): Promise<Input> {
  if (file === '-') return { source: '<stdin>', bytes: await ctx.readStdin() };
  try {
    return { source: file, bytes: fs.readFileSync(file) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : errnoWords(e);
    throw new VfiError('USAGE', `${file}: ${why}`, { file });
  }
}

/** Parse, validate and canonicalize one VFI document. */
export function vfiFromBytes(bytes: Uint8Array | string, source: string): StoredVfi {
  try {
    return canonicalVfi(validateVfi(parseIJson(bytes, { describe: describeVfiPath })));
  } catch (e) {
    throw withSource(e, source);
  }
}

/**
 * The non-blank lines of a JSON Lines input, numbered from 1, as bytes: split at the byte \n
 * (never part of a multi-byte UTF-8 sequence), so that parseIJson checks each line's UTF-8 as it
 * checks a whole file's.
 */
export function inputLines(bytes: Buffer): { line: number; bytes: Buffer }[] {
  const out: { line: number; bytes: Buffer }[] = [];
  for (let start = 0, line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const text = bytes.subarray(start, end);
    if (!text.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) out.push({ line, bytes: text });
    start = end + 1;
  }
  return out;
}
