/** `vfi add NAME FILE` and `vfi import NAME FILE`. */
import * as path from 'node:path';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { checkName } from '../core/names.js';
import { formatVfiRef } from '../core/vfiRef.js';
import { publish, publishMany } from '../store/publish.js';
import { now } from '../store/identity.js';
import { progressBar } from '../progress.js';
import { inputLines, readInput, vfiFromBytes } from './input.js';
import { plural, printResult, publicationJson } from './table.js';

export async function add(ctx: Context, name: string, file: string, opts: { json?: boolean; allowMissing?: boolean } = {}): Promise<void> {
  checkName(name);
  const input = await readInput(ctx, file);
  const stored = vfiFromBytes(input.bytes, input.source);
  now(ctx.env); // a bad VFI_NOW is refused before the first write creates the store
  const store = ctx.store({ create: true });
  if (Object.values(stored.vfi).some((c) => c.type === 'vfi')) {
    const { checkNested } = await import('../store/composition.js');
    await checkNested(store, stored, Boolean(opts.allowMissing));
  }
  const pub = await publish(store, name, () => ({ vfi: stored.vfi, message: `add ${label(input.source)}` }));
  if (pub.unchanged) ctx.note(`vfi: ${name} is already at this VFI; nothing published`);
  if (opts.json) printResult(ctx.out, publicationJson(pub));
  else ctx.out(formatVfiRef(name, pub.id));
}

export async function importMany(ctx: Context, name: string, file: string, opts: { json?: boolean } = {}): Promise<void> {
  checkName(name);
  const input = await readInput(ctx, file);
  // Every line is checked before anything is written: a bad line leaves the store untouched.
  // Lines stay bytes until parsed, so invalid UTF-8 is refused rather than decoded to U+FFFD.
  const vfis = [];
  for (const { line, bytes } of inputLines(input.bytes)) vfis.push(vfiFromBytes(bytes, `${input.source}:${line}`));
  if (vfis.length === 0) throw new VfiError('INVALID_INPUT', `${input.source}: no VFIs (expected one JSON object per line)`);
  now(ctx.env);
  const store = ctx.store({ create: true });
  const bar = await progressBar(ctx, `publishing on ${name}`, vfis.length);
  const pubs = await publishMany(store, name, vfis, `import ${label(input.source)}`, (done) => bar.tick(done));
  bar.stop();
  if (opts.json) printResult(ctx.out, { name, publications: pubs.map(publicationJson) });
  else ctx.out(pubs.map((p) => formatVfiRef(name, p.id)).join('\n'));
  const published = pubs.filter((p) => !p.unchanged).length;
  const repeats = pubs.length - published;
  ctx.note(`vfi: published ${published} of ${plural(pubs.length, 'VFI')} on ${name}` +
    (repeats ? ` (${repeats} equal to the head before them: re-publishing the head's own VFI is a no-op)` : ''));
}

const label = (source: string): string => (source === '<stdin>' ? '(stdin)' : path.basename(source));
