// SPEC §5 cold start: `vfi show REF` within 2x of `node -e 0`, measured side by side: on the store
// as vfi writes it (loose objects), and on the same store after `git gc` (packed, as every clone
// is), where the objects come from the pack through git/packs.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENV, fmt, sideBySide, timeOnce, vfiArgs, workDir, ROOT } from '../lib.mjs';

export const title = 'Cold start: vfi show REF vs node -e 0 (loose store, then packed by git gc)';

function measure(store, prefix, label) {
  const [node, show] = sideBySide([
    { label: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
    { label: `vfi show ${prefix} (${label})`, cmd: process.execPath, args: vfiArgs(store, ['show', prefix]) },
  ], 30, 3);
  return { node, show, ratio: show.median / node.median };
}

export async function run() {
  const dir = workDir('coldstart');
  const store = path.join(dir, 'store');
  const out = timeOnce(process.execPath, vfiArgs(store, ['add', 'Runtime', path.join(ROOT, 'examples', 'runtime.json')]));
  const ref = out.stdout.trim();
  const prefix = `Runtime@${ref.split('@')[1].slice(0, 10)}`;
  const loose = measure(store, prefix, 'loose objects');
  const gc = spawnSync('git', ['--git-dir', store, 'gc', '--quiet'], { env: ENV });
  if (gc.status !== 0) throw new Error(`git gc failed: ${gc.stderr}`);
  const packs = fs.readdirSync(path.join(store, 'objects', 'pack')).filter((f) => f.endsWith('.pack')).length;
  const left = fs.readdirSync(path.join(store, 'objects')).filter((d) => /^[0-9a-f]{2}$/.test(d));
  if (packs !== 1 || left.length > 0) throw new Error(`git gc left ${packs} packs and ${left.length} loose object folders`);
  const packed = measure(store, prefix, 'after git gc: packed');
  fs.rmSync(dir, { recursive: true, force: true });
  const rows = [loose, packed].flatMap((m) => [[m.node.label, fmt(m.node.median), ''], [m.show.label, fmt(m.show.median), `${m.ratio.toFixed(2)}x`]]);
  return {
    bar: 'ratio <= 2.0, loose and packed',
    pass: loose.ratio <= 2.0 && packed.ratio <= 2.0,
    rows,
    summary: {
      nodeMs: loose.node.median, showMs: loose.show.median, ratio: loose.ratio,
      packed: { nodeMs: packed.node.median, showMs: packed.show.median, ratio: packed.ratio },
    },
  };
}
