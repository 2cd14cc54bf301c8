/** `vfi export REF --format F [--out FILE]`: a VFI as the file a deploy tool reads. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { checkPinned, flattenVfi } from '../core/export/deployables.js';
import { EXPORT_FORMATS, renderExport, type ExportFormat } from '../core/export/render.js';
import { readRecordsOf } from '../store/assertions.js';
import { nestedIds, readVfiTree } from '../store/vfiTree.js';
import { intotoLines } from './assert.js';
import { errnoWords } from '../errno.js';

export interface ExportOptions {
  format?: string;
  out?: string;
  force?: boolean;
  allowUnpinned?: boolean;
  warehouse?: string;
}

export async function exportVfi(ctx: Context, ref: string, given: ExportOptions): Promise<void> {
  // `--out -` is stdout, as `-` is stdin for vfi add: not a file named "-".
  const opts = given.out === '-' ? { ...given, out: undefined } : given;
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
  if (opts.out === undefined) {
    ctx.outBytes(Buffer.from(text, 'utf8'));
    return;
  }
  writeOut(opts.out, text, opts.force ?? false);
  ctx.note(`vfi: wrote ${opts.out}`);
}

function checkFormat(format: string | undefined): ExportFormat {
  if (format === undefined) throw new VfiError('USAGE', `--format is required: ${EXPORT_FORMATS.join(', ')}`, {});
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new VfiError('USAGE', `unknown format ${JSON.stringify(format)}: expected ${EXPORT_FORMATS.join(', ')}`, { format });
  }
  return format as ExportFormat;
}

/** A Warehouse is a Kubernetes object: its name an RFC 1123 subdomain, or no Warehouse can have it. */
function checkWarehouse(warehouse: string, format: ExportFormat): void {
  if (format !== 'freight') throw new VfiError('USAGE', `--warehouse is for --format freight, not ${format}`, { format });
  if (warehouse.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(warehouse)) {
    throw new VfiError('USAGE', `--warehouse ${JSON.stringify(warehouse)} is not a Kubernetes object name`, { warehouse },
      'lower-case letters, digits, "-" and ".", starting and ending with a letter or digit');
  }
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
