/** Reading user input (a file or stdin) and turning it into a checked VFI, errors naming the source. */
import * as fs from 'node:fs';
import { VfiError, withSource } from '../errors.js';
import type { Context } from '../context.js';
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
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
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
