/** Key files: reading the signing key (--sign, $VFI_SIGNING_KEY) and public keys, and writing a new pair. */
import { errnoWords } from '../errno.js';
import * as fs from 'node:fs';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { parsePrivateKey, type SigningKey } from '../core/dsse.js';

/** Read a key file, with its errors as one line each. */
export function readKeyFile(file: string, what: string): string {
  try {
    const st = fs.statSync(file);
    if (st.size > 64 * 1024) throw new VfiError('INVALID_INPUT', `${file} is too large to be a ${what}`, { file });
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof VfiError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new VfiError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_INPUT', `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : errnoWords(e)}`, { file });
  }
}

/** The signing key of `--sign FILE`, else $VFI_SIGNING_KEY, else none (unsigned records). */
export function signingKey(ctx: Context, option: string | undefined): SigningKey | undefined {
  const file = option ?? (ctx.env.VFI_SIGNING_KEY || undefined);
  if (file === undefined) return undefined;
  return parsePrivateKey(readKeyFile(file, 'signing key'), option !== undefined ? file : `VFI_SIGNING_KEY (${file})`);
}

