/** The options of `vfi export`, checked. Pure. */
import { VfiError } from '../../errors.js';
import { EXPORT_FORMATS, type ExportFormat } from './render.js';

export function checkFormat(format: string | undefined): ExportFormat {
  if (format === undefined) throw new VfiError('USAGE', `--format is required: ${EXPORT_FORMATS.join(', ')}`, {});
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new VfiError('USAGE', `unknown format ${JSON.stringify(format)}: expected ${EXPORT_FORMATS.join(', ')}`, { format });
  }
  return format as ExportFormat;
}

/** A Warehouse is a Kubernetes object: its name an RFC 1123 subdomain, or no Warehouse can have it. */
export function checkWarehouse(warehouse: string, format: ExportFormat): void {
  if (format !== 'freight') throw new VfiError('USAGE', `--warehouse is for --format freight, not ${format}`, { format });
  if (warehouse.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(warehouse)) {
    throw new VfiError('USAGE', `--warehouse ${JSON.stringify(warehouse)} is not a Kubernetes object name`, { warehouse },
      'lower-case letters, digits, "-" and ".", starting and ending with a letter or digit');
  }
}
