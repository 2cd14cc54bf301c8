/** `vfi export`: a VFI as the file a deploy tool reads, printed or written atomically. */
import { errnoWords } from '../errno.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { checkPinned, flattenVfi } from '../core/export/deployables.js';
import { checkFormat, checkWarehouse } from '../core/export/options.js';
import { renderExport } from '../core/export/render.js';
import { intotoLines } from '../core/intoto.js';
import { readRecordsOf } from '../store/assertions.js';
import { nestedIds, readVfiTree } from '../store/vfiTree.js';

export interface ExportOptions {
  format?: string;
  out?: string;
  force?: boolean;
  allowUnpinned?: boolean;
  warehouse?: string;
}

/** The file a deploy tool reads for REF's VFI: its text, or (with `out`) written there. */
export async function exportFile(ctx: Context, ref: string, opts: ExportOptions): Promise<{ text: string } | { wrote: string }> {
  const format = checkFormat(opts.format);
  if (opts.warehouse !== undefined) checkWarehouse(opts.warehouse, format);
  if (opts.out !== undefined) checkOut(opts.out, opts.force ?? false);
  const store = ctx.store({ create: false });
  const tree = await readVfiTree(store, ref);
  const items = flattenVfi(tree.vfi, tree.nested);
  const label = `${tree.name}@${tree.id}`;
  if (!opts.allowUnpinned) checkPinned(items, label);
  let text: string;
  if (format === 'intoto') {
    const lines: string[] = [];
    for (const id of [tree.id, ...nestedIds(tree)]) lines.push(...intotoLines(await readRecordsOf(store, id)));
    text = lines.map((l) => `${l}\n`).join('');
  } else {
    const rendered = renderExport(format, items, { lineage: tree.name, id: tree.id, ...(opts.warehouse ? { warehouse: opts.warehouse } : {}) });
    if (rendered.skipped.length > 0) ctx.note(`vfi: ${format} has no place for ${rendered.skipped.join(', ')} (not an image): left out`);
    if ('text' in rendered.document) text = rendered.document.text;
    else {
      const YAML = await import('yaml');
      text = `# ${label}, written by vfi export --format ${format}\n${YAML.stringify(rendered.document.yaml, { lineWidth: 0 })}`;
    }
  }
  if (opts.out === undefined) return { text };
  writeOut(opts.out, text, opts.force ?? false);
  return { wrote: opts.out };
}

function checkOut(out: string, force: boolean): void {
  if (out === '') throw new VfiError('USAGE', '--out: the path is empty', {});
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(out, { throwIfNoEntry: false });
  } catch (e) {
    // a path that cannot be is bad input; a permission or the disk is the machine's (errno.ts)
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new VfiError('USAGE', `--out ${out}: ${errnoWords(e)}`, { out });
    throw e;
  }
  if (st?.isDirectory()) throw new VfiError('USAGE', `--out ${out}: is a directory`, { out });
  if (st && !force) throw new VfiError('USAGE', `--out ${out}: the file exists`, { out }, 'add --force to replace it');
  if (!fs.existsSync(path.dirname(path.resolve(out)))) throw new VfiError('USAGE', `--out ${out}: no such directory ${path.dirname(out)}`, { out });
}

/**
 * Temp file beside the target, then into place in one step: a reader (a deploy watching the file)
 * sees the old content or the new, never half. Without --force a hard link puts it there only if
 * nothing is there yet, so a file that appeared since the check is not overwritten either.
 */
function writeOut(out: string, text: string, force: boolean): void {
  const tmp = path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.vfi-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  try {
    if (force) fs.renameSync(tmp, out);
    else {
      try {
        fs.linkSync(tmp, out);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new VfiError('USAGE', `--out ${out}: the file exists`, { out }, 'add --force to replace it');
        throw e;
      }
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
