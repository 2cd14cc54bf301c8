// SPEC §5 cold start: `vfi show REF` within 2x of `node -e 0`, measured side by side.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENV, fmt, sideBySide, timeOnce, vfiArgs, workDir, ROOT } from '../lib.mjs';

export const title = 'Cold start: vfi show REF vs node -e 0';

export async function run() {
  const dir = workDir('coldstart');
  const store = path.join(dir, 'store');
  const out = timeOnce(process.execPath, vfiArgs(store, ['add', 'Runtime', path.join(ROOT, 'examples', 'runtime.json')]));
  const ref = out.stdout.trim();
  const prefix = `Runtime@${ref.split('@')[1].slice(0, 10)}`;
  const [node, show] = sideBySide([
    { label: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
    { label: `vfi show ${prefix}`, cmd: process.execPath, args: vfiArgs(store, ['show', prefix]) },
  ], 30, 3);
  fs.rmSync(dir, { recursive: true, force: true });
  const ratio = show.median / node.median;
  return {
    bar: 'ratio <= 2.0',
    pass: ratio <= 2.0,
    rows: [[node.label, fmt(node.median), ''], [show.label, fmt(show.median), `${ratio.toFixed(2)}x`]],
    summary: { nodeMs: node.median, showMs: show.median, ratio },
  };
}
