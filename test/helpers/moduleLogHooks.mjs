// The load hook of moduleLog.mjs.
import { appendFileSync } from 'node:fs';

export async function load(url, context, next) {
  if (process.env.VFI_MODULE_LOG) appendFileSync(process.env.VFI_MODULE_LOG, `${url}\n`);
  return next(url, context);
}
