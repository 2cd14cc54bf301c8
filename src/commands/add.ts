/** `vfi add NAME FILE` and `vfi import NAME FILE`. */
import * as path from 'node:path';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { checkName } from '../core/names.js';
import { formatVfiRef } from '../core/vfiRef.js';
import { publish } from '../store/publish.js';
import { now } from '../store/identity.js';
import { progressBar } from '../progress.js';
import { readInput, vfiFromBytes } from './input.js';
import { plural, printResult, printResultStream, publicationJson } from './table.js';

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

/** Streamed (store/importStream.ts): nothing lands unless every line is a VFI. */
export async function importMany(ctx: Context, name: string, file: string, opts: { json?: boolean; again?: boolean } = {}): Promise<void> {
  checkName(name);
  const { inputChunks, lines } = await import('../store/lineStream.js');
  const { importStream } = await import('../store/importStream.js');
  const input = inputChunks(file, () => ctx.stdinChunks?.() ?? (async function* () { yield await ctx.readStdin(); })());
  now(ctx.env);
  const vfis = async function* () {
    for await (const { line, bytes } of lines(input.chunks, input.source)) yield vfiFromBytes(bytes, `${input.source}:${line}`);
  };
  const bar = await progressBar(ctx, `publishing on ${name}`, 0);
  const result = await importStream(() => ctx.store({ create: true }), name, vfis(), {
    again: Boolean(opts.again), message: `import ${label(input.source)}`, onProgress: (done) => bar.tick(done), env: ctx.env,
  }).catch((e: unknown) => {
    throw e instanceof VfiError && e.code === 'INVALID_INPUT' && e.message.startsWith('no VFIs') ? new VfiError(e.code, `${input.source}: ${e.message}`, e.data) : e;
  });
  bar.stop();
  const { imported, skipped, unchanged } = result;
  // One line at a time: a million lines' answer is never all in memory.
  if (opts.json) {
    await printResultStream(ctx.out, 'publications', result.lines(),
      (l) => ({ ...publicationJson({ name, id: l.id, commit: l.commit, unchanged: !l.published }), skipped: l.skipped }),
      { name, imported, skipped, unchanged });
  } else {
    let chunk: string[] = [];
    for (const l of result.lines()) {
      chunk.push(formatVfiRef(name, l.id));
      if (chunk.length === 4096) (ctx.out(chunk.join('\n')), (chunk = []));
    }
    if (chunk.length) ctx.out(chunk.join('\n'));
  }
  ctx.note(`vfi: imported ${imported} of ${plural(result.count, 'VFI')} on ${name}` +
    (skipped ? `, skipped ${skipped} already published` : '') +
    (unchanged ? ` (${unchanged} equal to the VFI before them: re-publishing it is a no-op)` : ''));
}

const label = (source: string): string => (source === '<stdin>' ? '(stdin)' : path.basename(source));
